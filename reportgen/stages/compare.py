"""Month over month: find last month's report, match its segments to this month's clusters by
centre, keep names and colours stable for the same kind of customers, and count who moved where.

Matching: centres are compared on the clustering features, each divided by this month's standard
deviation; pairs are chosen to minimise the total distance (Hungarian method) and a pair further
apart than MAX_DISTANCE standard deviations is not a match (the segment is new, the old one gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..errors import DataError
from ..model import Changes, Features, Segment, SegmentChange
from .label import Named

MAX_DISTANCE = 1.0
NEW, GONE = "Not a customer then", "Gone"  # not "New customers": an RFM segment has that name


@dataclass(frozen=True)
class PreviousSegment:
    name: str
    base_name: str
    size: int
    share: float
    centroid: dict[str, float]
    colour: int


@dataclass(frozen=True)
class Previous:
    """Last month's report, as reportgen/summary_file.py reads it back."""

    period: str
    n_customers: int
    segments: tuple[PreviousSegment, ...]
    ids: pd.Series  # customer ids of last month's segments.csv
    segment_names: pd.Series  # their segment, same order
    level_cuts: dict[str, tuple[float, ...]] = field(default_factory=dict)  # the cuts last month's levels used


def match(named: list[Named], previous: Previous, features: Features, percentiles: dict[str, tuple[float, ...]] | None = None) -> dict[int, int]:
    """This month's cluster -> index of last month's segment it continues (centres compared in
    standard deviations of the features as clustered)."""
    roles = [r for r in features.roles if all(r in p.centroid for p in previous.segments)]
    if not roles or not previous.segments:
        return {}
    index = [features.roles.index(r) for r in roles]
    scale = np.array([features.scale[i] for i in index])

    def model_units(centroid: dict[str, float]) -> list[float]:
        """Centres in the space K-Means saw (log1p or rank where the feature was transformed)."""
        out = []
        for r, i in zip(roles, index):
            how = features.transforms[i] if features.transforms else "linear"
            value = centroid[r]
            if how == "log":
                value = float(np.log1p(max(value - features.offsets[i], 0.0)))
            elif how == "rank" and percentiles and r in percentiles:
                value = float(np.interp(value, percentiles[r], np.linspace(0, 1, len(percentiles[r]))))
            out.append(value)
        return out

    now = np.array([model_units(n.centroid) for n in named]) / scale
    then = np.array([model_units(p.centroid) for p in previous.segments]) / scale
    distance = np.linalg.norm(now[:, None, :] - then[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(distance)
    return {int(r): int(c) for r, c in zip(rows, cols) if distance[r, c] <= MAX_DISTANCE}


def stabilise_names(named: list[Named], previous: Previous, matches: dict[int, int]) -> list[Named]:
    """A cluster that continues last month's segment of the same kind keeps its exact name, so
    'Mainstream shoppers (2)' does not become '(1)' because of cluster numbering."""
    result = list(named)
    for cluster, idx in matches.items():
        old = previous.segments[idx]
        if old.base_name == named[cluster].base_name:
            result[cluster] = replace(named[cluster], name=old.name)
    taken: set[str] = set()
    order = sorted(range(len(result)), key=lambda c: c not in matches)  # matched names first
    for c in order:
        name = result[c].name
        if name in taken:
            n = 2
            while f"{result[c].base_name} ({n})" in taken:
                n += 1
            name = f"{result[c].base_name} ({n})"
            result[c] = replace(result[c], name=name)
        taken.add(name)
    return result


def colours(segments: tuple[Segment, ...], previous: Previous | None, matches: dict[int, int], palette_size: int) -> tuple[Segment, ...]:
    """Matched segments keep last month's colour; others take the first free one."""
    used = {previous.segments[i].colour for i in matches.values()} if previous else set()
    free = [c for c in range(palette_size) if c not in used]
    out = []
    for s in segments:
        if previous and s.id in matches:
            colour = previous.segments[matches[s.id]].colour
        else:
            colour = free.pop(0) if free else s.id % palette_size
        out.append(replace(s, colour=colour))
    return tuple(out)


def migration_counts(ids: pd.Series, labels: np.ndarray, previous: Previous, n_columns: int) -> np.ndarray:
    """Customers from last month's segment (rows, then "new") to this month's (columns, then "gone")."""
    n_rows = len(previous.segments) + 1
    row_of = {p.name: i for i, p in enumerate(previous.segments)}
    prev_rows = previous.segment_names.map(row_of).fillna(n_rows - 1).to_numpy(dtype=np.int64)
    try:
        where = pd.Index(previous.ids).get_indexer(ids.astype(str))
    except pd.errors.InvalidIndexError:
        raise DataError(f"The {previous.period} segments.csv lists a customer twice.", f"Re-run {previous.period}, or choose another with --compare-to.") from None
    now_rows = np.where(where >= 0, prev_rows[np.maximum(where, 0)], n_rows - 1)
    counts = np.bincount(now_rows * n_columns + labels, minlength=n_rows * n_columns).reshape(n_rows, n_columns)
    seen = np.zeros(len(previous.ids), dtype=bool)
    seen[where[where >= 0]] = True
    counts[:, -1] = np.bincount(prev_rows[~seen], minlength=n_rows)
    return counts


def changes(segments: tuple[Segment, ...], n_now: int, previous: Previous, matches: dict[int, int], counts: np.ndarray, old_fits: dict[int, float] | None = None) -> Changes:
    """The month-over-month block, from the matches and the migration counts."""
    seg_changes = []
    for s in segments:
        if s.id in matches:
            old = previous.segments[matches[s.id]]
            status = "kept" if old.name == s.name else "renamed"
            drift = {r: round(s.centroid[r] - old.centroid[r], 2) for r in s.centroid if r in old.centroid}
            seg_changes.append(SegmentChange(s.name, status, old.name, old.size, s.size, old.share, s.share, drift, (old_fits or {}).get(s.id)))
        else:
            seg_changes.append(SegmentChange(s.name, "new", None, None, s.size, None, s.share, {}))
    matched = set(matches.values())
    disappeared = tuple((p.name, p.size) for i, p in enumerate(previous.segments) if i not in matched)
    # "stayed" is what a marketer means: the same customer under the same name as last month
    row_of = {p.name: i for i, p in enumerate(previous.segments)}
    stayed = sum(int(counts[row_of[s.name], s.id]) for s in segments if s.name in row_of)
    returning = int(counts[:-1, :-1].sum())
    return Changes(
        previous_period=previous.period,
        n_then=previous.n_customers,
        n_now=n_now,
        segments=tuple(seg_changes),
        disappeared=disappeared,
        rows=tuple(p.name for p in previous.segments) + (NEW,),
        columns=tuple(s.name for s in segments) + (GONE,),
        counts=tuple(tuple(int(v) for v in row) for row in counts),
        new_customers=int(counts[-1, :-1].sum()),
        gone_customers=int(counts[:-1, -1].sum()),
        stayed=stayed,
        moved=returning - stayed,
    )
