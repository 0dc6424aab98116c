"""What each segment is worth now: its revenue (the total of the value feature over its customers)
and that revenue as a share of all customers' revenue.

The value feature is money: an order log's `monetary`, or a customer table's `value:` setting (which
`reportgen init` sets to the spend total when there is one). A spending score or an income is not
revenue, so without a `value:` setting a customer table states no revenue rather than a wrong one.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Profile, Segment


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
