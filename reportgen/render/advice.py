"""The view's words for what to do and what to expect: the ranked actions with their budget, each
segment's outlook from the repeat-purchase models and its answers to past campaigns, and how the
predictions were made (moved from render/view.py, unchanged, to keep modules under 400 lines)."""

from __future__ import annotations

from typing import Any

from ..model import Report, Segment
from .fmt import color, fmt_int, fmt_pct
from .measures import fmt_money


def outlook(report: Report, seg: Segment) -> str:
    """Order logs: what the models expect of the segment's customers, in one sentence."""
    if seg.expected_orders_90d is None or seg.p_order_90d is None:
        return ""
    value = f", worth {fmt_money(report, seg.expected_value_12m)} over the next 12 months" if seg.expected_value_12m is not None else ""
    return (
        f"Expected: {fmt_int(seg.expected_orders_90d)} orders from these customers in the next 90 days{value}; "
        # the share likely to order, not p_active: a model's "still active" (not yet gone for good) read
        # "nearly all still active" on a Hibernating page whose customers 20-25% bought again (backtest)
        f"about {fmt_pct(seg.p_order_90d, 0)} of them are expected to order in that time (repeat-purchase models, see the appendix)."
    )


def evidence(report: Report, seg: Segment) -> str:
    """Past campaigns: how this segment answered, against all customers."""
    cols = report.presentation.responses
    if not cols or not seg.responses:
        return ""
    last = cols[-1]
    label = report.presentation.display(last).label
    text = f"Answered the last campaign ({label}): {fmt_pct(seg.responses.get(last, 0.0), 0)} against {fmt_pct(report.response_rates.get(last, 0.0), 0)} overall."
    earlier = [c for c in cols[:-1] if c in seg.responses]
    if earlier:
        text += " Earlier campaigns: " + "; ".join(
            f"{report.presentation.display(c).label} {fmt_pct(seg.responses[c], 0)} ({fmt_pct(report.response_rates.get(c, 0.0), 0)} overall)" for c in earlier
        ) + "."
    return text


def actions(report: Report) -> dict[str, Any]:
    """What to do first: the ranked actions, worded, with the budget they share."""
    budget = report.presentation.budget
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


def forecast(report: Report) -> list[str]:
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
        f"being active, of ordering in the next 90 days, and their expected orders in that time (r {r:.3g}, alpha {alpha:.3g} days, a {a:.3g}, b {b:.3g})."
    ]
    if f.gamma_gamma:
        p, q, v = f.gamma_gamma
        out.append(f"The value of their orders comes from the Gamma-Gamma model (p {p:.3g}, q {q:.3g}, v {v:.3g}); expected 12-month value = expected orders in 365 days x expected order value, not discounted. "
                   "benchmarks/backtest.py compares such predictions with what customers did afterwards.")
    else:
        out.append(f"No expected value: {f.reason}.")
    return out
