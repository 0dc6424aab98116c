"""The standalone page's charts as live plotly figures (hover, zoom), with plotly.js inside the
file: no CDN, opens offline, one file to forward. The PDF and the email keep static images.

Figures are built only from the run's numbers and escaped text (render/charts.py), and plotly
writes them as JSON inside its own script; no data or settings text becomes markup here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .charts import Chart

CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage", "sendDataToCloud"]}


def plotly_js() -> str:
    """The plotly.js library shipped inside the plotly package (nothing is downloaded)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def chart_html(chart: Chart) -> str:
    import plotly.io as pio

    return pio.to_html(
        chart.figure, full_html=False, include_plotlyjs=False, include_mathjax=False, div_id=f"chart-{chart.key}",
        config=CONFIG, default_width="100%", default_height=f"{chart.figure.layout.height or 450}px",
    )


def page_charts(charts: list[Chart]) -> dict[str, Any]:
    """Template values: the library once, and each chart's live figure by key."""
    return {"plotly_js": plotly_js(), "live_charts": {c.key: chart_html(c) for c in charts}}
