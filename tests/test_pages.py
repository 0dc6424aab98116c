"""render/pages.py: where the overview's pages break, and the charts of a mostly empty page drawn taller."""

from __future__ import annotations

import plotly.graph_objects as go

from reportgen.render import pages
from reportgen.render.chartkit import Chart


def _charts(*heights: int) -> list[Chart]:
    return [Chart(f"c{i}", "", "", go.Figure(layout={"height": h})) for i, h in enumerate(heights)]


def test_pages_break_where_a_chart_no_longer_fits() -> None:
    charts = _charts(450, 450, 450, 300)  # 100 mm, 100 mm, 100 mm, 67 mm plus margins and the heading
    layout = [[b.key for b in p.blocks] for p in pages.paginate(pages.blocks(charts))]
    assert layout == [["c0", "c1"], ["c2", "c3"]]
    assert all(p.used_mm <= pages.PAGE_MM for p in pages.paginate(pages.blocks(charts)))


def test_a_mostly_empty_page_gets_taller_charts_and_full_pages_keep_theirs() -> None:
    charts = _charts(450, 450, 450, 450, 240)  # the last page would hold one short chart
    new = pages.heights(charts)
    assert set(new) == {"c4"} and new["c4"] > 240
    pages.fit(charts)
    after = pages.paginate(pages.blocks(charts))
    assert [[b.key for b in p.blocks] for p in after][-1] == ["c4"]  # still on its own page, no new break
    assert all(p.used_mm >= 0.5 * pages.PAGE_MM for p in after)
    assert charts[4].height <= 240 * pages.MOST_STRETCH


def test_what_changed_comes_first_and_the_heading_stays_with_its_chart() -> None:
    charts = _charts(300, 450, 450)
    lead = pages.changes_mm(sentences=4, rows=6)
    layout = pages.paginate(pages.blocks(charts, lead, heading_at=1))
    assert layout[0].blocks[0].key is None  # the text of what changed opens the first page
    heading = next(b for p in layout for b in p.blocks if b.key == "c1")
    assert heading.fixed_mm == pages.FIGURE_MM + pages.HEADING_MM
