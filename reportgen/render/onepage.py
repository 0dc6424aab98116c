"""What the executive summary's one page can hold: its lines are estimated from the text (DejaVu Sans
widths, templates/base.css and briefing.css sizes), and the optional parts give way, in this order,
when the page would overflow: each segment's profile line in the table, then the headline strip
(its figures are in the lead sentence too), then the table's text size (9 pt to 8 pt).
"""

from __future__ import annotations

from typing import Any

from . import textfit

PAGE_PT = 734.0  # A4 less 20 and 18 mm margins
WIDTH_PT = 504.0  # 178 mm
SLACK_PT = 40.0
NAME_SHARE, COUNT_SHARE = 0.44, 0.12  # the segment table's columns (briefing.css)


def _lines(text: str, width: float, size: float) -> int:
    return len(textfit.lines(text, width, size, most=50)) if text else 0


def headline_label(text: str) -> str:
    """A headline's label in at most three lines of its quarter of the strip."""
    return "\n".join(textfit.lines(text, WIDTH_PT / 4 - 10, 9, 3))


def _row_pt(seg: dict[str, Any], profiles: bool, action_pt: float, scale: float = 1.0) -> float:
    """A row of the segment table: 9 pt text at 1.45 line height, 5 pt padding above and below; widths
    estimated a little wide (bold names, DejaVu at 9.9 pt)."""
    name_pt = NAME_SHARE * WIDTH_PT - 12
    name = _lines(seg["name"], name_pt - 16, 9.9 * scale) * 13.1 * scale
    if profiles:
        name += _lines(seg["profile"] + ".", name_pt, 9.0 * scale) * 12.4 * scale
    if seg["unstable"]:
        name += _lines("Tentative (stability 0.00): test before spending on it.", name_pt, 9.4 * scale) * 12.4 * scale
    action = _lines(f"Start with {seg['top_campaign']}: {seg['top_objective']}", action_pt, 9.4 * scale) * 13.1 * scale
    return max(name, action) + 11


def fit(context: dict[str, Any], lead: str) -> dict[str, bool]:
    """Which optional parts the summary page shows."""
    fixed = 34.0  # the heading
    fixed += _lines(lead, WIDTH_PT, 11.8) * 16.7 + 12
    fixed += _lines("How sure we are: " + context["confidence"]["sentence"], WIDTH_PT, 10.2) * 14.5 + 12
    fixed += 40  # the table's two-line header
    fixed += sum(_lines(w, WIDTH_PT, 10.5) * 14.5 + 12 for w in context["warnings"]) + 30  # and a note
    strip = 60.0 + 13 * max(len(context["largest"]["label"].splitlines()), len(context["most_valuable"]["label"].splitlines()))
    action_pt = (1 - NAME_SHARE - COUNT_SHARE * (3 if context["revenue_shares"] else 2)) * WIDTH_PT - 12
    for profiles, headlines, small in ((True, True, False), (False, True, False), (False, False, False), (False, False, True)):
        rows = sum(_row_pt(s, profiles, action_pt, 8 / 9 if small else 1.0) for s in context["segments"])
        if fixed + rows + (strip if headlines else 0) <= PAGE_PT - SLACK_PT:
            break
    return {"profiles": profiles, "headlines": headlines, "small": small}
