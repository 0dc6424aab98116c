"""What every chart shares: its size and fonts, the plotly template, and a layout whose titles, axis
titles, tick labels and legend names are wrapped or shortened to the room they have (render/textfit.py),
so nothing prints over anything else or runs off the image at any name length. A shortened name is
given in full where the reader can find it: the hover text of the page's live chart and the alt text.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from . import textfit

WIDTH, HEIGHT, SCALE = 800, 450, 2
FONT = "DejaVu Sans, Arial, sans-serif"
TITLE_SIZE, FONT_SIZE, TICK_SIZE = 17, 13, 12
TRACE_TYPES = ("scatter", "bar", "box", "heatmap")  # every trace type the charts use
LEGEND_PX = 170  # a legend entry's text, at most two lines of this width
EMAIL_WIDTH = 560  # the email shows the charts at this width


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    alt: str
    figure: go.Figure

    @property
    def height(self) -> int:
        return int(self.figure.layout.height or HEIGHT)


def plain(text: str) -> str:
    """Plotly reads <b>, <a href> and friends in text; data and rule text must stay plain."""
    return html.escape(text, quote=False)


@functools.cache
def template() -> go.layout.Template:
    """plotly's simple_white, with the trace defaults of only the trace types drawn here: a figure
    copies its whole template, and the other twenty types took a third of the time spent building
    the charts. (A Template object: a plain dict would be validated anew for every figure.)"""
    import plotly.io as pio

    full = pio.templates["simple_white"].to_plotly_json()
    return go.layout.Template({"layout": full["layout"], "data": {t: full["data"][t] for t in TRACE_TYPES if t in full["data"]}})


def legend_names(names: list[str]) -> list[str]:
    """Segment names as legend entries: wrapped to two lines, shortened beyond (the hover has them whole)."""
    return textfit.distinct(names, LEGEND_PX, FONT_SIZE, 2)


def tick_names(names: list[str], px: float, size: float = TICK_SIZE, most: int = 3) -> tuple[list[str], float]:
    """Category tick labels side by side, each wrapped to the width it has; the font goes down to 9 px
    so that a long single word fits rather than being shortened. Returns the labels and their font size."""
    room = max(px - 8, 30)
    longest = max((textfit.width(w, 1) for n in names for w in n.split()), default=0)
    if longest * size > room:
        size = max(9, min(size, int(room / longest)) if longest else size)
    return textfit.distinct(names, room, size, most), size


def name_axis(fig: go.Figure, axis: str, names: list[str], px: float, size: float = TICK_SIZE, most: int = 3) -> int:
    """Segment (or category) names as an axis' tick labels at positions 0, 1, 2...: numbers rather
    than the names themselves, so two names that shorten alike never merge. Returns the labels' lines."""
    labels, font = tick_names(names, px, size, most)
    fig.update_layout({f"{axis}axis": {"tickmode": "array", "tickvals": list(range(len(names))), "ticktext": labels, "tickfont": {"size": font}}})
    return max((textfit.count_lines(lab) for lab in labels), default=1)


def title_room(wrapped: str) -> int:
    """The top margin a wrapped title needs: its lines and the gap above the plot."""
    return 18 + 23 * textfit.count_lines(wrapped) + 14


def layout(
    fig: go.Figure,
    title: str,
    x: str = "",
    y: str = "",
    legend: bool = True,
    height: int = HEIGHT,
    left: int = 70,
    right: int = 20,
    bottom: int = 60,
    plot_height: int | None = None,
    x_lines: int = 1,
) -> go.Figure:
    """Title wrapped to the image's width (the top margin grows with its lines); axis titles shortened
    to the plot's length; axes push the margins out for their tick labels instead of clipping them."""
    wrapped = textfit.wrap(title, WIDTH - 24, TITLE_SIZE, 3)
    top = title_room(wrapped)
    inner_h = plot_height or max(height - top - bottom, 80)
    plot_w = WIDTH - left - right
    fig.update_layout(
        template=template(),
        # an annotation rather than plotly's title, which anchors a wrapped title by its first line and
        # so printed its other lines over the plot: this one sits whole just above the plot
        annotations=[{"text": wrapped, "xref": "paper", "yref": "paper", "x": 0, "y": 1, "xanchor": "left", "yanchor": "bottom",
                      "xshift": 12 - left, "yshift": 12, "align": "left", "showarrow": False, "font": {"size": TITLE_SIZE}}],
        font={"family": FONT, "size": FONT_SIZE, "color": "#222222"},
        width=WIDTH,
        height=height,
        margin={"l": left, "r": right, "t": top, "b": bottom, "autoexpand": True},
        showlegend=legend,
        legend={"title": {"text": ""}, "bgcolor": "rgba(255,255,255,0.8)", "font": {"size": FONT_SIZE}, "tracegroupgap": 4},
        hoverlabel={"namelength": -1},
        xaxis={"title": {"text": textfit.wrap(x, plot_w - 10, FONT_SIZE, x_lines) if x else "", "font": {"size": FONT_SIZE}}, "automargin": True, "tickfont": {"size": TICK_SIZE}},
        yaxis={"title": {"text": textfit.wrap(y, inner_h * 0.95, FONT_SIZE, 1) if y else "", "font": {"size": FONT_SIZE}}, "automargin": True, "tickfont": {"size": TICK_SIZE}},
    )
    return fig


def log_axis(fig: go.Figure, axis: str, low: float, high: float) -> None:
    """A log axis with a few round, readable ticks (1, 2, 5, 10...) and no crowded minor labels."""
    ticks = textfit.log_ticks(low, high)
    fig.update_layout({f"{axis}axis": {"type": "log", "tickmode": "array", "tickvals": ticks, "ticktext": [textfit.tick_text(t) for t in ticks], "minor": {"showgrid": False}}})


def hover_names(names: list[str]) -> dict[str, Any]:
    """Trace settings that put a segment's full name in the hover text."""
    return {"customdata": names, "hovertemplate": "%{customdata}<extra></extra>"}


def blend(low: str, high: str, t: float) -> str:
    """The colour a share `t` (0..1) of the way from one #RRGGBB colour to another."""
    t = min(max(t, 0.0), 1.0)
    a = [int(low[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(high[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b))


def cell_grid(fig: go.Figure, fills: list[list[str]], texts: list[list[str]], hover: list[list[str]], size: float, ink: list[list[str]] | None = None) -> None:
    """A table of coloured cells with their numbers, row 0 at the top: rectangles and text, so the PDF
    gets vectors (plotly draws a heatmap trace as a picture)."""
    rows, cols = len(fills), len(fills[0]) if fills else 0
    gap = 0.04
    fig.update_layout(shapes=[
        {"type": "rect", "xref": "x", "yref": "y", "x0": j - 0.5 + gap, "x1": j + 0.5 - gap, "y0": i - 0.5 + gap, "y1": i + 0.5 - gap,
         "fillcolor": fills[i][j], "opacity": 1, "line": {"width": 0}, "layer": "below"}
        for i in range(rows) for j in range(cols)
    ])
    xs = [j for i in range(rows) for j in range(cols)]
    ys = [i for i in range(rows) for j in range(cols)]
    colours = [(ink[i][j] if ink else "#111111") for i in range(rows) for j in range(cols)]
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="text", text=[texts[i][j] for i in range(rows) for j in range(cols)],
        textfont={"size": size, "color": colours}, hovertext=[hover[i][j] for i in range(rows) for j in range(cols)],
        hoverinfo="text", showlegend=False,
    ))
    fig.update_xaxes(range=[-0.5, cols - 0.5], showgrid=False, zeroline=False, showline=False, ticks="")
    fig.update_yaxes(range=[rows - 0.5, -0.5], showgrid=False, zeroline=False, showline=False, ticks="")
