"""Report -> plain values (numbers, strings, lists) for the templates and the chart builders.

This is the only place that decides what the reader sees and in which words; it does no analysis.
"""

from __future__ import annotations

import calendar
from typing import Any

from ..config import RoleDisplay
from ..model import Report, Segment
from .fmt import color, fmt_int, fmt_num, fmt_pct, fmt_role, text_on

ROLE_ORDER = ("age", "income", "spending")


def axis_title(display: RoleDisplay) -> str:
    unit = f"{display.prefix}{display.suffix}".strip()
    return f"{display.label} ({unit})" if unit else display.label


def period_label(period: str) -> str:
    year, month = period.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


def _map_axes(report: Report) -> tuple[str, str] | None:
    roles = [r for r in ("income", "spending", "age") if r in report.population]
    return (roles[0], roles[1]) if len(roles) >= 2 else None


def _minimap(report: Report, seg: Segment) -> dict[str, Any] | None:
    """Where the segment's centre sits among all centres, as 0..1 coordinates for a small SVG."""
    axes = _map_axes(report)
    if axes is None:
        return None
    xr, yr = axes
    xs = [s.centroid.get(xr) for s in report.segments]
    ys = [s.centroid.get(yr) for s in report.segments]
    if None in xs or None in ys:
        return None
    lo_x, hi_x = min(xs), max(xs)  # type: ignore[type-var]
    lo_y, hi_y = min(ys), max(ys)  # type: ignore[type-var]

    def norm(v: float, lo: float, hi: float) -> float:
        return 0.5 if hi == lo else round(0.08 + 0.84 * (v - lo) / (hi - lo), 4)

    # Pixel positions inside the 260 x 170 mini-map drawn by templates/_macros.html.j2.
    points = [
        {
            "x": round(40 + 210 * norm(s.centroid[xr], lo_x, hi_x), 1),
            "y": round(150 - 140 * norm(s.centroid[yr], lo_y, hi_y), 1),
            "r": round(4 + 14 * (s.share**0.5), 2),
            "color": color(s.id) if s.id == seg.id else "#C8C8C8",
            "current": s.id == seg.id,
            "name": s.name,
        }
        for s in report.segments
    ]
    points.sort(key=lambda p: p["current"])  # the current segment is drawn last, on top
    d = report.settings.display
    return {"x_label": axis_title(d[xr]), "y_label": axis_title(d[yr]), "points": points}


def _segment(report: Report, seg: Segment) -> dict[str, Any]:
    display = report.settings.display
    c = color(seg.id)
    measures = [
        {
            "role": role,
            "label": display[role].label,
            "value": fmt_role(seg.centroid[role], display[role]),
            "average": fmt_role(report.population[role], display[role]),
            "level": seg.levels.get(role, ""),
        }
        for role in ROLE_ORDER
        if role in seg.centroid and role in report.population
    ]
    campaigns = [
        {
            "name": cp.name,
            "objective": cp.objective,
            "channels": ", ".join(cp.channels),
            "offer": cp.offer,
            "kpi": cp.kpi,
            "budget": fmt_pct(cp.budget_share, 0),
            "tone": cp.tone,
        }
        for cp in seg.campaigns
    ]
    gender = ", ".join(f"{fmt_pct(share, 0)} {g.lower()}" for g, share in sorted(seg.gender_mix.items(), key=lambda kv: -kv[1]))
    return {
        "id": seg.id,
        "name": seg.name,
        "color": c,
        "text_color": text_on(c),
        "size": fmt_int(seg.size),
        "share": fmt_pct(seg.share),
        "profile": seg.profile,
        "description": seg.description,
        "measures": measures,
        "gender": gender,
        "campaigns": campaigns,
        "top_campaign": campaigns[0]["name"] if campaigns else "",
        "map": _minimap(report, seg),
    }


def _quality(report: Report) -> dict[str, Any]:
    t = report.table
    return {
        "source": t.source.name,
        "checksum": t.checksum[:12],
        "n_read": fmt_int(t.n_read),
        "n_used": fmt_int(len(t.frame)),
        "n_dropped": fmt_int(t.n_dropped),
        "columns": [{"role": role, "column": col} for role, col in t.columns.items()],
        "issues": [
            {
                "column": i.column,
                "reason": i.reason,
                "rows": fmt_int(i.rows),
                "lines": ", ".join(str(n) for n in i.examples) + (" …" if i.rows > len(i.examples) else ""),
                "effect": "row dropped" if i.dropped else "value ignored",
            }
            for i in t.issues
        ],
        "notes": list(t.notes),
    }


def build(report: Report) -> dict[str, Any]:
    """Everything the templates need, already worded and formatted."""
    s = report.settings
    c = report.clustering
    largest, valuable = report.largest, report.most_valuable
    segments = [_segment(report, seg) for seg in report.segments]
    spend = s.display.get("spending")
    valuable_spend = fmt_role(valuable.centroid["spending"], spend) if spend and "spending" in valuable.centroid else ""
    return {
        "title": s.report.title,
        "organisation": s.report.organisation,
        "period": report.period,
        "period_label": period_label(report.period),
        "n_customers": fmt_int(len(report.table.frame)),
        "k": c.k,
        "k_auto": c.k_auto,
        "features": [s.display[r].label for r in report.features.roles],
        "largest": {"name": largest.name, "color": color(largest.id), "size": fmt_int(largest.size), "share": fmt_pct(largest.share)},
        "most_valuable": {"name": valuable.name, "color": color(valuable.id), "spending": valuable_spend, "share": fmt_pct(valuable.share)},
        "segments": segments,
        "metrics": {
            "silhouette": fmt_num(c.silhouette),
            "davies_bouldin": fmt_num(c.davies_bouldin),
            "calinski_harabasz": fmt_num(c.calinski_harabasz, 1),
        },
        "k_curve": [{"k": p.k, "silhouette": fmt_num(p.silhouette, 3), "chosen": p.k == c.k} for p in c.k_curve],
        "k_range": f"{s.clustering.k_min}–{max((p.k for p in c.k_curve), default=s.clustering.k_max)}",
        "seed": s.clustering.seed,
        "n_init": s.clustering.n_init,
        "levels": [
            {"role": s.display[r].label if r in s.display else r, "cuts": ", ".join(fmt_role(v, s.display[r]) for v in cuts)}
            for r, cuts in report.level_cuts.items()
        ],
        "quality": _quality(report),
        "warnings": list(report.warnings),
    }
