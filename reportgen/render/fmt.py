"""Numbers formatted for people (1,234; 19.5%; $86k); used by the templates and the chart titles."""

from __future__ import annotations

from ..model import Display

# Paul Tol's "muted" qualitative palette: colour-blind safe, ten colours (segment 0 gets the first).
PALETTE: tuple[str, ...] = (
    "#332288", "#117733", "#CC6677", "#88CCEE", "#882255",
    "#44AA99", "#999933", "#AA4499", "#DDCC77", "#6E6E6E",
)


def color(segment_id: int) -> str:
    return PALETTE[segment_id % len(PALETTE)]


def text_on(hex_color: str) -> str:
    """Black or white text, whichever reads better on the colour (WCAG relative luminance)."""
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if luminance > 0.35 else "#FFFFFF"


def fmt_int(value: float) -> str:
    return f"{round(value):,}"


def fmt_pct(share: float, decimals: int = 1) -> str:
    return f"{share * 100:.{decimals}f}%"


def fmt_num(value: float, decimals: int = 2) -> str:
    return f"{value:,.{decimals}f}"


def fmt_role(value: float, display: Display) -> str:
    """A feature's value as its display says: '$86k', '42 yrs', a share as '42.0%'."""
    if display.percent:
        return f"{display.prefix}{value * 100:,.{display.decimals}f}%{display.suffix}"
    return f"{display.prefix}{value:,.{display.decimals}f}{display.suffix}"


def fmt_times(ratio: float) -> str:
    """2.1 -> '2.1x'."""
    return f"{ratio:.1f}x"
