"""Report -> plain values (numbers, strings, lists) for the templates and the chart builders.

This is the only place that decides what the reader sees and in which words; it does no analysis.
"""

from __future__ import annotations

import calendar
from typing import Any

from ..config import Display
from ..vocabulary import SENSITIVE_BY_DEFAULT
from ..model import DISSOLVES, STABLE, Report, Segment
from ..stages.members import HOLDS
from ..stages.recommend import OTHER_PRODUCTS
from .fmt import color, fmt_int, fmt_num, fmt_pct, fmt_role, fmt_times, text_on


def display_for(report: Report, name: str) -> Display:
    """How a feature reads in this report: its display settings, with the report's currency on money
    and a yes/no (0/1) feature shown as the share of customers with the trait."""
    d = report.settings.display_of(name)
    if name in report.profile.binary and not d.percent:
        return d.model_copy(update={"percent": True, "decimals": 0, "prefix": "", "suffix": ""})
    currency = report.settings.report.currency
    if currency and _is_money(report, name) and not d.prefix:
        sign = currency if not currency.isalpha() else f"{currency} "
        return d.model_copy(update={"prefix": sign, "money": True})
    return d


def _is_money(report: Report, name: str) -> bool:
    d = report.settings.display_of(name)
    naming = report.naming
    return (
        d.money
        or (naming is not None and name == naming.value_feature)
        or name in report.table.categories.values()
        or (report.table.kind == "transactions" and name.startswith("spend_"))
    )


def fmt_money(report: Report, value: float) -> str:
    """An amount in the report's currency: '£1,234'."""
    currency = report.settings.report.currency
    sign = "" if not currency else (currency if not currency.isalpha() else f"{currency} ")
    return f"{sign}{value:,.0f}"


def axis_title(display: Display) -> str:
    unit = "%" if display.percent else f"{display.prefix}{display.suffix}".strip()
    said = unit.lower() in display.label.lower().split()  # "Days since last purchase" needs no "(days)"
    return f"{display.label} ({unit})" if unit and not said else display.label


def shown_features(report: Report) -> list[str]:
    """Numeric features in reading order: the clustered ones first, then the others."""
    clustered = [f for f in report.features.roles if f in report.population]
    categories = set(report.table.categories.values())  # shown in the category table instead
    return clustered + [f for f in report.table.numeric if f in report.population and f not in clustered and f not in categories]


def period_label(period: str) -> str:
    year, month = period.split("-")
    return f"{calendar.month_name[int(month)]} {year}"


def map_axes(report: Report) -> tuple[str, str] | None:
    """The two features of the segment map: the settings' choice, else the two clustered features
    that separate the segments most (then other features, for a single clustered one)."""
    chosen = report.settings.map
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
    return {"x_label": axis_title(display_for(report, xr)), "y_label": axis_title(display_for(report, yr)), "points": points}


def _bound(report: Report, f: str, cut: float, above: bool) -> str:
    """A level's edge as the reader sees it: a cut halfway between whole numbers (1.5 orders) is the
    whole number on the level's side of it."""
    d = display_for(report, f)
    if abs(cut * 2 - round(cut * 2)) < 1e-9 and round(cut * 2) % 2 == 1:
        cut = cut + 0.5 if above else cut - 0.5
        d = d.model_copy(update={"decimals": 0}) if not d.percent else d
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
    label = report.settings.display_of(f).label.lower()
    low = _bound(report, f, cuts[lo - 1], above=True) if lo > 0 and lo - 1 < len(cuts) else None
    high = _bound(report, f, cuts[hi], above=False) if hi < len(cuts) else None
    held = fmt_pct(sum(shares[lo : hi + 1]), 0)
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
                parts.append(_spread_words(report, seg, f, shares))
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


def _outlook(report: Report, seg: Segment) -> str:
    """Order logs: what the models expect of the segment's customers, in one sentence."""
    if seg.expected_orders_90d is None or seg.p_active is None:
        return ""
    value = f", worth {fmt_money(report, seg.expected_value_12m)} over the next 12 months" if seg.expected_value_12m is not None else ""
    return (
        f"Expected: {fmt_int(seg.expected_orders_90d)} orders from these customers in the next 90 days{value}; "
        f"on average {fmt_pct(seg.p_active, 0 if seg.p_active < 0.995 else 1)} of them are still active (repeat-purchase models, see the appendix)."
    )


def _evidence(report: Report, seg: Segment) -> str:
    """Past campaigns: how this segment answered, against all customers."""
    cols = report.settings.responses
    if not cols or not seg.responses:
        return ""
    last = cols[-1]
    label = report.settings.display_of(last).label
    text = f"Answered the last campaign ({label}): {fmt_pct(seg.responses.get(last, 0.0), 0)} against {fmt_pct(report.response_rates.get(last, 0.0), 0)} overall."
    earlier = [c for c in cols[:-1] if c in seg.responses]
    if earlier:
        text += " Earlier campaigns: " + "; ".join(
            f"{report.settings.display_of(c).label} {fmt_pct(seg.responses[c], 0)} ({fmt_pct(report.response_rates.get(c, 0.0), 0)} overall)" for c in earlier
        ) + "."
    return text


def _segment(report: Report, seg: Segment) -> dict[str, Any]:
    display = lambda f: display_for(report, f)  # noqa: E731
    c = color(seg.colour)
    measures = [
        {
            "role": f,
            "label": display(f).label,
            "value": fmt_role(seg.means[f], display(f)),
            "average": fmt_role(report.population[f], display(f)),
            "level": seg.levels.get(f, ""),
            "clustered": f in report.features.roles,
        }
        for f in shown_features(report)
        if f in seg.means
    ]
    ranked = sorted(seg.category_index, key=lambda k: (-seg.category_index[k], k))
    categories = [
        {"name": k, "share": fmt_pct(seg.mix.get(k, 0.0), 0), "index": fmt_times(seg.category_index[k]), "top": i == 0}
        for i, k in enumerate(ranked)
    ]
    other = seg.mix.get(OTHER_PRODUCTS)
    if categories and other:  # the rest of their spend, so the shares add up to the whole
        categories.append({"name": OTHER_PRODUCTS if report.table.kind == "transactions" else "Everything else", "share": fmt_pct(other, 0), "index": "", "top": False})
    highlight = ""
    if ranked:
        top = ranked[0]
        ratio = seg.category_index[top]
        if ratio >= 1.05:
            highlight = f"Buys {fmt_times(ratio)} as much {top.lower()} as the average customer."
        else:
            highlight = f"Spends less than the average customer on every category; relatively most on {top.lower()} ({fmt_times(ratio)})."
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
        {"label": display(a).label, "text": ", ".join(f"{fmt_pct(share, 0)} {str(v).lower()}" for v, share in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))[:5])}
        for a, mix in seg.mixes.items()
    ]
    stability = report.trust.stability[seg.id] if report.trust and seg.id < len(report.trust.stability) else None
    shown = None if stability is None else round(stability, 2)  # judged as printed: 0.7499 reads 0.75, stable
    word = "" if shown is None else ("stable" if shown >= STABLE else ("dissolves when resampled" if shown < DISSOLVES else "unstable"))
    return {
        "id": seg.id,
        "stability": fmt_num(stability, 2) if stability is not None else "",
        "stability_word": word,
        "stability_verdict": {"stable": "is stable", "unstable": "is unstable"}.get(word, word),  # "this segment ..."
        "unstable": shown is not None and shown < STABLE,
        "name": seg.name,
        "color": c,
        "text_color": text_on(c),
        "size": fmt_int(seg.size),
        "share": fmt_pct(seg.share),
        "share_short": fmt_pct(seg.share, 0),
        "revenue": fmt_money(report, seg.revenue) if seg.revenue is not None else "",
        "outlook": _outlook(report, seg),
        "evidence": _evidence(report, seg),
        "revenue_share": fmt_pct(seg.revenue_share, 0) if seg.revenue_share is not None else "",
        "name_fit": fmt_pct(seg.name_fit, 0) if seg.name_fit is not None else "",
        "name_weak": seg.name_fit is not None and seg.name_fit < HOLDS,
        "profile": _level_words(report, seg),
        "description": seg.description,
        "measures": measures,
        "attributes": attributes,
        "categories": categories,
        "category_highlight": highlight,
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
        "n_used": fmt_int(t.n_customers),
        "n_dropped": fmt_int(t.n_dropped),
        "columns": [{"role": role, "column": col} for role, col in t.columns.items()],
        "kind": t.kind,
        "facts": {key: t.facts.get(key, "") for key in ("as_of", "definitions", "dates_to", "item_spend")},
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


def _trust(report: Report) -> dict[str, Any]:
    t = report.trust
    if t is None:
        return {"level": "", "sentence": "", "figures": [], "alternatives": [], "alternatives_sentence": "", "reasons": []}
    c = t.confidence
    return {
        "level": c.level,
        "sentence": t.confidence_sentence,
        "figures": [
            {"name": "Clustering tendency (Hopkins)", "value": fmt_num(c.hopkins), "reading": "about 0.5 for customers without groups, towards 1 for clear groups"},
            {"name": "Silhouette of the segments", "value": fmt_num(c.silhouette), "reading": f"against {fmt_num(c.reference_silhouette)} that K-Means reaches on structureless customers like these"},
            {"name": "Mean stability when resampled", "value": fmt_num(c.stability), "reading": f"0 to 1; {fmt_num(STABLE)} and up: the segments hold on another sample"},
        ],
        "reasons": list(c.reasons),
        "alternatives": [{"method": a.method, "k": a.k, "silhouette": fmt_num(a.silhouette), "agreement": fmt_num(a.agreement)} for a in t.alternatives],
        "alternatives_sentence": t.alternatives_sentence,
    }


def _is_sensitive(report: Report, name: str) -> bool:
    spec = report.settings.columns.get(name)
    return bool(getattr(spec, "sensitive", False))


def _signed(n: float) -> str:
    return f"+{fmt_int(n)}" if n > 0 else ("±0" if n == 0 else f"−{fmt_int(-n)}")


def _changes(report: Report) -> dict[str, Any] | None:
    """The 'What changed' block: plain sentences first, then the table."""
    ch = report.changes
    if ch is None:
        return None
    prev = period_label(ch.previous_period)
    by_name = {s.name: s for s in report.segments}
    if ch.n_now == ch.n_then:
        sentences = [f"Compared with {prev}: {fmt_int(ch.n_now)} customers analysed, as many as then."]
    else:
        sentences = [f"Compared with {prev}: {fmt_int(ch.n_now)} customers analysed, {_signed(ch.n_now - ch.n_then)} on {fmt_int(ch.n_then)}."]
    for s in ch.segments:
        if s.status == "new":
            sentences.append(f"New segment: {s.name} ({fmt_int(s.size_now)} customers, {fmt_pct(s.share_now)}).")
        elif s.status == "renamed":
            why = f"only {fmt_pct(s.old_name_fit, 0)} of them still meet the rule of {s.previous_name} (a name needs {fmt_pct(HOLDS, 0)})" if s.old_name_fit is not None else "the profile of these customers changed"
            sentences.append(f"{s.previous_name} is now called {s.name}: {why}.")
    for name, size in ch.disappeared:
        sentences.append(f"{name} ({fmt_int(size)} customers in {prev}) no longer forms a segment.")
    kept = [s for s in ch.segments if s.share_then is not None and s.size_then is not None]
    for s in sorted(kept, key=lambda s: -abs(s.share_now - (s.share_then or 0)))[:2]:
        delta = s.share_now - (s.share_then or 0)
        if abs(delta) >= 0.01:
            verb = "grew" if delta > 0 else "shrank"
            sentences.append(f"{s.name} {verb} from {fmt_int(s.size_then or 0)} to {fmt_int(s.size_now)} customers ({fmt_pct(s.share_then or 0)} → {fmt_pct(s.share_now)}).")
    returning = ch.stayed + ch.moved
    if returning:
        sentences.append(
            f"Of {fmt_int(returning)} returning customers, {fmt_int(ch.moved)} ({fmt_pct(ch.moved / returning)}) moved to another segment; "
            f"{fmt_int(ch.new_customers)} customers are new and {fmt_int(ch.gone_customers)} have gone."
        )
    display = lambda f: display_for(report, f)  # noqa: E731
    rows = []
    for s in ch.segments:
        seg = by_name[s.name]
        drift = ", ".join(
            f"{display(r).label.lower()} {'+' if v >= 0 else '−'}{fmt_role(abs(v), display(r))}" for r, v in s.drift.items() if abs(v) >= 0.5
        )
        rows.append(
            {
                "name": s.name,
                "color": color(seg.colour),
                "then": fmt_int(s.size_then) if s.size_then is not None else "–",
                "now": fmt_int(s.size_now),
                "change": _signed(s.size_now - s.size_then) if s.size_then is not None else "new",
                "share": f"{fmt_pct(s.share_then)} → {fmt_pct(s.share_now)}" if s.share_then is not None else fmt_pct(s.share_now),
                "status": {"kept": "", "renamed": f"was {s.previous_name}", "new": "new this month"}[s.status],
                "drift": drift or "little change",
            }
        )
    gone = [{"name": name, "then": fmt_int(size)} for name, size in ch.disappeared]
    return {"previous_label": prev, "sentences": sentences, "rows": rows, "disappeared": gone}


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
    label = report.settings.display_of(report.naming.value_feature).label.lower()
    total = fmt_money(report, sum(seg.revenue or 0.0 for seg in report.segments))
    return {
        "rows": rows,
        "sentence": f"{top['name']}: {top['customers']} of customers, {top['revenue_share']} of revenue.",
        "basis": f"A segment's revenue is the sum of its customers' {label} ({total} over all customers analysed).",
        "currency_missing": not report.settings.report.currency,
    }


def _actions(report: Report) -> dict[str, Any]:
    """What to do first: the ranked actions, worded, with the budget they share."""
    budget = report.settings.report.budget
    rows = []
    for i, a in enumerate(report.actions, start=1):
        stake = ""
        if a.value_at_stake is not None:
            what = "expected from them over the next 12 months" if a.basis == "expected_value_12m" else "their revenue"
            stake = f"{fmt_money(report, a.value_at_stake)} {what}"
        response = f"{fmt_pct(a.expected_response, 0)} answered the last campaign" if a.expected_response is not None else ""
        share = fmt_pct(a.budget_share, 0)
        rows.append({
            "rank": i, "campaign": a.campaign, "segment": a.segment, "audience": fmt_int(a.audience), "stake": stake, "response": response,
            "budget": f"{share} ({fmt_money(report, budget * a.budget_share)})" if budget else share,
            "color": color(next((s.colour for s in report.segments if s.id == a.segment_id), 0)),
        })
    if budget:
        note = f"Budget: shares of this month's campaign budget of {fmt_money(report, budget)}; all {len(rows)} recommended campaigns together add up to 100%."
    else:
        note = f"Budget: shares of this month's campaign budget (report.budget in the settings gives the amounts); all {len(rows)} recommended campaigns together add up to 100%."
    ranked = "the value at stake" if any(a.value_at_stake is not None for a in report.actions) else "the customers reached (no money figure in this data)"
    return {"rows": rows, "first": rows[:3], "note": note, "ranked_by": ranked}


def _forecast(report: Report) -> list[str]:
    """How the predictions were made, or why there are none, for the appendix."""
    f = report.forecast
    if f is None:
        return []
    if not f.fitted:
        return [f"No predictions of what the customers will buy next: {f.reason}."]
    r, alpha, a, b = f.bgnbd
    out = [
        f"Predictions: a repeat-purchase model (the modified BG/NBD of Batislam, Denizel and Filiztekin) fitted by maximum likelihood on all "
        f"{fmt_int(f.customers)} customers ({fmt_int(f.repeat_customers)} of whom ordered more than once) gives each customer's chance of still "
        f"being active and their expected orders in the next 90 days (r {r:.3g}, alpha {alpha:.3g} days, a {a:.3g}, b {b:.3g})."
    ]
    if f.gamma_gamma:
        p, q, v = f.gamma_gamma
        out.append(f"The value of their orders comes from the Gamma-Gamma model (p {p:.3g}, q {q:.3g}, v {v:.3g}); expected 12-month value = expected orders in 365 days x expected order value, not discounted. "
                   "benchmarks/backtest.py compares such predictions with what customers did afterwards.")
    else:
        out.append(f"No expected value: {f.reason}.")
    return out


def _naming(report: Report) -> dict[str, Any]:
    """How the names were given, in words, for the appendix."""
    n = report.naming
    if n is None:
        return {"sentences": []}
    label = lambda f: report.settings.display_of(f).label.lower()  # noqa: E731
    pack = n.rules
    out = []
    if n.how == "data":
        out.append(f"The rule pack ({pack}) does not judge {', '.join(label(f) for f in n.unjudged)}, which the segments were formed on, so they are named from the data.")
    else:
        out.append(f"Names come from the rule pack {pack}, which judged {', '.join(label(f) for f in n.judged)} this month.")
    if n.how == "clusters":
        out.append(f"Each segment's name holds for at least {fmt_pct(HOLDS, 0)} of its customers: their own values satisfy the rule that named it (name fit).")
    elif n.how == "by name":
        weak = ", ".join(f"{name} {fmt_pct(fit, 0)}" for name, fit in n.cluster_fits if fit < HOLDS)
        out.append(
            f"The first {len(n.cluster_fits)} clusters' names did not hold for enough of their customers ({weak}), so the customers were clustered into "
            f"{n.fine_k} finer groups; each group took the name that holds for most of its customers, a customer whose own values satisfy "
            f"another segment's rule joined that segment, and groups with the same name form one segment."
        )
    for name, size in n.folded:
        out.append(f"{fmt_int(size)} customers are {name} by their own values, too few for a segment of their own: they stay in their group's segment.")
    r = report.profile.rhythm
    if r is not None and r.cycle_days is not None:
        out.append(
            f"Recency is judged against this shop's buying cycle: customers who ordered more than once reorder every {r.cycle_days:.0f} days "
            f"(median of {fmt_int(r.repeat_customers)} repeat customers); the log covers {r.history_days:.0f} days."
        )
    if n.kept_cuts:
        out.append(
            f"The level cuts of {', '.join(label(f) for f in n.kept_cuts)} moved by less than a tenth since last month, so they were kept where they were: "
            f"customers who did nothing different keep their levels and their segment's name."
        )
    return {"sentences": out}


def build(report: Report) -> dict[str, Any]:
    """Everything the templates need, already worded and formatted."""
    s = report.settings
    c = report.clustering
    largest, valuable = report.largest, report.most_valuable
    segments = [_segment(report, seg) for seg in report.segments]
    value = report.value_feature
    shown = display_for(report, value) if value else None
    valuable_value = fmt_role(valuable.means[value], shown) if shown and value in valuable.means else ""
    f = report.features
    scaling = [
        {
            "label": s.display_of(name).label,
            "transform": {"linear": "as is", "log": "logarithm", "rank": "rank"}[how],
            "skew": fmt_num(skew, 1),
            "why": ("chosen from the skew" if auto else "set in the settings"),
        }
        for name, how, skew, auto in zip(f.roles, f.transforms, f.skew, f.automatic)
    ]
    sensitive = [s.display_of(n).label for n in f.roles if n in SENSITIVE_BY_DEFAULT or _is_sensitive(report, n)]
    return {
        "title": s.report.title,
        "organisation": s.report.organisation,
        "accent": s.report.accent,
        "accent_text": text_on(s.report.accent),
        "period": report.period,
        "period_label": period_label(report.period),
        "n_customers": fmt_int(report.table.n_customers),
        "k": c.k,
        "k_auto": c.k_auto,
        "features": [s.display_of(r).label for r in report.features.roles],
        "scaling": scaling,
        "sensitive": sensitive,
        "largest": {"name": largest.name, "color": color(largest.colour), "size": fmt_int(largest.size), "share": fmt_pct(largest.share)},
        "most_valuable": {
            "name": valuable.name,
            "color": color(valuable.colour),
            "value": valuable_value,
            "value_label": shown.label.lower() if shown else "",
            "share": fmt_pct(valuable.share),
        },
        "segments": segments,
        "metrics": {
            "silhouette": fmt_num(c.silhouette),
            "davies_bouldin": fmt_num(c.davies_bouldin),
            "calinski_harabasz": fmt_num(c.calinski_harabasz, 1),
        },
        "k_curve": [{"k": p.k, "silhouette": fmt_num(p.silhouette, 3), "chosen": p.k == c.clusters_k} for p in c.k_curve],
        "k_range": f"{s.clustering.k_min}–{max((p.k for p in c.k_curve), default=s.clustering.k_max)}",
        "seed": s.clustering.seed,
        "n_init": s.clustering.n_init,
        "levels": [
            {"role": s.display_of(r).label, "cuts": ", ".join(fmt_role(v, display_for(report, r)) for v in cuts)}
            for r, cuts in report.level_cuts.items()
        ],
        "worth": _worth(report),
        "actions": _actions(report),
        "forecast": _forecast(report),
        "naming": _naming(report),
        "quality": _quality(report),
        "confidence": _trust(report),
        "stable_from": fmt_num(STABLE),  # the stability from which a segment holds, as the templates say it
        "k_reasons": list(c.k_reasons),
        "warnings": list(report.warnings),
        "changes": _changes(report),
    }
