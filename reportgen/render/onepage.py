"""What the executive summary's one page can hold: its lines are estimated from the text (DejaVu Sans
widths, templates/base.css and briefing.css sizes), and the optional parts give way, in this order,
when the page would overflow: each segment's profile line in the table; the headline strip (its
figures are in the lead sentence too); the worth sentence (the table's share-of-revenue column says
it) with the table's text at 8 pt instead of 9; then each row's length (names in two lines, markers in
one, the first action by its campaign's name), the names shortened alike on the whole page, the lead
sentence without them and the actions without their budget note (each campaign table has its share).
"""

from __future__ import annotations

import html
from typing import Any

from . import textfit

PAGE_PT = 734.0  # A4 less 20 and 18 mm margins
WIDTH_PT = 504.0  # 178 mm
SLACK_PT = 28.0
COLUMNS = {False: (0.42, 0.14), True: (0.38, 0.14)}  # the segment table's name and count columns, without and with revenue (briefing.css)


def _lines(text: str, width: float, size: float) -> int:
    return len(textfit.lines(text, width, size, most=50)) if text else 0


def headline_label(text: str) -> str:
    """A headline's label in at most three lines of its quarter of the strip."""
    return "\n".join(textfit.lines(text, WIDTH_PT / 4 - 10, 9, 3))


def short_names(names: list[str], tight: bool) -> list[str]:
    """Segment names in the summary's table: whole, or in its tightest layout at most two lines each,
    names that shorten alike told apart by their ends (each page's band gives its name whole)."""
    if not tight:
        return names
    name_pt = COLUMNS[True][0] * WIDTH_PT - 12 - 16
    return [html.unescape(n.replace("<br>", " ")) for n in textfit.distinct(names, name_pt, 9.9 * 8 / 9, 2)]


def _row_pt(seg: dict[str, Any], profiles: bool, name_pt: float, action_pt: float, scale: float = 1.0, tight: bool = False) -> float:
    """A row of the segment table: 9 pt text at 1.45 line height, 5 pt padding above and below; widths
    estimated a little wide (bold names, DejaVu at 9.9 pt). Tight: the name in two lines at most, its
    markers in one line, the first action by its campaign's name alone."""
    name = _lines(short_names([seg["name"]], tight)[0], name_pt - 16, 9.9 * scale) * 13.1 * scale
    if profiles:
        name += _lines(seg["profile"] + ".", name_pt, 9.0 * scale) * 12.4 * scale
    marks = [m for m, on in (("The name holds for only 00% of them.", seg.get("name_weak")), ("Tentative (stability 0.00): test first.", seg["unstable"])) if on]
    if tight and marks:
        marks = ["Name fits 00%; tentative (0.00)."]
    name += sum(_lines(m, name_pt, 9.4 * scale) * 12.4 * scale for m in marks)
    action = f"Start with {seg['top_campaign']}" + ("." if tight else f": {seg['top_objective']}")
    counts = 2 * 12.4 * scale  # the customers column: the number, and the share below it
    return max(name, counts, _lines(action, action_pt, 9.4 * scale) * 13.1 * scale) + 11


def _fixed(context: dict[str, Any], lead: str, short: dict[str, str], worth: bool = True) -> float:
    """Everything on the summary page but its table and the headline strip (segment names as `short` says)."""
    def named(text: str) -> str:
        for full, brief in short.items():
            text = text.replace(full, brief)
        return text

    fixed = 34.0  # the heading
    fixed += (2 if short else _lines(named(lead), WIDTH_PT, 11.8)) * 16.7 + 12  # tightest: without the names
    fixed += _lines("How sure we are: " + context["confidence"]["sentence"], WIDTH_PT, 10.2) * 14.5 + 12
    if context.get("worth") and worth:  # when the page is tight, the table's share-of-revenue column says it
        worth = context["worth"]
        fixed += _lines(named(f"What each segment is worth: {worth['sentence']} {worth['basis']}"), WIDTH_PT, 10.2) * 14.5 + 12
    actions = context.get("actions") or {}
    if actions.get("rows"):  # "What to do first": the first three, and a note
        fixed += 28 + sum(
            _lines(named(f"{a['campaign']} for {a['segment']} ({a['audience']} customers; {a['stake']}; {a['response']}; {a['budget']} of the budget)"), WIDTH_PT - 30, 10.4) * 14.5 + 4
            for a in actions["rows"][:3]
        )
        note = "" if short else f" {actions['note']} Each segment's contact list is in the period folder (audiences/)."
        fixed += _lines(f"Ranked by {actions['ranked_by']}.{note}", WIDTH_PT, 9.4) * 13 + 10
    fixed += 40  # the table's two-line header
    fixed += sum(_lines(w, WIDTH_PT - 14, 9.4) * 11.9 + 3 for w in context["summary_warnings"]) + (12 if context["summary_warnings"] else 0)
    return fixed + (36 if context["quality"]["n_dropped"] != "0" else 0)  # the note on customers left out


def fit(context: dict[str, Any], lead: str) -> dict[str, Any]:
    """Which optional parts the summary page shows, and the names it uses (its tightest layout shortens
    long names everywhere on the page; each segment's page gives its name whole)."""
    names = [s["name"] for s in context["segments"]]
    short = {full: brief for full, brief in zip(names, short_names(names, True)) if brief != full}
    strip = 60.0 + 13 * max(len(context["largest"]["label"].splitlines()), len(context["most_valuable"]["label"].splitlines()))
    name_share, count_share = COLUMNS[bool(context["revenue_shares"])]
    name_pt = name_share * WIDTH_PT - 12
    action_pt = (1 - name_share - count_share * (2 if context["revenue_shares"] else 1)) * WIDTH_PT - 12
    steps = ((True, True, False, False), (False, True, False, False), (False, False, False, False), (False, False, True, False), (False, False, True, True))
    for profiles, headlines, small, tight in steps:
        fixed = _fixed(context, lead, short if tight else {}, worth=not small) + (40 if tight else 0)  # the tightest estimate is the least sure
        rows = sum(_row_pt(s, profiles, name_pt, action_pt, 8 / 9 if small else 1.0, tight) for s in context["segments"])
        if fixed + rows + (strip if headlines else 0) <= PAGE_PT - SLACK_PT:
            break
    return {"profiles": profiles, "headlines": headlines, "small": small, "tight": tight, "names": short if tight else {}}


# A segment's page (briefing.css): the measures on the left (52%), the map and what they buy on the
# right (45%); the map goes under whichever column is shorter.
LEFT_PT, RIGHT_PT = 0.52 * WIDTH_PT, 0.45 * WIDTH_PT
MAP_PT = {"small": 102.0, "roomy": 153.0}  # the mini-map's height at 52 mm and 78 mm wide
H3_PT = 24.0


def _rows(texts: list[str], width: float, size: float = 8.5) -> float:
    """Table rows of 8.5 pt text (1.45 line height) with 2.5 pt padding above and below."""
    return sum(max(_lines(t, width, size), 1) * 12.4 + 6 for t in texts)


def _top(s: dict[str, Any]) -> float:
    """Band, notes, profile and campaigns: everything above the two columns."""
    height = 16 + _lines(s["name"], WIDTH_PT - 28, 17.6) * 21 + 17 + (_lines(s["reliability"], WIDTH_PT - 28, 9.9) * 13 if s["reliability"] else 0)
    if s.get("name_weak"):  # the warning repeats the name, bold (templates/_segment.html.j2)
        height += _lines(f'The name "{s["name"]}" holds for only {s["name_fit"]} of these customers: their own values satisfy its rule; read it as a rough description.', WIDTH_PT, 11.0) * 14.5 + 10
    elif s.get("name_fit"):
        height += 23
    height += _lines("Treat this segment as tentative: test its campaigns on a small group first.", WIDTH_PT, 11.0) * 14.5 + 10 if s["unstable"] else 0
    height += _lines(f"Profile: {s['profile']}. {s['description']}", WIDTH_PT, 10.4) * 14.5 + 10
    height += sum(_lines(s.get(key, ""), WIDTH_PT, 10.4) * 14.5 + 10 for key in ("outlook", "evidence") if s.get(key))
    height += H3_PT + 28
    for c in s["campaigns"]:
        first = _lines(c["name"], 0.27 * WIDTH_PT - 8, 9.4) + _lines(c["objective"], 0.27 * WIDTH_PT - 8, 8.8) + _lines(f"Tone: {c['tone']}", 0.27 * WIDTH_PT - 8, 8.8)
        others = max(_lines(c["channels"], 0.14 * WIDTH_PT - 8, 8.8), _lines(c["offer"], 0.28 * WIDTH_PT - 8, 8.8), _lines(c["kpi"], 0.18 * WIDTH_PT - 8, 8.8))
        height += max(first, others) * 12.4 + 7
    return height + (0 if s["campaigns"] else 30)


def _left(s: dict[str, Any], measures: int) -> float:
    labels = [m["label"] for m in s["measures"][:measures]]
    height = H3_PT + 28 + _rows(labels, 0.46 * LEFT_PT - 8)
    height += _rows([a["text"] for a in s["attributes"]], 0.54 * LEFT_PT - 8)
    rest = [m["label"].split(" (%")[0] for m in s["measures"][measures:]]
    if rest:  # the line naming the rest, in 8 pt
        height += _lines("Also profiled, nearer the average here: " + ", ".join(rest) + ".", LEFT_PT, 8.6) * 11.6 + 4
    return height


def _right(s: dict[str, Any], categories: int) -> float:
    if not s["categories"]:
        return 0.0
    rows = [c["name"] for c in s["categories"][:categories]]
    height = H3_PT + _lines(s["category_highlight"], RIGHT_PT, 9.4) * 13 + 6 + 28 + _rows(rows, 0.58 * RIGHT_PT - 8, 8.4)
    rest = [c["name"] for c in s["categories"][categories:] if c.get("index")]
    text = ("Also bought, each at 0.0x the average or less: " + ", ".join(rest) + ".") if rest else s.get("more_categories", "")
    if text:  # the line naming the rest, in 8 pt, under the table (view.py)
        height += _lines(text, RIGHT_PT, 8.6) * 11.6 + 4
    return height


def segment_fit(s: dict[str, Any], fewest: int) -> dict[str, Any]:
    """How many measure rows (at least `fewest`, the clustered ones) and category rows a segment's page
    can hold, which column the map goes under, and whether the map fits at all (the overview has the
    full map)."""
    room = PAGE_PT - SLACK_PT - _top(s)
    map_pt = (H3_PT + MAP_PT["roomy" if not s["categories"] else "small"]) if s["map"] else 0.0
    measures, categories = len(s["measures"]), len(s["categories"])
    while True:
        left, right = _left(s, measures), _right(s, categories)
        side = "left" if left < right else "right"
        height = max(left + (map_pt if side == "left" else 0), right + (map_pt if side == "right" else 0))
        if height <= room:
            return {"measures": measures, "categories": categories, "map_side": side, "map": bool(map_pt)}
        if measures <= fewest and categories <= 1:  # a long name's warnings can leave room for one category row
            return {"measures": measures, "categories": categories, "map_side": side, "map": max(left, right) + map_pt <= room}
        if measures > fewest and (left >= right or categories <= 3):
            measures -= 1
        else:
            categories -= 1
