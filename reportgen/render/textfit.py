"""How wide a chart's text is, and text wrapped or shortened to fit, so that no label, title or legend
runs into another or off the image, at any name length.

Chromium draws the charts in DejaVu Sans (the first font of render/charts.FONT, installed with the
system packages); its advance widths for printable ASCII are below, in thousandths of the font size
(read once from DejaVuSans.ttf). Other characters count as wide ones, so a guess errs on the safe side.
"""

from __future__ import annotations

import html
import math
import unicodedata

_ASCII_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636,
    636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)
ELLIPSIS = "…"


def _char(ch: str) -> int:
    code = ord(ch)
    if 32 <= code < 127:
        return _ASCII_WIDTHS[code - 32]
    if unicodedata.combining(ch):
        return 0
    return 1000 if unicodedata.east_asian_width(ch) in ("W", "F") else 780


def width(text: str, size: float) -> float:
    """The text's width in pixels at a font size in pixels."""
    return sum(_char(ch) for ch in text) * size / 1000


def shorten(text: str, px: float, size: float) -> str:
    """The text, cut with an ellipsis where it would pass `px` pixels."""
    if width(text, size) <= px:
        return text
    room = px - width(ELLIPSIS, size)
    out = ""
    for ch in text:
        if width(out + ch, size) > room:
            break
        out += ch
    return out.rstrip(" ,;:-") + ELLIPSIS


def lines(text: str, px: float, size: float, most: int = 2) -> list[str]:
    """The text broken at spaces into at most `most` lines of at most `px` pixels; a word longer than a
    line is cut, and what does not fit in the last line is shortened with an ellipsis."""
    words = text.split()
    out: list[str] = []
    current, start = "", 0
    for i, word in enumerate(words):
        trial = f"{current} {word}" if current else word
        if width(trial, size) <= px or not current:
            current = trial
            continue
        if len(out) == most - 1:  # the last line takes the rest, shortened
            break
        out.append(current)
        current, start = word, i
    if current:
        out.append(" ".join(words[start:]) if len(out) == most - 1 else current)
    return [shorten(line, px, size) for line in out[:most]] or [""]


def ending(text: str, px: float, size: float) -> str:
    """The text's end, from a word start where one fits, after an ellipsis, in at most `px` pixels."""
    room = px - width(ELLIPSIS, size)
    tail = ""
    for word in reversed(text.split()):
        trial = f"{word} {tail}".strip()
        if width(trial, size) > room:
            break
        tail = trial
    if not tail:
        tail = shorten(text.split()[-1], room, size) if text.split() else ""
    return ELLIPSIS + tail


def distinct(names: list[str], px: float, size: float, most: int = 2) -> list[str]:
    """Names wrapped as `wrap` does; where two would come out alike (a long shared beginning), their
    last line shows how each ends instead: 'Champions who buy often / …purchase: highest)'."""
    wrapped = [wrap(n, px, size, most) for n in names]
    out = list(wrapped)
    for i, w in enumerate(wrapped):
        if any(j != i and wrapped[j] == w and names[j] != names[i] for j in range(len(names))):
            head = lines(names[i], px, size, most)[: most - 1] if most > 1 else []
            out[i] = "<br>".join([html.escape(x, quote=False) for x in head] + [html.escape(ending(names[i], px, size), quote=False)])
    return out


def wrap(text: str, px: float, size: float, most: int = 2) -> str:
    """`lines` joined by plotly's line break, each line escaped (plotly reads tags in text)."""
    return "<br>".join(html.escape(line, quote=False) for line in lines(text, px, size, most))


def count_lines(wrapped: str) -> int:
    return wrapped.count("<br>") + 1


def log_ticks(low: float, high: float, most: int = 8) -> list[float]:
    """A few round ticks for a log axis from low to high (both > 0): 1, 2, 5, 10, 20, 50... or, over
    many decades, only the powers of ten (every second or third one beyond that)."""
    low, high = max(low, 1e-12), max(high, low)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for steps in ((1, 2, 5), (1, 3), (1,)):
        ticks = [m * 10**e for e in range(first, last + 1) for m in steps if low <= m * 10**e <= high]
        if len(ticks) <= most and len(ticks) >= 2:
            return ticks
    decades = [10**e for e in range(first, last + 1) if low <= 10**e <= high]
    stride = math.ceil(len(decades) / most) if decades else 1
    return decades[::stride] or [low, high]


def tick_text(value: float) -> str:
    """1 -> '1', 2000 -> '2k', 1500000 -> '1.5M', 0.05 -> '0.05'."""
    for unit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= unit:
            return f"{value / unit:g}{suffix}"
    return f"{value:g}"
