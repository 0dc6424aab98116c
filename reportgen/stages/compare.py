"""Month over month: find last month's report, match its segments to this month's clusters by
centre, keep names and colours stable for the same kind of customers, and count who moved where.

Matching: centres are compared on the clustering features, each divided by this month's standard
deviation; pairs are chosen to minimise the total distance (Hungarian method) and a pair further
apart than MAX_DISTANCE standard deviations is not a match (the segment is new, the old one gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..errors import DataError
from ..model import Changes, Features, Segment, SegmentChange
from ..spreadsheet import QUOTED_FORMULA
from .features import to_model_units
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
    folder: Path  # last month's period folder: its segments.csv lists each customer's segment
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
            out.append(to_model_units(centroid[r], how, features.offsets[i], (percentiles or {}).get(r)))
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


def read_assignments(folder: Path) -> tuple[pd.Series, pd.Series]:
    """Last month's segments.csv, on one machine: each customer's id and segment name, as written
    (the leading quote before a formula-like cell taken off again)."""
    try:
        table = pd.read_csv(folder / "segments.csv", dtype=str, keep_default_na=False, engine="pyarrow", usecols=["customer_id", "segment"])
    except (OSError, KeyError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            f"{folder}: the previous report cannot be read for the comparison ({type(exc).__name__}: {exc}).",
            "Re-run that period, or choose another with --compare-to.",
        ) from None
    return unquote(table["customer_id"]), unquote(table["segment"])


def unquote(cells: pd.Series) -> pd.Series:
    """Undo the leading quote segments.csv puts before formula-like values."""
    cells = cells.astype(str)
    quoted = cells.str.match(QUOTED_FORMULA)
    return cells.where(~quoted, cells.str.slice(1))


def pairs_in_memory(ids: pd.Series, labels: np.ndarray, before_ids: pd.Series, before_names: pd.Series) -> tuple[dict[tuple[str | None, int | None], int], bool]:
    """Rows.migration for customers held in memory: counts per (last month's segment or None, this
    month's or None) over the customers of either month, matched by id; and whether last month
    lists a customer twice."""
    try:
        where = pd.Index(before_ids).get_indexer(ids.astype(str))
    except pd.errors.InvalidIndexError:
        return {}, True
    codes, names = pd.factorize(before_names.to_numpy(dtype=object))
    m = len(names)
    found = where >= 0
    before = np.where(found, codes[np.maximum(where, 0)], m)  # m: not a customer then
    k = int(labels.max()) + 1 if len(labels) else 0
    grid = np.bincount(before * k + labels, minlength=(m + 1) * k).reshape(m + 1, k)
    out: dict[tuple[str | None, int | None], int] = {}
    for b, c in zip(*np.nonzero(grid)):
        out[(str(names[b]) if b < m else None, int(c))] = int(grid[b, c])
    seen = np.zeros(len(before_ids), dtype=bool)
    seen[where[found]] = True
    for b, n in enumerate(np.bincount(codes[~seen], minlength=m)):
        if n:
            out[(str(names[b]), None)] = int(n)
    return out, False


def migration_counts(pairs: dict[tuple[str | None, int | None], int], twice: bool, previous: Previous, n_columns: int) -> np.ndarray:
    """Customers from last month's segment (rows, then "new") to this month's (columns, then "gone"),
    from the engine's counts per (last month's segment name or None, this month's segment or None)."""
    if twice:
        raise DataError(f"The {previous.period} segments.csv lists a customer twice.", f"Re-run {previous.period}, or choose another with --compare-to.")
    n_rows = len(previous.segments) + 1
    row_of = {p.name: i for i, p in enumerate(previous.segments)}
    counts = np.zeros((n_rows, n_columns), dtype=np.int64)
    for (before, now), n in pairs.items():
        if before is None and now is None:
            continue
        counts[row_of.get(before, n_rows - 1) if before is not None else n_rows - 1, now if now is not None else n_columns - 1] += n
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
