"""The report's plotly figures, and their export as SVG (PDF) and PNG (email, page) through the run's
browser session (render/browser.py).

Figures are built only from the run's numbers: no data or config value ever becomes an image source
or URL in the browser.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from ..model import Report
from .browser import BrowserSession, Image, Pending
from .fmt import color, fmt_int, fmt_num, fmt_pct, fmt_role, fmt_times
from .view import axis_title, map_axes, period_label, shown_features

WIDTH, HEIGHT, SCALE = 800, 450, 2
FONT = "DejaVu Sans, Arial, sans-serif"
TRACE_TYPES = ("scatter", "bar", "box", "heatmap")  # every trace type the charts use
MAX_POINTS = 4000  # box plots are drawn from a seeded sample beyond this
MAP_POINTS = 2000  # the map's dots: a seeded sample beyond this (4,000 took Chromium 0.3 s per image, the shape is the same)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    alt: str
    figure: go.Figure


def _t(text: str) -> str:
    """Plotly reads <b>, <a href> and friends in text; data and rule text must stay plain."""
    return html.escape(text, quote=False)


@functools.cache
def _template() -> go.layout.Template:
    """plotly's simple_white, with the trace defaults of only the trace types drawn here: a figure
    copies its whole template, and the other twenty types took a third of the time spent building
    the charts. (A Template object: a plain dict would be validated anew for every figure.)"""
    import plotly.io as pio

    full = pio.templates["simple_white"].to_plotly_json()
    return go.layout.Template({"layout": full["layout"], "data": {t: full["data"][t] for t in TRACE_TYPES if t in full["data"]}})


def _layout(fig: go.Figure, title: str, x: str, y: str, legend: bool = True) -> go.Figure:
    fig.update_layout(
        template=_template(),
        title={"text": _t(title), "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        font={"family": FONT, "size": 13, "color": "#222222"},
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 70, "r": 20, "t": 60, "b": 60},
        showlegend=legend,
        legend={"title": {"text": ""}, "bgcolor": "rgba(255,255,255,0.8)"},
        xaxis_title=x,
        yaxis_title=y,
    )
    return fig


def _sample(n: int, seed: int, most: int = MAX_POINTS) -> np.ndarray:
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, most, replace=False))


def _map_chart(report: Report) -> Chart | None:
    axes = map_axes(report)
    if axes is None:
        return None
    xr, yr = axes
    frame = report.table.frame
    idx = _sample(len(frame), report.settings.clustering.seed, MAP_POINTS)
    d = report.settings.display_of
    sx, sy = (100.0 if d(xr).percent else 1.0), (100.0 if d(yr).percent else 1.0)  # shares drawn as %
    x = frame[xr].to_numpy()[idx] * sx
    y = frame[yr].to_numpy()[idx] * sy
    labels = report.clustering.labels[idx]
    d = report.settings.display_of
    fig = go.Figure()
    for seg in report.segments:
        m = labels == seg.id
        fig.add_trace(go.Scatter(x=x[m], y=y[m], mode="markers", name=_t(seg.name), marker={"color": color(seg.colour), "size": 7, "opacity": 0.75}))
    fig.add_trace(
        go.Scatter(
            x=[s.centroid.get(xr, s.means.get(xr, 0.0)) * sx for s in report.segments],
            y=[s.centroid.get(yr, s.means.get(yr, 0.0)) * sy for s in report.segments],
            mode="markers",
            name="Segment centre",
            marker={"symbol": "x", "size": 15, "color": [color(s.colour) for s in report.segments], "line": {"width": 2, "color": "#000000"}},
        )
    )
    largest = report.largest
    title = f"{report.clustering.k} segments; the largest is {largest.name} ({fmt_pct(largest.share)})"
    sampled = f" A sample of {fmt_int(len(idx))} of {fmt_int(len(frame))} customers is shown." if len(idx) < len(frame) else ""
    alt = f"Scatter plot of {d(yr).label.lower()} against {d(xr).label.lower()}, one colour per segment, centres marked with crosses.{sampled}"
    fig = _layout(fig, title, _t(axis_title(d(xr))), _t(axis_title(d(yr))))
    for axis, name in (("x", xr), ("y", yr)):
        how = _transform(report, name)
        if how == "log" and frame[name].min() > 0:
            fig.update_layout({f"{axis}axis": {"type": "log"}})  # skewed measures read better on a log axis
    return Chart("map", title, alt, fig)


def _sizes_chart(report: Report) -> Chart:
    segs = list(report.segments)[::-1]
    fig = go.Figure(
        go.Bar(
            x=[s.size for s in segs],
            y=[_t(s.name) for s in segs],
            orientation="h",
            marker={"color": [color(s.colour) for s in segs]},
            text=[f"{fmt_int(s.size)} ({fmt_pct(s.share)})" for s in segs],
            textposition="outside",
            cliponaxis=False,
            showlegend=False,
        )
    )
    largest = report.largest
    title = f"{largest.name} is the largest segment: {fmt_int(largest.size)} customers ({fmt_pct(largest.share)})"
    fig = _layout(fig, title, "Customers", "", legend=False)
    fig.update_layout(margin={"l": 190, "r": 90})
    alt = "Bar chart of segment sizes: " + "; ".join(f"{s.name} {fmt_int(s.size)} ({fmt_pct(s.share)})" for s in report.segments)
    return Chart("sizes", title, alt, fig)


def _worth_chart(report: Report) -> Chart | None:
    """Each segment's share of the customers beside its share of the revenue."""
    segs = [s for s in report.segments if s.revenue_share is not None][::-1]
    if not segs:
        return None
    names = [_t(s.name) for s in segs]
    fig = go.Figure(
        [
            go.Bar(
                x=[s.share * 100 for s in segs], y=names, orientation="h", name="Share of customers", marker={"color": "#BBBBBB"},
                text=[fmt_pct(s.share, 0) for s in segs], textposition="outside", cliponaxis=False,
            ),
            go.Bar(
                x=[(s.revenue_share or 0.0) * 100 for s in segs], y=names, orientation="h", name="Share of revenue",
                marker={"color": [color(s.colour) for s in segs]}, text=[fmt_pct(s.revenue_share or 0.0, 0) for s in segs],
                textposition="outside", cliponaxis=False,
            ),
        ]
    )
    top = max(segs, key=lambda s: (s.revenue_share or 0.0, s.size))
    title = f"{top.name}: {fmt_pct(top.share, 0)} of customers, {fmt_pct(top.revenue_share or 0.0, 0)} of revenue"
    fig = _layout(fig, title, "Share (%)", "")
    fig.update_layout(barmode="group", margin={"l": 190, "r": 60}, legend={"orientation": "h", "y": -0.18, "x": 0})
    alt = "Share of customers and of revenue per segment: " + "; ".join(
        f"{s.name} {fmt_pct(s.share, 0)} of customers, {fmt_pct(s.revenue_share or 0.0, 0)} of revenue" for s in report.segments if s.revenue_share is not None
    )
    return Chart("worth", title, alt, fig)


def _transform(report: Report, name: str) -> str:
    f = report.features
    return f.transforms[f.roles.index(name)] if name in f.roles and f.transforms else "linear"


def _percentile(report: Report, name: str, value: float) -> float:
    """Where a value sits among all customers: 0 = the lowest, 50 = the middle, 100 = the highest."""
    points = report.profile.percentiles.get(name)
    if not points:
        return 50.0
    grid = np.asarray(points)
    below = np.searchsorted(grid, value, side="left")
    above = np.searchsorted(grid, value, side="right")
    return float(min(100.0, max(0.0, (below + above - 1) / 2)))


def _profile_chart(report: Report) -> Chart:
    names = [f for f in shown_features(report) if f in report.profile.percentiles][:8]
    d = report.settings.display_of
    fig = go.Figure()
    for seg in report.segments:
        fig.add_trace(
            go.Bar(
                x=[_t(d(f).label) for f in names],
                y=[round(_percentile(report, f, seg.means[f]) - 50) for f in names],
                base=50,
                name=_t(seg.name),
                marker={"color": color(seg.colour)},
            )
        )
    fig.add_hline(y=50, line={"dash": "dot", "color": "#555555"})
    title = "Where each segment's average sits among all customers (50 = the middle)"
    alt = (
        "Grouped bar chart of where each segment's average " + ", ".join(d(f).label.lower() for f in names)
        + " sits among all customers, as a percentile where 50 is the middle customer: "
        + "; ".join(f"{s.name}: " + ", ".join(f"{d(f).label.lower()} {round(_percentile(report, f, s.means[f]))}" for f in names) for s in report.segments)
    )
    fig = _layout(fig, title, "", "Percentile among all customers (50 = middle)")
    fig.update_yaxes(range=[0, 100])
    fig.update_layout(legend={"title": {"text": ""}})
    return Chart("profile", title, alt, fig)


def _spread_chart(report: Report) -> Chart | None:
    """The distribution, per segment, of the feature that separates them most."""
    if not report.profile.separation:
        return None
    name = max(report.profile.separation, key=lambda f: (report.profile.separation[f], -report.features.roles.index(f)))
    frame = report.table.frame
    idx = _sample(len(frame), report.settings.clustering.seed)
    values = frame[name].to_numpy()[idx]
    labels = report.clustering.labels[idx]
    d = report.settings.display_of(name)
    scale = 100.0 if d.percent else 1.0
    fig = go.Figure()
    for seg in report.segments:
        fig.add_trace(go.Box(y=values[labels == seg.id] * scale, name=_t(seg.name), marker={"color": color(seg.colour)}, boxmean=False))
    highest = max(report.segments, key=lambda s: (s.means.get(name, 0.0), -s.id))
    title = f"{d.label} by segment: {highest.name} is highest (average {fmt_role(highest.means[name], d)})"
    fig = _layout(fig, title, "", _t(axis_title(d)), legend=False)
    if _transform(report, name) == "log" and np.nanmin(values) > 0:
        fig.update_yaxes(type="log")
    fig.update_xaxes(tickangle=-20)
    alt = f"Box plots of {d.label.lower()} per segment: " + "; ".join(f"{s.name} average {fmt_role(s.means[name], d)}" for s in report.segments if name in s.means)
    return Chart("spread", title, alt, fig)


def _mix_chart(report: Report) -> Chart | None:
    """Shares of a descriptive attribute (gender, ...) per segment: described, never clustered."""
    attrs = [a for a in report.table.attributes if any(a in s.mixes for s in report.segments)]
    if not attrs:
        return None
    attr = attrs[0]
    values = sorted({v for s in report.segments for v in s.mixes.get(attr, {})})[:6]
    shades = ["#4D4D4D", "#A6A6A6", "#D9D9D9", "#7F7F7F", "#BFBFBF", "#5F5F5F"]
    segs = list(report.segments)[::-1]
    label = report.settings.display_of(attr).label
    fig = go.Figure()
    for i, v in enumerate(values):
        fig.add_trace(
            go.Bar(
                x=[100 * s.mixes.get(attr, {}).get(v, 0) for s in segs],
                y=[_t(s.name) for s in segs],
                orientation="h",
                name=_t(v),
                marker={"color": shades[i % len(shades)]},
                text=[fmt_pct(s.mixes.get(attr, {}).get(v, 0), 0) for s in segs],
                textposition="inside",
            )
        )
    fig = _layout(fig, f"{label} mix by segment", "Share of the segment (%)", "")
    fig.update_layout(barmode="stack", margin={"l": 190}, legend={"title": {"text": _t(label)}})
    alt = f"Stacked bars of {label.lower()} shares per segment: " + "; ".join(
        f"{s.name} " + ", ".join(f"{fmt_pct(share, 0)} {v}" for v, share in s.mixes.get(attr, {}).items()) for s in report.segments
    )
    return Chart("mix", f"{label} mix by segment", alt, fig)


def _categories_chart(report: Report) -> Chart | None:
    """Each segment's spend per category against the average customer (1x = the same)."""
    if not any(s.category_index for s in report.segments):
        return None
    cats = list(report.profile.category_population)
    fig = go.Figure()
    for seg in report.segments:
        fig.add_trace(go.Bar(x=[_t(c) for c in cats], y=[seg.category_index.get(c, 0.0) for c in cats], name=_t(seg.name), marker={"color": color(seg.colour)}))
    fig.add_hline(y=1, line={"dash": "dot", "color": "#555555"})
    top = max(report.segments, key=lambda s: (max(s.category_index.values(), default=0), -s.id))
    best = max(top.category_index, key=lambda c: top.category_index[c])
    title = f"{top.name} buys {fmt_times(top.category_index[best])} as much {best.lower()} as the average customer"
    fig = _layout(fig, title, "Spend per customer on each category", "Against the average customer (1x = same)")
    fig.update_layout(legend={"title": {"text": ""}})
    alt = "Grouped bars of spend per customer on each category relative to the average customer: " + "; ".join(
        f"{s.name}: " + ", ".join(f"{c} {fmt_times(v)}" for c, v in s.category_index.items()) for s in report.segments
    )
    return Chart("categories", title, alt, fig)


def _k_chart(report: Report) -> Chart | None:
    c = report.clustering
    if not c.k_curve:
        return None
    ks = [p.k for p in c.k_curve]
    sil = [p.silhouette for p in c.k_curve]
    fig = go.Figure(go.Scatter(x=ks, y=sil, mode="lines+markers", line={"color": "#555555"}, marker={"size": 8}, showlegend=False))
    k = c.clusters_k
    fig.add_trace(go.Scatter(x=[k], y=[dict(zip(ks, sil))[k]], mode="markers", marker={"size": 16, "color": "#332288", "symbol": "star"}, name=f"chosen k = {k}"))
    title = f"k = {k} separates the customers best (silhouette {fmt_num(dict(zip(ks, sil))[k])})"
    fig = _layout(fig, title, "Number of segments (k)", "Silhouette (higher is better)")
    fig.update_xaxes(dtick=1)
    alt = "Line chart of silhouette score by number of segments: " + ", ".join(f"k={k}: {fmt_num(s, 3)}" for k, s in zip(ks, sil))
    return Chart("k_selection", title, alt, fig)


def _migration_chart(report: Report) -> Chart | None:
    ch = report.changes
    if ch is None:
        return None
    counts = np.array(ch.counts, dtype=float)
    returning = ch.stayed + ch.moved
    stayed = f"{fmt_pct(ch.stayed / returning)} of returning customers stayed in their segment" if returning else "No returning customers"
    fig = go.Figure(
        go.Heatmap(
            z=counts,
            x=[_t(c) for c in ch.columns],
            y=[_t(r) for r in ch.rows],
            text=[[fmt_int(v) if v else "" for v in row] for row in counts],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    title = f"Where customers went since {period_label(ch.previous_period)}: {stayed}"
    fig = _layout(fig, title, "This month", "Last month", legend=False)
    fig.update_layout(margin={"l": 190, "b": 110})
    fig.update_xaxes(tickangle=-25, side="bottom")
    fig.update_yaxes(autorange="reversed")
    alt = "Migration matrix, customers matched by id: " + "; ".join(
        f"from {r} to {c}: {fmt_int(v)}" for r, row in zip(ch.rows, ch.counts) for c, v in zip(ch.columns, row) if v
    )
    return Chart("migration", title, alt, fig)


def build_charts(report: Report) -> list[Chart]:
    """The report's charts, in reading order; charts without data (no age column, say) are left out."""
    charts = [
        _map_chart(report), _sizes_chart(report), _worth_chart(report), _profile_chart(report), _categories_chart(report), _spread_chart(report), _mix_chart(report),
        _migration_chart(report), _k_chart(report),
    ]
    return [c for c in charts if c is not None]


@dataclass(frozen=True)
class ChartFiles:
    """The charts being drawn by the browser: SVGs for the PDF first, then PNGs for the email and page."""

    svg: Pending
    png: Pending
    keys: tuple[str, ...]

    def svgs(self) -> dict[str, Path]:
        """Waits for the SVGs, and tidies them (stable ids, scatter points merged)."""
        paths = dict(zip(self.keys, self.svg.wait()))
        for path in paths.values():
            _tidy_svg(path)
        return paths

    def pngs(self) -> dict[str, Path]:
        return dict(zip(self.keys, self.png.wait()))

    @property
    def waited(self) -> float:
        return self.svg.waited + self.png.waited


def export(session: BrowserSession, charts: list[Chart], folder: Path) -> ChartFiles:
    """Queue every chart as SVG (vector, for the PDF), then as PNG (for the email's cid: parts and the
    page); returns at once, so the caller renders while the browser draws."""
    svg = session.export([Image(c.figure, folder / f"{c.key}.svg", "svg", WIDTH, HEIGHT) for c in charts], "svg_export")
    png = session.export([Image(c.figure, folder / f"{c.key}.png", "png", WIDTH, HEIGHT, SCALE) for c in charts], "png_export")
    return ChartFiles(svg, png, tuple(c.key for c in charts))


_UID = re.compile(r'id="defs-([0-9a-f]+)"')
_EMPTY_STYLE = re.compile(r'^(<svg [^>]*?) style=""')
_TRACE = re.compile(r'(class="trace [a-z]+ trace)[0-9a-f]{6}"')
_POINTS = re.compile(r'<g class="points">((?:<path class="point"[^>]*/>)+)</g>')
_CIRCLE = re.compile(
    r'<path class="point" transform="translate\((-?[\d.]+),\s*(-?[\d.]+)\)" d="M([\d.]+),0A\3,\3 0 1,1 0,-\3A\3,\3 0 0,1 \3,0Z" style="([^"]*)"/>'
)


def _tidy_svg(path: Path) -> None:
    """Make a chart's SVG stable and quick to draw in the PDF.

    - plotly names its clip paths and defs after a random figure id, and each trace's group after a
      random trace id, and the root's empty style attribute comes before or after its viewBox:
      fixed here, so identical inputs give identical files;
    - each scatter point is its own element with its own transform and style, which WeasyPrint parses
      one by one (600 points cost about a second): a trace's circles become one path.
    """
    text = path.read_text(encoding="utf-8")
    text = _EMPTY_STYLE.sub(r"\1", text, count=1)  # Chromium writes the root's empty style before or after viewBox
    found = _UID.search(text)
    if found:
        text = re.sub(r"\b(clip|defs-|topdefs-|legend)" + found.group(1), r"\g<1>000000", text)
    traces = iter(range(1_000_000))
    text = _TRACE.sub(lambda m: f"{m.group(1)}{next(traces):06d}\"", text)  # random trace ids, numbered in order
    text = _POINTS.sub(_merge_points, text)
    path.write_text(text, encoding="utf-8")


# plotly's style for a filled circle without an outline
_PLAIN_DOT = re.compile(r"^opacity: ([\d.]+); stroke-width: 0px; fill: (rgb\([\d, ]+\)); fill-opacity: ([\d.]+);$")


def _merge_points(group: re.Match[str]) -> str:
    """One path for a trace's circle markers when they share a size and style; else unchanged.

    Circles without an outline become dots: a zero-length line with round caps as wide as the
    circle, which SVG and PDF both draw as a filled disc of that diameter. WeasyPrint parses and
    draws 4,000 such dots (the map at a million customers) in ~0.15 s, the same circles as arcs in
    ~0.65 s; rendered to PNG the two look the same."""
    body = group.group(1)
    points = _CIRCLE.findall(body)
    if not points or len(points) != body.count("<path") or len({(r, style) for _, _, r, style in points}) != 1:
        return group.group(0)
    r, style = float(points[0][2]), points[0][3]
    plain = _PLAIN_DOT.match(style.strip())
    if plain:
        opacity, colour, fill_opacity = plain.groups()
        d = "".join(f"M{float(x):.2f},{float(y):.2f}l0,0" for x, y, _, _ in points)
        dot = f"opacity: {opacity}; fill: none; stroke: {colour}; stroke-opacity: {fill_opacity}; stroke-width: {2 * r:g}px; stroke-linecap: round;"
        return f'<g class="points"><path class="point" d="{d}" style="{dot}"/></g>'
    d = "".join(
        f"M{x + r:.2f},{y:.2f}A{r:g},{r:g} 0 1,1 {x:.2f},{y - r:.2f}A{r:g},{r:g} 0 0,1 {x + r:.2f},{y:.2f}Z"
        for x, y in ((float(a), float(b)) for a, b, _, _ in points)
    )
    return f'<g class="points"><path class="point" d="{d}" style="{style}"/></g>'
