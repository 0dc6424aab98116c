"""Which measures a reader sees, and as what: a mean, or for a yes/no flag or a measure most customers
have at 0, the share of customers who have it (a mean of 0/1 values read as 0.1, or a zero-heavy mean
placed among percentiles, tells a marketer nothing true).

Used by the view (tables, sentences) and the charts alike, so both show the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..model import Display, Report, Segment
from .fmt import fmt_pct, fmt_role

MEAN, FLAG, ABOVE_ZERO = "mean", "flag", "above zero"
ZERO_HEAVY = 0.5  # a measure at 0 for at least this share of customers is shown as the share above 0


def display_for(report: Report, name: str) -> Display:
    """How a feature reads in this report: its display settings, with the report's currency on money
    and a yes/no (0/1) feature shown as the share of customers with the trait."""
    d = report.presentation.display(name)
    if name in report.profile.binary and not d.percent:
        return replace(d, percent=True, decimals=0, prefix="", suffix="")
    currency = report.presentation.currency
    if currency and _is_money(report, name) and not d.prefix:
        sign = currency if not currency.isalpha() else f"{currency} "
        return replace(d, prefix=sign, money=True)
    return d


def _is_money(report: Report, name: str) -> bool:
    d = report.presentation.display(name)
    naming = report.naming
    return (
        d.money
        or (naming is not None and name == naming.value_feature)
        or name in report.table.categories.values()
        or (report.table.kind == "transactions" and name.startswith("spend_"))
    )


def fmt_money(report: Report, value: float) -> str:
    """An amount in the report's currency: '£1,234'."""
    currency = report.presentation.currency
    sign = "" if not currency else (currency if not currency.isalpha() else f"{currency} ")
    return f"{sign}{value:,.0f}"


@dataclass(frozen=True)
class Measure:
    name: str  # the feature
    label: str  # its display label
    kind: str  # MEAN, FLAG or ABOVE_ZERO
    clustered: bool

    @property
    def heading(self) -> str:
        """The row label: what the numbers in the row are."""
        return {MEAN: self.label, FLAG: f"{self.label} (% yes)", ABOVE_ZERO: f"{self.label} (% above 0)"}[self.kind]


def shown_features(report: Report) -> list[str]:
    """Numeric features in reading order: the clustered ones first, then the others (not the per-category
    spend, shown in its own table)."""
    clustered = [f for f in report.features.roles if f in report.population]
    categories = set(report.table.categories.values())
    return clustered + [f for f in report.table.numeric if f in report.population and f not in clustered and f not in categories]


def _kind(report: Report, name: str) -> str:
    prof = report.profile
    if name in prof.binary:
        return FLAG
    grid = prof.percentiles.get(name)
    if grid and grid[0] >= 0 and name in prof.positive and prof.positive[name] <= 1 - ZERO_HEAVY:
        return ABOVE_ZERO
    return MEAN


def value(report: Report, m: Measure, seg: Segment | None = None) -> float | None:
    """The number shown for a segment (or, without one, for all customers)."""
    if m.kind == ABOVE_ZERO:
        shares = report.profile.positive if seg is None else report.profile.positive_by_cluster[seg.id]
        return shares.get(m.name)
    return report.population.get(m.name) if seg is None else seg.means.get(m.name)


def text(report: Report, m: Measure, number: float | None) -> str:
    if number is None:
        return "–"
    if m.kind == MEAN:
        return fmt_role(number, display_for(report, m.name))
    return share(number)


def share(number: float) -> str:
    """A share of customers: '7.5%' below 10%, '42%' above; never '0%' for a few."""
    if number == 0:
        return "0%"
    if 0 < number < 0.001:
        return "<0.1%"
    return fmt_pct(number, 1 if number < 0.1 else 0)


def contrast(report: Report, m: Measure, number: float | None, clip: float = 2.0) -> float:
    """How far a segment's number lies from all customers', signed, within ±clip: the log2 of the ratio
    for numbers that cannot be negative, else twice the difference over the middle 80% of customers."""
    overall = value(report, m)
    if number is None or overall is None:
        return 0.0
    grid = report.profile.percentiles.get(m.name, ())
    if m.kind != MEAN or (grid and grid[0] >= 0 and overall > 0):
        if overall <= 0:
            return 0.0
        return max(-clip, min(clip, math.log2(max(number, overall / 64) / overall)))
    spread = (grid[90] - grid[10]) if len(grid) == 101 else 0.0
    return max(-clip, min(clip, 2 * (number - overall) / spread)) if spread > 0 else 0.0


@dataclass(frozen=True)
class Readings:
    measures: tuple[Measure, ...]  # shown, in reading order
    constant: tuple[tuple[str, str], ...]  # (label, value) of measures with one value for every customer
    alike: tuple[str, ...]  # labels of measures every segment shows the same as all customers


def readings(report: Report) -> Readings:
    """The measures worth showing: not one with one value for every customer, nor one in which every
    segment reads exactly as all customers do."""
    d = lambda f: display_for(report, f)  # noqa: E731
    shown, constant, alike = [], [], []
    for name in shown_features(report):
        grid = report.profile.percentiles.get(name, ())
        m = Measure(name, d(name).label, _kind(report, name), name in report.features.roles)
        if grid and grid[0] == grid[-1]:
            constant.append((m.label, fmt_role(grid[0], d(name))))
            continue
        overall = text(report, m, value(report, m))
        if len(report.segments) > 1 and all(text(report, m, value(report, m, s)) == overall for s in report.segments):
            alike.append(m.label)
            continue
        shown.append(m)
    return Readings(tuple(shown), tuple(constant), tuple(alike))


def left_out_sentence(r: Readings) -> str:
    """Said once, under the overview: what the segment pages leave out, and why."""
    parts = []
    if r.constant:
        parts.append("the same for every customer: " + ", ".join(f"{label} ({v})" for label, v in r.constant))
    if r.alike:
        parts.append("the same in every segment as for all customers: " + ", ".join(r.alike))
    return ("Not shown on the segment pages, " + "; ".join(parts) + ".") if parts else ""


def for_segment(report: Report, r: Readings, seg: Segment, most: int) -> tuple[list[Measure], list[Measure]]:
    """A segment page's measures: every clustered one, then the others on which this segment differs
    most from all customers, up to `most` rows in reading order; and the rest."""
    others = [m for m in r.measures if not m.clustered]
    room = max(0, most - (len(r.measures) - len(others)))
    ranked = sorted(others, key=lambda m: -abs(contrast(report, m, value(report, m, seg), 6)))
    kept = {m.name for m in ranked[:room]}
    shown = [m for m in r.measures if m.clustered or m.name in kept]
    return shown, [m for m in others if m.name not in kept]
