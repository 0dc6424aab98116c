"""The two overview tables-as-charts: how each segment differs from all customers on every measure,
and what each segment buys against the average customer.

Each cell shows the number itself (a mean, or a share of customers for a yes/no flag or a measure most
customers have at 0) and its colour how far it lies from all customers, so any number of segments and
measures stays readable and nothing is turned into a percentile that says nothing.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from ..model import Report
from . import measures as ms
from . import textfit
from .chartkit import FONT_SIZE, TICK_SIZE, TITLE_SIZE, WIDTH, Chart, blend, cell_grid, layout, plain, tick_names, title_room
from .fmt import fmt_times

ROW_PX = 26
MAX_ROWS = 18  # measures (or categories) drawn; the rest are named in the alt text
# Below the average blue, above it red (Paul Tol's BuRd ends, lightened so black text reads on them).
LOW, MIDDLE, HIGH = "#5B8FC9", "#F7F7F7", "#DB6F63"
FULL = 1.5  # a contrast (log2 of the ratio) from which the colour is at its deepest: 2.8x or 1/2.8
COLOUR_NOTE = "Colour: red above all customers, blue below; the deeper, the further"


def _grid(rows: list[str], columns: list[str], cells: list[list[str]], title: str, note: str) -> dict[str, Any]:
    """Sizes for a grid of cells: row labels wrapped at the left, column labels wrapped below the cells,
    the cells' font as large as the widest cell allows."""
    widest = max((textfit.width(c, 1) for row in cells for c in row), default=1)
    room = WIDTH - 20 - len(columns) * max(widest * 10 + 10, 64)  # what the cells leave for the row labels
    label_px = max(150.0, min(280.0, room - 18))
    labels = [textfit.wrap(r, label_px, TICK_SIZE, 2) for r in rows]
    left = int(max(textfit.width(line, TICK_SIZE) for lab in labels for line in lab.split("<br>")) + 26)
    plot_w = WIDTH - left - 20
    col_px = plot_w / max(len(columns), 1)
    cell_font = next((size for size in (12, 11, 10, 9) if widest * size <= col_px - 6), 8)
    heads, head_font = tick_names(columns, col_px, TICK_SIZE, 3)
    head_lines = max(textfit.count_lines(h) for h in heads)
    row_px = ROW_PX if all("<br>" not in lab for lab in labels) else ROW_PX + 6
    note_lines = textfit.count_lines(textfit.wrap(note, plot_w - 10, FONT_SIZE, 2))
    bottom = 16 + 15 * head_lines + 12 + 17 * note_lines
    top = title_room(textfit.wrap(title, WIDTH - 24, TITLE_SIZE, 3))
    return {"left": left, "right": 20, "note_lines": note_lines, "bottom": bottom, "height": top + bottom + row_px * len(rows), "cell_font": cell_font, "heads": heads, "head_font": head_font, "labels": labels, "note": note}


def _fill(contrast: float) -> str:
    """Blue below the average, red above, paler nearer it."""
    depth = min(abs(contrast) / FULL, 1.0) ** 0.8
    return blend(MIDDLE, HIGH if contrast >= 0 else LOW, depth)


def _draw(z: list[list[float]], cells: list[list[str]], hover: list[list[str]], title: str, size: dict[str, Any]) -> go.Figure:
    fig = go.Figure()
    layout(fig, title, size["note"], "", legend=False, height=size["height"], left=size["left"], right=size["right"], bottom=size["bottom"], x_lines=size["note_lines"])
    cell_grid(fig, [[_fill(v) for v in row] for row in z], cells, hover, size["cell_font"])
    n_rows, n_cols = len(z), len(z[0]) if z else 0
    fig.update_xaxes(tickmode="array", tickvals=list(range(n_cols)), ticktext=size["heads"], tickfont={"size": size["head_font"]}, automargin=False)
    fig.update_yaxes(tickmode="array", tickvals=list(range(n_rows)), ticktext=size["labels"], automargin=False)
    return fig


def profile_chart(report: Report) -> Chart | None:
    """Every shown measure per segment, beside all customers'."""
    readings = ms.readings(report)
    if not readings.measures:
        return None
    segs = list(report.segments)
    clustered = [m for m in readings.measures if m.clustered]
    others = sorted((m for m in readings.measures if not m.clustered), key=lambda m: -max(abs(ms.contrast(report, m, ms.value(report, m, s), 6)) for s in segs))
    keep = {m.name for m in (clustered + others)[:MAX_ROWS]}
    rows = [m for m in readings.measures if m.name in keep]
    left_out = [m.label for m in readings.measures if m.name not in keep]
    columns = ["All customers"] + [s.name for s in segs]
    cells, z, hover = [], [], []
    for m in rows:
        overall = ms.text(report, m, ms.value(report, m))
        values = [ms.value(report, m, s) for s in segs]
        cells.append([overall] + [ms.text(report, m, v) for v in values])
        z.append([0.0] + [ms.contrast(report, m, v) for v in values])
        hover.append([plain(f"All customers: {m.heading} {overall}")] + [plain(f"{s.name}: {m.heading} {ms.text(report, m, v)} (all customers {overall})") for s, v in zip(segs, values)])
    far = max(((abs(ms.contrast(report, m, ms.value(report, m, s), 6)), -i, -j - 1) for i, m in enumerate(rows) for j, s in enumerate(segs)), default=(0, 0, 0))
    i, j = -far[1], -far[2]
    if far[0] > 0:
        title = f"Biggest difference from the average customer: {rows[i].heading} in {columns[j]} ({cells[i][j]} against {cells[i][0]})"
    else:
        title = "The segments against the average customer"
    size = _grid([m.heading for m in rows], columns, cells, title, COLOUR_NOTE)
    alt = "Table of each segment's measures beside all customers': " + "; ".join(
        f"{m.heading}: all customers {cells[r][0]}, " + ", ".join(f"{s.name} {cells[r][c + 1]}" for c, s in enumerate(segs)) for r, m in enumerate(rows)
    ) + (f". Not drawn: {', '.join(left_out)}." if left_out else ".")
    return Chart("profile", title, alt, _draw(z, cells, hover, title, size))


def categories_chart(report: Report) -> Chart | None:
    """Each segment's spend per customer on each category against the average customer (1x = the same)."""
    if not any(s.category_index for s in report.segments):
        return None
    segs = list(report.segments)
    cats = list(report.profile.category_population)
    shown = cats[:MAX_ROWS]
    cells = [[fmt_times(s.category_index.get(c, 0.0)) for s in segs] for c in shown]
    z = [[max(-2.0, min(2.0, math.log2(max(s.category_index.get(c, 0.0), 0.25)))) for s in segs] for c in shown]
    hover = [[plain(f"{s.name}: {fmt_times(s.category_index.get(c, 0.0))} the average customer's spend on {c}") for s in segs] for c in shown]
    best = max(((s.category_index.get(c, 0.0), -i, -j) for i, c in enumerate(shown) for j, s in enumerate(segs)), default=(0.0, 0, 0))
    cat, seg = shown[-best[1]], segs[-best[2]]
    title = f"What they buy: the biggest difference is {cat} in {seg.name}, at {fmt_times(best[0])} the average customer's spend"
    note = "Spend per customer on each category against the average customer (1.0x = the same)"
    size = _grid(shown, [s.name for s in segs], cells, title, note)
    alt = "Table of spend per customer on each category against the average customer: " + "; ".join(
        f"{s.name}: " + ", ".join(f"{c} {fmt_times(s.category_index.get(c, 0.0))}" for c in cats) for s in segs
    ) + "."
    return Chart("categories", title, alt, _draw(z, cells, hover, title, size))
