"""What each segment is worth now: its revenue (the total of the value feature over its customers)
and that revenue as a share of all customers' revenue.

The value feature is money: an order log's `monetary`, or a customer table's `value:` setting (which
`reportgen init` sets to the spend total when there is one). A spending score or an income is not
revenue, so without a `value:` setting a customer table states no revenue rather than a wrong one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..model import Forecast, Profile, Segment
from . import predict

if TYPE_CHECKING:
    from .rows import Rows

VALUE_SAMPLE = 200_000  # repeat customers the order-value model is fitted on, at most (a seeded sample of more)


def money_feature(kind: str, value_setting: str | None, available: tuple[str, ...] | list[str]) -> str | None:
    if value_setting:
        return value_setting if value_setting in available else None
    return "monetary" if kind == "transactions" and "monetary" in available else None


def worth(segments: tuple[Segment, ...], profile: Profile, feature: str | None) -> tuple[Segment, ...]:
    """Each segment with its revenue and share of revenue (None without a value feature)."""
    if feature is None or feature not in profile.population_sums:
        return segments
    total = profile.population_sums[feature]
    out = []
    for s in segments:
        revenue = profile.sums[s.id].get(feature, 0.0) if s.id < len(profile.sums) else 0.0
        out.append(replace(s, revenue=round(revenue, 2), revenue_share=round(revenue / total, 4) if total else None))
    return tuple(out)


def forecast(rows: Rows, segments: tuple[Segment, ...], profile: Profile, seed: int) -> tuple[tuple[Segment, ...], Forecast | None]:
    """Order logs: the repeat-purchase models fitted on every customer, each customer scored (kept for
    segments.csv and the contact lists), and per segment the mean p_active and the expected orders
    and value summed. None for a customer table; a Forecast saying why when the models cannot be fitted."""
    if profile.rhythm is None:
        return segments, None
    model = predict.fit(rows.triples(), rows.value_sample(VALUE_SAMPLE, seed), profile.rhythm.history_days)
    if isinstance(model, str):
        return segments, Forecast(fitted=False, reason=model)
    sums = rows.score(model, len(segments))
    if not all(np.all(np.isfinite(v)) for v in sums.values()):
        return segments, Forecast(fitted=False, reason="the repeat-purchase model gives no finite prediction for some of these customers")
    out = []
    for s in segments:
        out.append(replace(
            s,
            p_active=round(float(sums["p_active"][s.id]) / s.size, 4) if s.size else None,
            p_order_90d=round(float(sums["p_order_90d"][s.id]) / s.size, 4) if s.size else None,
            expected_orders_90d=round(float(sums["expected_orders_90d"][s.id]), 2),
            expected_value_12m=round(float(sums["expected_value_12m"][s.id]), 2) if "expected_value_12m" in sums else None,
        ))
    facts = Forecast(
        fitted=True, bgnbd=(model.r, model.alpha, model.a, model.b), gamma_gamma=model.gg or (),
        customers=model.customers, repeat_customers=model.repeat_customers,
        reason="" if model.gg else "order values vary too little, or too few customers ordered twice, to model their value",
    )
    return tuple(out), facts


def responses(segments: tuple[Segment, ...], profile: Profile, columns: list[str], where: str) -> tuple[tuple[Segment, ...], dict[str, float]]:
    """What worked before: per segment, the share of its customers who answered each past campaign
    (a yes/no feature named under `responses:`), and the share of all customers."""
    from ..errors import ConfigError, DataError

    for c in columns:
        if c not in profile.population:
            raise ConfigError(f"{where}: responses names '{c}', which is not a numeric feature of this run.", "List the yes/no (0/1) columns of past campaigns' answers, as named under columns:.")
        if c not in profile.binary:
            raise DataError(f"{where}: responses: '{c}' holds values other than 0 and 1, so it is not a campaign's yes/no answer.", "Remove it from responses:, or map a 0/1 column.")
    overall = {c: round(profile.population[c], 4) for c in columns}
    out = tuple(replace(s, responses={c: round(s.means[c], 4) for c in columns if c in s.means}) for s in segments)
    return out, overall
