"""The report's plotly figures, built only from the run's numbers: no data or config value ever becomes
an image source or URL in the browser. Their files are drawn by render/chartfiles.py.

Every name is laid out for the room it has (render/chartkit.py): segment names wrap on axes and in
legends, are shortened beyond that with the full name in the hover text and the alt text, and log axes
carry a few round ticks.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..model import Report
from . import measures as ms
from . import textfit
from .chartkit import FONT_SIZE, HEIGHT, TICK_SIZE, WIDTH, Chart, blend, cell_grid, hover_names, layout, legend_names, log_axis, name_axis, plain, tick_names
from .fmt import color, fmt_int, fmt_num, fmt_pct, fmt_role
from .heatmaps import categories_chart, profile_chart
from .view import axis_title, map_axes, period_label

MAX_POINTS = 4000  # box plots are drawn from a seeded sample beyond this
MAP_POINTS = 2000  # the map's dots: a seeded sample beyond this (4,000 took Chromium 0.3 s per image, the shape is the same)
NAME_PX = 190  # segment names beside horizontal bars, at most two lines of this width


def _sample(n: int, seed: int, most: int = MAX_POINTS) -> np.ndarray:
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, most, replace=False))


def _transform(report: Report, name: str) -> str:
    f = report.features
    return f.transforms[f.roles.index(name)] if name in f.roles and f.transforms else "linear"


def _map_chart(report: Report) -> Chart | None:
    axes = map_axes(report)
    if axes is None:
        return None
    xr, yr = axes
    frame = report.table.frame
    idx = _sample(len(frame), report.presentation.seed, MAP_POINTS)
    d = report.presentation.display
    sx, sy = (100.0 if d(xr).percent else 1.0), (100.0 if d(yr).percent else 1.0)  # shares drawn as %
    x = frame[xr].to_numpy()[idx] * sx
    y = frame[yr].to_numpy()[idx] * sy
    labels = report.clustering.labels[idx]
    fig = go.Figure()
    for seg, legend in zip(report.segments, legend_names([s.name for s in report.segments])):
        m = labels == seg.id
        fig.add_trace(go.Scatter(
            x=x[m], y=y[m], mode="markers", name=legend, marker={"color": color(seg.colour), "size": 7, "opacity": 0.75},
            hovertemplate=plain(seg.name) + "<br>%{x}, %{y}<extra></extra>",
        ))
    fig.add_trace(
        go.Scatter(
            x=[s.centroid.get(xr, s.means.get(xr, 0.0)) * sx for s in report.segments],
            y=[s.centroid.get(yr, s.means.get(yr, 0.0)) * sy for s in report.segments],
            mode="markers",
            name="Segment centre",
            marker={"symbol": "x", "size": 15, "color": [color(s.colour) for s in report.segments], "line": {"width": 2, "color": "#000000"}},
            **hover_names([plain(f"Centre of {s.name}") for s in report.segments]),
        )
    )
    largest = report.largest
    title = f"{report.clustering.k} segments; the largest is {largest.name} ({fmt_pct(largest.share)})"
    sampled = f" A sample of {fmt_int(len(idx))} of {fmt_int(len(frame))} customers is shown." if len(idx) < len(frame) else ""
    alt = f"Scatter plot of {d(yr).label.lower()} against {d(xr).label.lower()}, one colour per segment ({', '.join(s.name for s in report.segments)}), centres marked with crosses.{sampled}"
    fig = layout(fig, title, axis_title(d(xr)), axis_title(d(yr)))
    for axis, name, values in (("x", xr, x), ("y", yr, y)):
        if _transform(report, name) == "log" and len(values) and np.nanmin(values) > 0:
            log_axis(fig, axis, float(np.nanmin(values)), float(np.nanmax(values)))  # skewed measures read better on a log axis
    return Chart("map", title, alt, fig)


def _bar_height(k: int) -> int:
    return max(240, 110 + 44 * k)


def _sizes_chart(report: Report) -> Chart:
    segs = list(report.segments)[::-1]
    labels = [f"{fmt_int(s.size)} ({fmt_pct(s.share)})" for s in segs]
    fig = go.Figure(
        go.Bar(
            x=[s.size for s in segs],
            y=list(range(len(segs))),
            orientation="h",
            marker={"color": [color(s.colour) for s in segs]},
            text=labels,
            textposition="outside",
            cliponaxis=False,
            showlegend=False,
            **hover_names([plain(f"{s.name}: {t}") for s, t in zip(segs, labels)]),
        )
    )
    largest = report.largest
    title = f"The largest segment is {largest.name}: {fmt_int(largest.size)} customers ({fmt_pct(largest.share)})"
    fig = layout(fig, title, "Customers", "", legend=False, height=_bar_height(len(segs)), left=NAME_PX + 20)
    right = int(max(textfit.width(t, FONT_SIZE) for t in labels)) + 24  # the values beside the longest bar
    fig.update_layout(margin={"r": right})
    name_axis(fig, "y", [s.name for s in segs], NAME_PX, TICK_SIZE, 2)
    alt = "Bar chart of segment sizes: " + "; ".join(f"{s.name} {fmt_int(s.size)} ({fmt_pct(s.share)})" for s in report.segments)
    return Chart("sizes", title, alt, fig)


def _worth_chart(report: Report) -> Chart | None:
    """Each segment's share of the customers beside its share of the revenue."""
    segs = [s for s in report.segments if s.revenue_share is not None][::-1]
    if not segs:
        return None
    n = len(segs)
    most = max(max(s.share, s.revenue_share or 0.0) for s in segs) * 100
    fig = go.Figure(
        [
            go.Bar(
                x=[s.share * 100 for s in segs], y=[i + 0.2 for i in range(n)], width=0.38, orientation="h", name="Share of customers",
                marker={"color": "#BBBBBB"}, text=[fmt_pct(s.share, 0) for s in segs], textposition="outside", cliponaxis=False,
                **hover_names([plain(f"{s.name}: {fmt_pct(s.share, 0)} of customers") for s in segs]),
            ),
            go.Bar(
                x=[(s.revenue_share or 0.0) * 100 for s in segs], y=[i - 0.2 for i in range(n)], width=0.38, orientation="h", name="Share of revenue",
                marker={"color": [color(s.colour) for s in segs]}, text=[fmt_pct(s.revenue_share or 0.0, 0) for s in segs], textposition="outside", cliponaxis=False,
                **hover_names([plain(f"{s.name}: {fmt_pct(s.revenue_share or 0.0, 0)} of revenue") for s in segs]),
            ),
        ]
    )
    top = max(segs, key=lambda s: (s.revenue_share or 0.0, s.size))
    title = f"{top.name}: {fmt_pct(top.share, 0)} of customers, {fmt_pct(top.revenue_share or 0.0, 0)} of revenue"
    fig = layout(fig, title, "Share (%)", "", height=max(260, 110 + 56 * n), left=NAME_PX + 20)
    fig.update_layout(barmode="overlay", legend={"traceorder": "normal"})
    fig.update_xaxes(range=[0, most * 1.18])  # the values beside the longest bar stay inside the plot, clear of the legend
    name_axis(fig, "y", [s.name for s in segs], NAME_PX, TICK_SIZE, 2)
    alt = "Share of customers and of revenue per segment: " + "; ".join(
        f"{s.name} {fmt_pct(s.share, 0)} of customers, {fmt_pct(s.revenue_share or 0.0, 0)} of revenue" for s in report.segments if s.revenue_share is not None
    )
    return Chart("worth", title, alt, fig)


def _spread_chart(report: Report) -> Chart | None:
    """The distribution, per segment, of the feature that separates them most."""
    kinds = {m.name: m.kind for m in ms.readings(report).measures}
    spread = {f: v for f, v in report.profile.separation.items() if kinds.get(f) == ms.MEAN}  # a box of mostly zeros says nothing
    if not spread:
        return None
    name = max(spread, key=lambda f: (spread[f], -report.features.roles.index(f)))
    frame = report.table.frame
    idx = _sample(len(frame), report.presentation.seed)
    values = frame[name].to_numpy()[idx]
    labels = report.clustering.labels[idx]
    d = report.presentation.display(name)
    scale = 100.0 if d.percent else 1.0
    segs = list(report.segments)
    fig = go.Figure()
    for i, seg in enumerate(segs):
        fig.add_trace(go.Box(y=values[labels == seg.id] * scale, x0=i, name=plain(seg.name), marker={"color": color(seg.colour)}, boxmean=False))
    highest = max(segs, key=lambda s: (s.means.get(name, 0.0), -s.id))
    title = f"{d.label} by segment: highest in {highest.name} (average {fmt_role(highest.means[name], d)})"
    col_px = (WIDTH - 90) / max(len(segs), 1)
    fig = layout(fig, title, "", axis_title(d), legend=False, bottom=20 + 16 * 3)
    head_lines = name_axis(fig, "x", [s.name for s in segs], col_px, TICK_SIZE, 3)
    fig.update_layout(margin={"b": 20 + 16 * head_lines})
    fig.update_xaxes(tickangle=0)
    shown = values[~np.isnan(values)] * scale if len(values) else values
    if _transform(report, name) == "log" and len(shown) and np.min(shown) > 0:
        log_axis(fig, "y", float(np.min(shown)), float(np.max(shown)))
    alt = f"Box plots of {d.label.lower()} per segment: " + "; ".join(f"{s.name} average {fmt_role(s.means[name], d)}" for s in segs if name in s.means)
    return Chart("spread", title, alt, fig)


def _mix_chart(report: Report) -> Chart | None:
    """Shares of a descriptive attribute (gender, ...) per segment: described, never clustered."""
    attrs = [a for a in report.table.attributes if any(a in s.mixes for s in report.segments)]
    if not attrs:
        return None
    attr = attrs[0]
    values = sorted({v for s in report.segments for v in s.mixes.get(attr, {})})[:9]
    shades = ["#4D4D4D", "#A6A6A6", "#D9D9D9", "#7F7F7F", "#BFBFBF", "#5F5F5F", "#E6E6E6", "#8C8C8C", "#333333"]
    segs = list(report.segments)[::-1]
    label = report.presentation.display(attr).label
    fig = go.Figure()
    for i, (v, legend) in enumerate(zip(values, legend_names(values))):
        shares = [s.mixes.get(attr, {}).get(v, 0) for s in segs]
        fig.add_trace(
            go.Bar(
                x=[100 * share for share in shares],
                y=list(range(len(segs))),
                orientation="h",
                name=legend,
                marker={"color": shades[i % len(shades)], "line": {"color": "#FFFFFF", "width": 1}},
                text=[plain(f"{v} {fmt_pct(share, 0)}") for share in shares],  # the value named where it fits: greys alone are hard to match
                textposition="inside",
                insidetextanchor="middle",
                textangle=0,
                textfont={"color": "#FFFFFF" if shades[i % len(shades)] in ("#4D4D4D", "#5F5F5F", "#7F7F7F", "#333333") else "#111111"},
                **hover_names([plain(f"{s.name}: {fmt_pct(share, 0)} {v}") for s, share in zip(segs, shares)]),
            )
        )
    title = f"{label} mix by segment"
    fig = layout(fig, title, "Share of the segment (%)", "", height=_bar_height(len(segs)), left=NAME_PX + 20)
    fig.update_layout(barmode="stack", legend={"title": {"text": plain(label)}}, uniformtext={"minsize": 10, "mode": "hide"})
    name_axis(fig, "y", [s.name for s in segs], NAME_PX, TICK_SIZE, 2)
    fig.update_xaxes(range=[0, 100])
    alt = f"Stacked bars of {label.lower()} shares per segment: " + "; ".join(
        f"{s.name} " + ", ".join(f"{fmt_pct(share, 0)} {v}" for v, share in s.mixes.get(attr, {}).items()) for s in report.segments
    )
    return Chart("mix", title, alt, fig)


def _k_chart(report: Report) -> Chart | None:
    c = report.clustering
    if not c.k_curve:
        return None
    ks = [p.k for p in c.k_curve]
    sil = [p.silhouette for p in c.k_curve]
    fig = go.Figure(go.Scatter(x=ks, y=sil, mode="lines+markers", line={"color": "#555555"}, marker={"size": 8}, showlegend=False))
    k = c.clusters_k  # K-Means' own k (segments formed by name may number more or fewer)
    chosen = dict(zip(ks, sil)).get(k)
    best = max(zip(sil, [-n for n in ks]))  # the highest silhouette, the smaller k on a tie
    if chosen is None:
        title = "Silhouette by number of segments"
    elif -best[1] == k:
        title = f"k = {k} separates the customers best (silhouette {fmt_num(chosen)})"
    else:  # other votes chose it (stability, segment sizes): the title must not claim the best silhouette
        title = f"k = {k} chosen (silhouette {fmt_num(chosen)}); by silhouette alone k = {-best[1]} separates best ({fmt_num(best[0])})"
    if k != c.k:
        title += f"; the {c.k} segments were then formed by name"
    if chosen is not None:
        fig.add_trace(go.Scatter(x=[k], y=[chosen], mode="markers", marker={"size": 16, "color": "#332288", "symbol": "star"}, name=f"chosen k = {k}"))
    fig = layout(fig, title, "Number of segments (k)", "Silhouette (higher is better)", height=360)
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
    left = NAME_PX + 20
    col_px = (WIDTH - left - 20) / max(len(ch.columns), 1)
    heads, _ = tick_names(list(ch.columns), col_px, TICK_SIZE, 3)
    most = float(counts.max()) if counts.size else 0.0
    shade = [[blend("#F7FBFF", "#2166AC", v / most if most else 0.0) for v in row] for row in counts]
    fig = go.Figure()
    title = f"Where customers went since {period_label(ch.previous_period)}: {stayed}"
    bottom = 36 + 16 * max(textfit.count_lines(h) for h in heads)
    fig = layout(fig, title, "This month", "Last month", legend=False, height=max(300, 120 + bottom + 34 * len(ch.rows)), left=left, bottom=bottom)
    cell_grid(
        fig, shade, [[fmt_int(v) if v else "" for v in row] for row in counts],
        [[plain(f"From {r} to {c}: {fmt_int(v)}") for c, v in zip(ch.columns, row)] for r, row in zip(ch.rows, counts)], TICK_SIZE,
        [["#FFFFFF" if most and v / most > 0.55 else "#111111" for v in row] for row in counts],
    )
    name_axis(fig, "x", list(ch.columns), col_px, TICK_SIZE, 3)
    name_axis(fig, "y", list(ch.rows), NAME_PX, TICK_SIZE, 2)
    fig.update_xaxes(tickangle=0, side="bottom")
    alt = "Migration matrix, customers matched by id: " + "; ".join(
        f"from {r} to {c}: {fmt_int(v)}" for r, row in zip(ch.rows, ch.counts) for c, v in zip(ch.columns, row) if v
    )
    return Chart("migration", title, alt, fig)


def build_charts(report: Report) -> list[Chart]:
    """The report's charts, in reading order; charts without data (no age column, say) are left out. The
    customers-against-revenue chart takes the sizes chart's place where there is revenue: it shows each
    segment's share of the customers too, and the summary's table gives their number."""
    charts = [
        _map_chart(report), _worth_chart(report) or _sizes_chart(report), profile_chart(report), categories_chart(report), _spread_chart(report),
        _mix_chart(report),
        _migration_chart(report), _k_chart(report),
    ]
    return [c for c in charts if c is not None]


__all__ = ["HEIGHT", "WIDTH", "Chart", "build_charts"]
