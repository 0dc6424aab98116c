"""Names checked against the customers they describe, and segments formed by the names that hold.

A rule names a cluster from its centre (stages/label.py). On customers who form a continuum (an
order log's recency, frequency and spend almost always do) the centre can be "bought recently"
while a third of the members last bought a year ago. So each customer's own values are judged with
the same levels and rules, and `name_fit` is the share of a segment's customers whose own values
satisfy the rule that named it.

When every cluster's name holds for at least HOLDS of its customers, the clusters are the segments.
Otherwise the customers are clustered finely (`fine_k` clusters), each fine cluster takes the name
that holds for most of its customers, and the fine clusters that earn the same name form one
segment; a customer whose own values satisfy the rule of another segment than their cluster's
joins that segment, so a name's boundary is the rule's, not a cluster's. The clustering still
decides which segments exist (the names that a group of customers earns) and where customers that
no segment's rule describes go (their cluster's segment).

Everything here works on per-customer arrays of level numbers; the Spark engine computes the same
arrays as columns (see engines/spark.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..rules import Rulebook, SegmentRule

HOLDS = 0.8  # a name holds for a segment when at least this share of its customers satisfy its rule
FINE_K = 30  # clusters when names are formed from fine clusters
MIN_FINE_SIZE = 20  # customers per fine cluster, at least, on small tables


def level_numbers(values: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Each customer's level on one feature as a number (0 = the lowest), -1 where the value is missing;
    a value equal to a cut goes to the level above it, as for a centre."""
    levels = np.searchsorted(np.asarray(cuts, dtype=np.float64), values, side="right").astype(np.int16)
    levels[np.isnan(values)] = -1
    return levels


def customer_levels(values: dict[str, np.ndarray], cuts: dict[str, tuple[float, ...]]) -> dict[str, np.ndarray]:
    """Level numbers per judged feature, for every customer."""
    return {f: level_numbers(values[f], c) for f, c in cuts.items() if f in values}


def satisfies(rule: SegmentRule, levels: dict[str, np.ndarray], rulebook: Rulebook, n: int) -> np.ndarray:
    """Which customers' own levels meet every condition of the rule (a feature this run does not
    judge meets none)."""
    ok = np.ones(n, dtype=bool)
    for feature, allowed in rule.when.items():
        if feature not in levels:
            return np.zeros(n, dtype=bool)
        names = rulebook.levels[feature].names
        ok &= np.isin(levels[feature], [names.index(a) for a in allowed])
    return ok


def own_rules(levels: dict[str, np.ndarray], rules: tuple[SegmentRule, ...], rulebook: Rulebook, n: int) -> np.ndarray:
    """Per customer, the index in `rules` of the first rule their own levels match; len(rules) for
    none (the fallback)."""
    own = np.full(n, len(rules), dtype=np.int16)
    open_ = np.ones(n, dtype=bool)
    for i, rule in enumerate(rules):
        hit = open_ & satisfies(rule, levels, rulebook, n)
        own[hit] = i
        open_ &= ~hit
    return own


def fits(labels: np.ndarray, k: int, named_by: list[SegmentRule], rules: tuple[SegmentRule, ...], levels: dict[str, np.ndarray], rulebook: Rulebook) -> tuple[float, ...]:
    """Per segment, the share of its customers whose own values satisfy the rule that named it; for
    the fallback, the share that no rule describes."""
    n = len(labels)
    sizes = np.bincount(labels, minlength=k)
    out = []
    for c, rule in enumerate(named_by):
        if rule.when:
            ok = satisfies(rule, levels, rulebook, n)
        else:
            ok = own_rules(levels, rules, rulebook, n) == len(rules)
        held = np.bincount(labels[ok], minlength=k)[c]
        out.append(round(float(held / sizes[c]), 4) if sizes[c] else 0.0)
    return tuple(out)


def min_size(min_share: float, n: int) -> int:
    """The fewest customers a name needs to form a segment: the share of clustering.min_share, and at least 10."""
    return max(10, int(np.ceil(min_share * n)))


def fine_k(n_distinct: int, n: int) -> int:
    """How many fine clusters: FINE_K, fewer on a small table (at least MIN_FINE_SIZE customers each)."""
    return int(max(2, min(FINE_K, n // MIN_FINE_SIZE, n_distinct - 1)))


@dataclass(frozen=True)
class ByName:
    """Segments formed by the names their customers hold."""

    labels: np.ndarray  # per customer, the segment (0 = the largest)
    rules: tuple[int, ...]  # per segment, its rule's index in the usable rules (len(rules) = fallback)
    folded: tuple[tuple[int, int], ...]  # names some customers hold that form no segment (too few): (rule index, customers holding it)


def by_name(fine: np.ndarray, k_fine: int, own: np.ndarray, n_rules: int, min_size: int, max_segments: int) -> ByName:
    """The names that segments are made of: the name most of each fine cluster's customers hold, and
    any name at least `min_size` customers hold. A customer whose own name is one of them joins its
    segment; the others stay with their fine cluster's name. A name left with fewer than `min_size`
    customers (or beyond `max_segments`) is folded, smallest first, into its clusters' names."""
    width = n_rules + 1
    counts = np.bincount(fine.astype(np.int64) * width + own, minlength=k_fine * width).reshape(k_fine, width)
    keep = np.zeros(width, dtype=bool)
    keep[np.unique(counts.argmax(axis=1))] = True  # ties: the earlier rule, the more specific one
    keep |= counts.sum(axis=0) >= min_size  # and every name that enough customers hold, wherever they are
    while True:
        majority = np.where(keep, counts, -1).argmax(axis=1)
        assigned = np.where(keep[own], own, majority[fine])
        sizes = np.bincount(assigned, minlength=width)
        present = np.flatnonzero(keep)
        if len(present) <= 1:
            break
        smallest = min(present, key=lambda r: (sizes[r], -r))
        if sizes[smallest] >= min_size and len(present) <= max_segments:
            break
        keep[smallest] = False
    present = [int(r) for r in np.flatnonzero(np.bincount(assigned, minlength=width))]
    held = counts.sum(axis=0)
    folded = [(r, int(held[r])) for r in range(width) if held[r] and r not in present]
    order = sorted(present, key=lambda r: (-sizes[r], r))
    segment_of = np.full(width, -1, dtype=np.int64)
    segment_of[order] = np.arange(len(order))
    return ByName(labels=segment_of[assigned], rules=tuple(order), folded=tuple(folded))
