"""What a reader sees on a PDF's pages, from poppler's word boxes (`pdftotext -bbox`): words printed
over other words, words outside the page's content width, and how far down each page is filled."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4  # points per millimetre
SIDE_MM, TOP_MM, BOTTOM_MM = 16, 20, 18  # templates/briefing.css @page margins
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def area(self) -> float:
        return max(self.x1 - self.x0, 0.0) * max(self.y1 - self.y0, 0.0)


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    words: tuple[Word, ...]

    @property
    def body(self) -> list[Word]:
        """The words between the running header and footer."""
        return [w for w in self.words if w.y0 >= TOP_MM * MM - 1 and w.y1 <= self.height - BOTTOM_MM * MM + 1]

    @property
    def filled(self) -> float:
        """How far down the content area the page's lowest word reaches, 0..1."""
        body = self.body
        if not body:
            return 0.0
        top, bottom = TOP_MM * MM, self.height - BOTTOM_MM * MM
        return (max(w.y1 for w in body) - top) / (bottom - top)


def pages(pdf: Path) -> list[Page]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    result = []
    for n, (w, h, body) in enumerate(_PAGE.findall(out), start=1):
        words = tuple(Word(n, float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in _WORD.findall(body))
        result.append(Page(n, float(w), float(h), words))
    return result


def overlaps(page: Page, share: float = 0.15) -> list[tuple[Word, Word]]:
    """Pairs of words whose boxes overlap by more than `share` of the smaller one: printed over each
    other. (Neighbours on a line touch; lines of a paragraph share a sliver of their boxes; neither
    comes near the share.)"""
    words = sorted((w for w in page.words if w.area > 0), key=lambda w: w.x0)
    found = []
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if b.x0 >= a.x1:
                break
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > 0 and dy > 0 and dx * dy > share * min(a.area, b.area):
                found.append((a, b))
    return found


def outside(page: Page, slack_pt: float = 1.5) -> list[Word]:
    """Words that reach past the content's width (a label running off its chart or the page)."""
    left, right = SIDE_MM * MM - slack_pt, page.width - SIDE_MM * MM + slack_pt
    return [w for w in page.words if w.x0 < left or w.x1 > right]


def describe(pdf: Path) -> str:
    """One line per page: fill and any problem, for a person looking at a run."""
    lines = []
    for p in pages(pdf):
        bad = [f"{a.text!r}/{b.text!r}" for a, b in overlaps(p)]
        off = [w.text for w in outside(p)]
        lines.append(f"page {p.number}: filled {p.filled:.0%}" + (f"; overlaps {bad[:6]}" if bad else "") + (f"; outside {off[:6]}" if off else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    for arg in sys.argv[1:]:
        print(arg)
        print(describe(Path(arg)))
