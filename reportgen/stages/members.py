"""Names checked against the customers they describe, and segments formed by the names that hold.

A rule names a cluster from its centre (stages/label.py). On customers who form a continuum (an
order log's recency, frequency and spend almost always do) the centre can be "bought recently"
while a third of the members last bought a year ago. So each customer's own values are judged with
the same levels and rules, and `name_fit` is the share of a segment's customers whose own values
satisfy the rule that named it.

When every cluster's name holds for at least HOLDS of its customers, the clusters are the segments.
Otherwise the customers are clustered finely, each fine cluster takes the name that holds for most
of its customers, and the fine clusters that earn the same name form one segment; every name that
enough customers hold forms a segment, and a customer whose own values satisfy another segment's
rule than their cluster's joins that segment, so a name's boundary is the rule's, not a cluster's.
The clustering still decides which segments exist and where customers that no segment's rule
describes go (their cluster's segment).

Engine-neutral by construction: a customer's levels on the judged features are one *cell* (a number
for each combination of levels, `cell_numbers`); everything here works on counts of customers per
(cluster, cell), which DuckDB/numpy or Spark count with the same cuts (see engines/spark.py), and
the resulting segment of each (cluster, cell) pair is applied back to every customer by the engine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..rules import Rulebook, SegmentRule

HOLDS = 0.8  # a name holds for a segment when at least this share of its customers satisfy its rule
FINE_K = 30  # clusters when names are formed from fine clusters
MIN_FINE_SIZE = 20  # customers per fine cluster, at least, on small tables
MISSING = -1  # the level number of a missing value


@dataclass(frozen=True)
class Cells:
    """The combinations of levels on the judged features: cell c has level `levels[c][j]` on
    `features[j]` (MISSING for a missing value); a customer's cell number is
    sum((level_j + 1) * stride_j)."""

    features: tuple[str, ...]
    sizes: tuple[int, ...]  # levels per feature
    levels: np.ndarray  # (cells, features) level numbers, MISSING for missing

    @property
    def strides(self) -> tuple[int, ...]:
        out, step = [], 1
        for size in reversed(self.sizes):
            out.append(step)
            step *= size + 1
        return tuple(reversed(out))

    def __len__(self) -> int:
        return len(self.levels)


def cells_of(cuts: dict[str, tuple[float, ...]]) -> Cells:
    features = tuple(cuts)
    sizes = tuple(len(cuts[f]) + 1 for f in features)
    levels = np.array(list(itertools.product(*[range(MISSING, s) for s in sizes])), dtype=np.int16).reshape(-1, len(features))
    return Cells(features, sizes, levels)


def level_numbers(values: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Each customer's level on one feature as a number (0 = the lowest), MISSING where the value is
    missing; a value equal to a cut goes to the level above it, as for a centre."""
    levels = np.searchsorted(np.asarray(cuts, dtype=np.float64), values, side="right").astype(np.int16)
    levels[np.isnan(values)] = MISSING
    return levels


def cell_numbers(values: dict[str, np.ndarray], cuts: dict[str, tuple[float, ...]], cells: Cells) -> np.ndarray:
    """Each customer's cell (one machine; Spark writes the same arithmetic as a SQL expression)."""
    n = len(next(iter(values.values()))) if values else 0
    out = np.zeros(n, dtype=np.int64)
    for f, stride in zip(cells.features, cells.strides):
        out += (level_numbers(values[f], cuts[f]).astype(np.int64) + 1) * stride
    return out


def satisfying(rule: SegmentRule, cells: Cells, rulebook: Rulebook) -> np.ndarray:
    """Which cells meet every condition of the rule (a feature this run does not judge meets none)."""
    ok = np.ones(len(cells), dtype=bool)
    for feature, allowed in rule.when.items():
        if feature not in cells.features:
            return np.zeros(len(cells), dtype=bool)
        names = rulebook.levels[feature].names
        ok &= np.isin(cells.levels[:, cells.features.index(feature)], [names.index(a) for a in allowed])
    return ok


def own_rules(cells: Cells, rules: tuple[SegmentRule, ...], rulebook: Rulebook) -> np.ndarray:
    """Per cell, the index in `rules` of the first rule it matches; len(rules) for none (the fallback)."""
    own = np.full(len(cells), len(rules), dtype=np.int64)
    open_ = np.ones(len(cells), dtype=bool)
    for i, rule in enumerate(rules):
        hit = open_ & satisfying(rule, cells, rulebook)
        own[hit] = i
        open_ &= ~hit
    return own


def counts(groups: np.ndarray, k: int, cells: np.ndarray, n_cells: int) -> np.ndarray:
    """Customers per (group, cell), from per-customer arrays (Spark counts the same with a GROUP BY)."""
    return np.bincount(groups.astype(np.int64) * n_cells + cells, minlength=k * n_cells).reshape(k, n_cells)


def fits(table: np.ndarray, named_by: list[SegmentRule], rules: tuple[SegmentRule, ...], cells: Cells, rulebook: Rulebook) -> tuple[float, ...]:
    """Per segment (row of the (segment, cell) count table), the share of its customers whose own
    values satisfy the rule that named it; for the fallback, the share that no rule describes."""
    own = own_rules(cells, rules, rulebook)
    out = []
    for c, rule in enumerate(named_by):
        ok = satisfying(rule, cells, rulebook) if rule.when else own == len(rules)
        size = table[c].sum()
        out.append(round(float(table[c][ok].sum() / size), 4) if size else 0.0)
    return tuple(out)


def level_shares(row: np.ndarray, cells: Cells) -> dict[str, tuple[float, ...]]:
    """From one segment's customers per cell: per feature, the share of them at each level (missing
    values left out)."""
    out = {}
    for j, feature in enumerate(cells.features):
        per = np.bincount(cells.levels[:, j] + 1, weights=row, minlength=cells.sizes[j] + 1)[1:]
        total = per.sum()
        out[feature] = tuple(round(float(v / total), 4) for v in per) if total else ()
    return out


def min_size(min_share: float, n: int) -> int:
    """The fewest customers a name needs to form a segment: the share of clustering.min_share, and at least 10."""
    return max(10, int(np.ceil(min_share * n)))


def fine_k(n_distinct: int, n: int) -> int:
    """How many fine clusters: FINE_K, fewer on a small table (at least MIN_FINE_SIZE customers each)."""
    return int(max(2, min(FINE_K, n // MIN_FINE_SIZE, n_distinct - 1)))


@dataclass(frozen=True)
class ByName:
    """Segments formed by the names their customers hold."""

    segment: np.ndarray  # (fine cluster, cell) -> segment id (0 = the largest)
    rules: tuple[int, ...]  # per segment, its rule's index in the usable rules (len(rules) = fallback)
    folded: tuple[tuple[int, int], ...]  # names some customers hold that form no segment (too few): (rule index, customers holding it)
    sizes: tuple[int, ...]  # customers per segment


def by_name(table: np.ndarray, own: np.ndarray, n_rules: int, min_size: int, max_segments: int) -> ByName:
    """From customers per (fine cluster, cell) and each cell's own rule: the names segments are made
    of are the name most of each fine cluster's customers hold and any name at least `min_size`
    customers hold. A cell whose own name is one of them goes to that name's segment; the other
    cells stay with their fine cluster's name. A name left with fewer than `min_size` customers
    (or beyond `max_segments`) is dropped, smallest first."""
    width = n_rules + 1
    k = table.shape[0]
    by_rule = np.zeros((k, width), dtype=np.int64)  # customers per (fine cluster, own name)
    for r in range(width):
        by_rule[:, r] = table[:, own == r].sum(axis=1)
    held = by_rule.sum(axis=0)
    keep = np.zeros(width, dtype=bool)
    keep[np.unique(by_rule.argmax(axis=1))] = True  # ties: the earlier rule, the more specific one
    keep |= held >= min_size  # and every name that enough customers hold, wherever they are
    while True:
        majority = np.where(keep, by_rule, -1).argmax(axis=1)  # per fine cluster
        rule_of = np.where(keep[own][None, :], own[None, :], majority[:, None])  # (fine, cell) -> rule
        sizes = np.bincount(rule_of.ravel(), weights=table.ravel(), minlength=width)
        present = np.flatnonzero(keep)
        if len(present) <= 1:
            break
        smallest = min(present, key=lambda r: (sizes[r], -r))
        if sizes[smallest] >= min_size and len(present) <= max_segments:
            break
        keep[smallest] = False
    order = sorted((int(r) for r in np.flatnonzero(sizes > 0)), key=lambda r: (-sizes[r], r))
    segment_of = np.full(width, -1, dtype=np.int64)
    segment_of[order] = np.arange(len(order))
    folded = tuple((r, int(held[r])) for r in range(width) if held[r] and r not in order)
    return ByName(segment=segment_of[rule_of], rules=tuple(order), folded=folded, sizes=tuple(int(sizes[r]) for r in order))
