"""The briefing's overview pages, laid out before the charts are drawn: the overview starts on a page of
its own and its charts follow one another, each kept whole (templates/briefing.css), so where the pages
break is known from the charts' heights. A page the next chart would leave more than half empty gets
its charts drawn taller, so no overview page is mostly blank.

The figures match briefing.css: A4 with 20 + 18 mm margins top and bottom, 16 mm at the sides.
"""

from __future__ import annotations

from dataclasses import dataclass

from .chartkit import WIDTH, Chart

PAGE_MM = 297 - 20 - 18  # the content's height on a page
MM_PER_PX = (210 - 2 * 16) / WIDTH  # a chart is drawn across the content's width
HEADING_MM = 15.0  # "The segments at a glance", with its margins
FIGURE_MM = 5.5  # a figure's margins (4pt + 10pt)
SLACK_MM = 6.0  # what the estimate may be off by, kept free on every page
FULL_ENOUGH = 0.6  # a page filled to less than this gets taller charts
MOST_STRETCH = 2.6  # a chart is drawn at most this much taller than it needs (a 240 px bar chart fills half a page)


@dataclass(frozen=True)
class Block:
    """Something on the overview pages: a chart (its key) with whatever must stay beside it, or text."""

    key: str | None
    mm: float  # its height on the page, margins and any heading kept with it included
    fixed_mm: float = 0.0  # the part of it that does not grow when the chart is drawn taller


@dataclass(frozen=True)
class Page:
    blocks: tuple[Block, ...]

    @property
    def used_mm(self) -> float:
        return sum(b.mm for b in self.blocks)


def chart_mm(height_px: float) -> float:
    return height_px * MM_PER_PX + FIGURE_MM


def changes_mm(sentences: int, rows: int) -> float:
    """About how tall the 'What changed' text and table are (a sentence may take two lines)."""
    return HEADING_MM + 7.5 * sentences + 9 + 8.5 * rows


def blocks(charts: list[Chart], lead_mm: float = 0.0, heading_at: int = 0) -> list[Block]:
    """The overview's blocks: any text before the charts (`lead_mm`: what changed), then the charts,
    the overview's heading kept with chart number `heading_at`."""
    out = [Block(None, lead_mm)] if lead_mm else []
    for i, c in enumerate(charts):
        fixed = FIGURE_MM + (HEADING_MM if i == heading_at else 0.0)
        out.append(Block(c.key, chart_mm(c.height) + fixed - FIGURE_MM, fixed))
    return out


def paginate(items: list[Block]) -> list[Page]:
    """Pages as the PDF engine fills them: blocks in order, a block that does not fit opens a page."""
    room = PAGE_MM - SLACK_MM
    pages: list[Page] = []
    current: list[Block] = []
    for b in items:
        if current and sum(x.mm for x in current) + b.mm > room:
            pages.append(Page(tuple(current)))
            current = []
        current.append(b)
    if current:
        pages.append(Page(tuple(current)))
    return pages


def heights(charts: list[Chart], lead_mm: float = 0.0, heading_at: int = 0) -> dict[str, int]:
    """New heights (px) for the charts on pages filled to less than FULL_ENOUGH: each drawn taller, in
    proportion, until the page is filled that far (never past the page, never past MOST_STRETCH)."""
    by_key = {c.key: c for c in charts}
    out: dict[str, int] = {}
    room = PAGE_MM - SLACK_MM
    for page in paginate(blocks(charts, lead_mm, heading_at)):
        drawn = sum(b.mm - b.fixed_mm for b in page.blocks if b.key)
        if not drawn or page.used_mm >= FULL_ENOUGH * PAGE_MM:
            continue
        fixed = page.used_mm - drawn
        target = min(FULL_ENOUGH * PAGE_MM + 10, room) - fixed
        factor = min(MOST_STRETCH, target / drawn)
        if factor > 1.0:
            for b in page.blocks:
                if b.key:
                    out[b.key] = int(by_key[b.key].height * factor)
    return out


def fit(charts: list[Chart], lead_mm: float = 0.0, heading_at: int = 0) -> list[Chart]:
    """The charts with the heights their pages give them (the same figure objects, resized)."""
    for key, height in heights(charts, lead_mm, heading_at).items():
        next(c for c in charts if c.key == key).figure.update_layout(height=height)
    return charts
