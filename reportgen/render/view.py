"""Report -> plain values (numbers, strings, lists) for the templates and the chart builders.

This is the only place that decides what the reader sees and in which words; it does no analysis.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..vocabulary import SENSITIVE_BY_DEFAULT
from ..model import STABLE, Display, Report, Segment
from ..stages.members import HOLDS
from ..stages.recommend import OTHER_PRODUCTS
from . import measures as ms
from . import advice, monthly, onepage, wording
from .fmt import color, fmt_int, fmt_num, fmt_pct, fmt_role, fmt_times, text_on
from .measures import display_for, fmt_money, shown_features
from .monthly import change_sentences, period_label  # noqa: F401  (documents and charts read them here)
from .textfit import shorten
from .wording import reliability

MAX_MEASURES = 16  # numeric rows on a segment page: it must stay one page
MAX_CATEGORIES = 8  # rows of its "What they buy" table


def axis_title(display: Display) -> str:
    unit = "%" if display.percent else f"{display.prefix}{display.suffix}".strip()
    said = unit.lower() in display.label.lower().split()  # "Days since last purchase" needs no "(days)"
    return f"{display.label} ({unit})" if unit and not said else display.label


def map_axes(report: Report) -> tuple[str, str] | None:
    """The two features of the segment map: the settings' choice, else the two clustered features
    that separate the segments most (then other features, for a single clustered one)."""
    chosen = report.presentation.map
    if chosen and all(f in report.population for f in chosen):
        return chosen[0], chosen[1]
    sep = report.profile.separation
    clustered = sorted((f for f in report.features.roles if f in report.population), key=lambda f: (-sep.get(f, 0.0), report.features.roles.index(f)))
    others = [f for f in shown_features(report) if f not in clustered]
    ordered = clustered + others
    return (ordered[0], ordered[1]) if len(ordered) >= 2 else None


def _minimap(report: Report, seg: Segment) -> dict[str, Any] | None:
    """Where the segment's centre sits among all centres, as 0..1 coordinates for a small SVG."""
    axes = map_axes(report)
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
            "color": color(s.colour) if s.id == seg.id else "#C8C8C8",
            "current": s.id == seg.id,
            "name": s.name,
        }
        for s in report.segments
    ]
    points.sort(key=lambda p: p["current"])  # the current segment is drawn last, on top
    d = lambda f: display_for(report, f)  # noqa: E731
    # 10-px labels along the 228 x 156 frame, shortened to fit it (the arrow included)
    return {"x_label": shorten(axis_title(d(xr)), 210, 10), "y_label": shorten(axis_title(d(yr)), 140, 10), "points": points}


def _bound(report: Report, f: str, cut: float, above: bool) -> str:
    """A level's edge as the reader sees it: a cut halfway between whole numbers (1.5 orders) is the
    whole number on the level's side of it."""
    d = display_for(report, f)
    if abs(cut * 2 - round(cut * 2)) < 1e-9 and round(cut * 2) % 2 == 1:
        cut = cut + 0.5 if above else cut - 0.5
        d = replace(d, decimals=0) if not d.percent else d
    return fmt_role(cut, d)


def _spread_words(report: Report, seg: Segment, f: str, shares: tuple[float, ...]) -> str:
    """No one level holds most of the segment's customers: the range of levels that does."""
    cuts = report.level_cuts.get(f, ())
    lo = hi = max(range(len(shares)), key=lambda i: (shares[i], -i))
    while sum(shares[lo : hi + 1]) < HOLDS:
        below = shares[lo - 1] if lo > 0 else -1.0
        above = shares[hi + 1] if hi + 1 < len(shares) else -1.0
        if above >= below:
            hi += 1
        else:
            lo -= 1
    label = report.presentation.display(f).label.lower()
    low = _bound(report, f, cuts[lo - 1], above=True) if lo > 0 and lo - 1 < len(cuts) else None
    high = _bound(report, f, cuts[hi], above=False) if hi < len(cuts) else None
    held = fmt_pct(sum(shares[lo : hi + 1]), 0)
    if low is None and high is None:  # it takes every level to hold most of them: nothing to say ('age up to None')
        return ""
    if f == "recency_days":
        where = f"{low}–{high} ago" if low and high else (f"over {low} ago" if low else f"within {high}")
        return f"last bought {where} ({held} of them)"
    where = f"{low}–{high}" if low and high else (f"{low} or more" if low else f"up to {high}")
    return f"{label} {where} ({held} of them)"


def _level_words(report: Report, seg: Segment) -> str:
    """The profile: each level's phrase with the number behind it ("bought recently (typically 23
    days ago)"). A phrase is the level most of the segment's own customers are at (at least the share
    a name must hold for); where their levels spread wider, the range that holds most of them."""
    parts = []
    transforms = dict(zip(report.features.roles, report.features.transforms))
    for f, phrase in seg.phrases.items():
        value = seg.centroid.get(f, seg.means.get(f))
        shares = seg.level_shares.get(f, ())
        if shares and seg.level_phrases.get(f):
            top = max(range(len(shares)), key=lambda i: (shares[i], -i))
            if shares[top] < HOLDS:
                spread = _spread_words(report, seg, f, shares)
                if spread:
                    parts.append(spread)
                continue
            phrase = seg.level_phrases[f][top]
        if value is None:
            parts.append(phrase)
            continue
        shown = fmt_role(value, display_for(report, f))
        if f == "recency_days":
            shown = f"last purchase {shown} ago"
        typical = transforms.get(f, "linear") != "linear"
        parts.append(f"{phrase} ({'typically ' if typical else ''}{shown}{'' if typical else ' on average'})")
    return ", ".join(parts) if parts else seg.profile


def _categories(report: Report, seg: Segment) -> tuple[list[dict[str, Any]], str, str]:
    """The category rows (most bought against the average first), the sentence that leads them, and
    what the table leaves out. Category and product names stay as the shop writes them."""
    ranked = sorted(seg.category_index, key=lambda k: (-seg.category_index[k], k))
    rows = [
        {"name": k, "share": fmt_pct(seg.mix.get(k, 0.0), 0), "index": fmt_times(seg.category_index[k]), "top": i == 0}
        for i, k in enumerate(ranked[:MAX_CATEGORIES])
    ]
    rest = len(ranked) - MAX_CATEGORIES
    more = f"{rest} more, each bought at {fmt_times(seg.category_index[ranked[MAX_CATEGORIES]])} the average or less." if rest > 0 else ""
    other = seg.mix.get(OTHER_PRODUCTS)
    if rows and other:  # the rest of their spend, so the shares add up to the whole
        rows.append({"name": OTHER_PRODUCTS if report.table.kind == "transactions" else "Everything else", "share": fmt_pct(other, 0), "index": "", "top": False})
    if not ranked:
        return rows, "", more
    top = ranked[0]
    ratio = seg.category_index[top]
    if ratio >= 1.05:
        lead = f"Per customer, they spend {fmt_times(ratio)} as much on {top} as the average customer."
    else:
        lead = f"They spend less than the average customer on every category; relatively most on {top} ({fmt_times(ratio)})."
    return rows, lead, more


def _measure_rows(report: Report, readings: ms.Readings, seg: Segment, most: int = MAX_MEASURES) -> tuple[list[dict[str, Any]], str]:
    shown, rest = ms.for_segment(report, readings, seg, most)
    rows = [
        {
            "role": m.name,
            "label": m.heading,
            "value": ms.text(report, m, ms.value(report, m, seg)),
            "average": ms.text(report, m, ms.value(report, m)),
            "level": seg.levels.get(m.name, ""),
            "clustered": m.clustered,
        }
        for m in shown
    ]
    more = ("Also profiled, nearer the average here: " + ", ".join(m.label for m in rest) + ".") if rest else ""
    return rows, more


def _segment(report: Report, seg: Segment, readings: ms.Readings) -> dict[str, Any]:
    display = lambda f: display_for(report, f)  # noqa: E731
    c = color(seg.colour)
    measures, more_measures = _measure_rows(report, readings, seg)
    categories, highlight, more_categories = _categories(report, seg)
    shares = {(a.segment_id, a.campaign): a.budget_share for a in report.actions}  # of the month's budget, all campaigns adding up to 100%
    campaigns = [
        {
            "name": cp.name,
            "objective": cp.objective,
            "channels": ", ".join(cp.channels),
            "offer": cp.offer,
            "kpi": cp.kpi,
            "budget": fmt_pct(shares.get((seg.id, cp.name), 0.0), 0),
            "tone": cp.tone,
        }
        for cp in seg.campaigns
    ]
    attributes = [
        {"label": display(a).label, "text": ", ".join(f"{fmt_pct(share, 0)} {v}" for v, share in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))[:5])}
        for a, mix in seg.mixes.items()
    ]
    stability = report.trust.stability[seg.id] if report.trust and seg.id < len(report.trust.stability) else None
    reliable = reliability(stability)
    page = {
        "id": seg.id,
        "stability": reliable["figure"],
        "stability_word": reliable["word"],
        "stability_verdict": reliable["verdict"],  # "this segment ..."
        "reliability": reliable["sentence"],
        "unstable": reliable["tentative"],
        "name": seg.name,
        "color": c,
        "text_color": text_on(c),
        "size": fmt_int(seg.size),
        "share": fmt_pct(seg.share),
        "share_short": fmt_pct(seg.share, 0),
        "revenue": fmt_money(report, seg.revenue) if seg.revenue is not None else "",
        "revenue_share": fmt_pct(seg.revenue_share, 0) if seg.revenue_share is not None else "",
        "name_fit": fmt_pct(seg.name_fit, 0) if seg.name_fit is not None else "",
        "name_weak": seg.name_fit is not None and seg.name_fit < HOLDS,
        "profile": _level_words(report, seg),
        "description": seg.description,
        "measures": measures,
        "more_measures": more_measures,
        "attributes": attributes,
        "categories": categories,
        "category_highlight": highlight,
        "more_categories": more_categories,
        "campaigns": campaigns,
        "top_campaign": campaigns[0]["name"] if campaigns else "",
        "top_objective": campaigns[0]["objective"] if campaigns else "",
        "map": _minimap(report, seg),
        "outlook": advice.outlook(report, seg),
        "evidence": advice.evidence(report, seg),
    }
    fit = onepage.segment_fit(page, sum(1 for m in measures if m["clustered"]))  # its page must hold it
    if fit["measures"] < len(measures):
        page["measures"], page["more_measures"] = _measure_rows(report, readings, seg, fit["measures"])
    ranked = [c for c in categories if c["index"]]  # most bought against the average first; "Other products" last
    if fit["categories"] < len(ranked):
        kept, rest = ranked[: fit["categories"]], ranked[fit["categories"]:]
        page["categories"] = kept + [c for c in categories if not c["index"]]
        page["more_categories"] = f"Also bought, each at {rest[0]['index']} the average or less: {', '.join(c['name'] for c in rest)}."
    return page | {"map_side": fit["map_side"], "map": page["map"] if fit["map"] else None}


def _is_sensitive(report: Report, name: str) -> bool:
    return name in report.presentation.sensitive


def _worth(report: Report) -> dict[str, Any] | None:
    """Each segment's share of customers against its share of revenue, richest first."""
    ranked = sorted((seg for seg in report.segments if seg.revenue_share is not None), key=lambda seg: (-(seg.revenue_share or 0.0), seg.id))
    if not ranked or report.naming is None or report.naming.value_feature is None:
        return None
    rows = [
        {"name": seg.name, "color": color(seg.colour), "customers": fmt_pct(seg.share, 0), "revenue_share": fmt_pct(seg.revenue_share or 0.0, 0), "revenue": fmt_money(report, seg.revenue or 0.0)}
        for seg in ranked
    ]
    top = rows[0]
    label = report.presentation.display(report.naming.value_feature).label.lower()
    total = fmt_money(report, sum(seg.revenue or 0.0 for seg in report.segments))
    return {
        "rows": rows,
        "sentence": f"{top['name']}: {top['customers']} of customers, {top['revenue_share']} of revenue.",
        "basis": f"A segment's revenue is the sum of its customers' {label} ({total} over all customers analysed).",
        "currency_missing": not report.presentation.currency,
    }


def build(report: Report) -> dict[str, Any]:
    """Everything the templates need, already worded and formatted."""
    s = report.presentation
    c = report.clustering
    largest, valuable = report.largest, report.most_valuable
    readings = ms.readings(report)
    segments = [_segment(report, seg, readings) for seg in report.segments]
    value = report.value_feature
    shown = display_for(report, value) if value else None
    valuable_value = fmt_role(valuable.means[value], shown) if shown and value in valuable.means else ""
    f = report.features
    scaling = [
        {
            "label": s.display(name).label,
            "transform": {"linear": "as is", "log": "logarithm", "rank": "rank"}[how],
            "skew": fmt_num(skew, 1),
            "why": ("chosen from the skew" if auto else "set in the settings"),
        }
        for name, how, skew, auto in zip(f.roles, f.transforms, f.skew, f.automatic)
    ]
    sensitive = [s.display(n).label for n in f.roles if n in SENSITIVE_BY_DEFAULT or _is_sensitive(report, n)]
    context = {
        "title": s.title,
        "organisation": s.organisation,
        "accent": s.accent,
        "accent_text": text_on(s.accent),
        "period": report.period,
        "period_label": period_label(report.period),
        "n_customers": fmt_int(report.table.n_customers),
        "k": c.k,
        "k_auto": c.k_auto,
        "features": [s.display(r).label for r in report.features.roles],
        "scaling": scaling,
        "sensitive": sensitive,
        "largest": {
            "name": largest.name, "color": color(largest.colour), "size": fmt_int(largest.size), "share": fmt_pct(largest.share),
            "label": onepage.headline_label(f"in the largest, {largest.name}"),
        },
        "most_valuable": {
            "name": valuable.name,
            "color": color(valuable.colour),
            "value": valuable_value,
            "value_label": shown.label.lower() if shown else "",
            "share": fmt_pct(valuable.share),
            "label": onepage.headline_label(
                f"average {shown.label.lower()} of the most valuable, {valuable.name}" if valuable_value and shown else f"of customers in the most valuable, {valuable.name}"
            ),
        },
        "segments": segments,
        "metrics": {
            "silhouette": fmt_num(c.silhouette),
            "davies_bouldin": fmt_num(c.davies_bouldin),
            "calinski_harabasz": fmt_num(c.calinski_harabasz, 1),
        },
        "k_curve": [{"k": p.k, "silhouette": fmt_num(p.silhouette, 3), "chosen": p.k == c.clusters_k} for p in c.k_curve],
        "k_range": f"{s.k_min}–{max((p.k for p in c.k_curve), default=s.k_max)}",
        "seed": s.seed,
        "n_init": s.n_init,
        "levels": [
            {"role": s.display(r).label, "cuts": ", ".join(fmt_role(v, display_for(report, r)) for v in cuts)}
            for r, cuts in report.level_cuts.items()
        ],
        "worth": _worth(report),
        "actions": advice.actions(report),
        "forecast": advice.forecast(report),
        "stable_from": fmt_num(STABLE),  # the stability from which a segment holds, as the templates say it
        "naming": wording.naming(report),
        "quality": wording.quality(report),
        "confidence": wording.trust(report),
        "k_reasons": list(c.k_reasons),
        "warnings": list(report.warnings),
        # the summary's table marks each segment whose name holds for too few of its customers, beside
        # its numbers: its list of warnings leaves out those one-per-segment repeats (the pipeline's words)
        "summary_warnings": [w for w in report.warnings if not any(w.startswith(f"'{seg.name}' holds for only") for seg in report.segments)],
        "changes": monthly.changes(report),
        "left_out_measures": ms.left_out_sentence(readings),
        "revenue_shares": any(seg["revenue_share"] for seg in segments),
    }
    lead = (
        f"We analysed {context['n_customers']} customers for {context['period_label']} and found {c.k} segments. The largest is {largest.name} "
        f"({fmt_int(largest.size)} customers, {fmt_pct(largest.share)}); the most valuable is {valuable.name}, with an average value of {valuable_value} "
        f"({fmt_pct(valuable.share)} of customers)."
    )
    fit = onepage.fit(context, lead)
    brief = lambda name: fit["names"].get(name, name)  # noqa: E731  (the summary page's name for a segment)
    for seg in segments:
        seg["table_name"] = brief(seg["name"])
    for key in ("largest", "most_valuable"):
        context[key]["summary_name"] = brief(context[key]["name"])
    for row in context["actions"]["rows"]:
        row["summary_segment"] = brief(row["segment"])
    if context["worth"]:
        sentence = context["worth"]["sentence"]
        context["worth"]["summary_sentence"] = next((sentence.replace(full, b) for full, b in fit["names"].items() if sentence.startswith(full)), sentence)
    return context | {"summary_fit": fit}
