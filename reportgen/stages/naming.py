"""Segments and their names: the clusters named by the rules when the names hold for their
customers, else segments formed by the names that hold (stages/members.py); names from the data
when the rule pack does not judge every clustered feature.

Time is judged as time: an order log's recency levels are cut in days from the shop's own buying
cycle (rules `method: rhythm`); when the log covers too little time to tell who is slipping away
(under SHORT_DAYS days or SHORT_CYCLES buying cycles), the rules marked `lapsing` are held back.

The per-customer work (counting customers per cluster and cell, the fine clusters, applying the
segments back to every customer) goes through `Rows` (stages/rows.py), which each engine keeps;
the decisions are made here, once, for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
import numpy as np

from ..config import MAX_SEGMENTS
from ..config import Clustering as ClusteringSettings
from ..model import Clustering, Features, Grouping, Profile
from ..rules import Rulebook, SegmentRule
from . import cluster, label, members, profile
from .rows import FINE, LABEL, Rows

CUT_MARGIN = 0.1  # a level cut within this share of last month's is kept as it was, so names do not flip on noise
SHORT_DAYS = 90  # a log covering fewer days than this cannot tell lapsing customers from quiet ones
SHORT_CYCLES = 3  # nor one covering fewer buying cycles


@dataclass(frozen=True)
class Naming:
    """What naming found: the segments' clustering and profile (regrouped when formed by name), the
    names, and how they were given, for the appendix and summary.json."""

    clustering: Clustering
    profile: Profile
    named: list[label.Named]
    cuts: dict[str, tuple[float, ...]]
    how: str  # "clusters" (each cluster named by its centre), "by name" (fine clusters joined by name) or "data" (no rule judges)
    unjudged: tuple[str, ...] = ()  # clustered features the rule pack has no levels for (names then come from the data)
    short_history: bool = False  # the log is too short to judge recency: lapsing names held back
    fine_k: int = 0  # fine clusters, when segments were formed by name
    cluster_fits: tuple[tuple[str, float], ...] = ()  # by name: each first cluster's name and how far it held
    folded: tuple[tuple[str, int], ...] = ()  # names some customers hold but too few for a segment: (name, customers)
    table: np.ndarray | None = None  # customers per (segment, cell)
    cells: members.Cells | None = None
    rules: tuple[SegmentRule, ...] = ()  # the rules that could name a segment this run
    kept_cuts: tuple[str, ...] = ()  # features whose level cuts were kept from last month (within CUT_MARGIN)


def steady_cuts(now: dict[str, tuple[float, ...]], then: dict[str, tuple[float, ...]]) -> tuple[dict[str, tuple[float, ...]], tuple[str, ...]]:
    """This month's level cuts, except that a cut within CUT_MARGIN of last month's stays where it
    was: a customer who did nothing different keeps their level (and their segment's name)."""
    out, kept = dict(now), []
    for f, cuts in now.items():
        old = then.get(f)
        if not old or len(old) != len(cuts) or old == cuts:
            continue
        steady = tuple(o if abs(c - o) <= CUT_MARGIN * max(abs(o), 1e-9) else c for c, o in zip(cuts, old))
        if steady != cuts and list(steady) == sorted(set(steady)):
            out[f] = steady
            kept.append(f)
    return out, tuple(kept)


def is_short(prof: Profile) -> bool:
    r = prof.rhythm
    if r is None:
        return False
    return r.history_days < SHORT_DAYS or (r.cycle_days is not None and r.history_days < SHORT_CYCLES * r.cycle_days)


def _auto_fits(rows: Rows, prof: Profile, named: list[label.Named], clustering: Clustering) -> list[label.Named]:
    """Names from the data hold for a customer whose own values fall in the same thirds as the name says."""
    features = sorted({f for n in named for f in n.claimed})
    cuts = {f: label.auto_cuts(prof, f) for f in features}
    cells = members.cells_of(cuts)
    table = rows.cell_counts(LABEL, clustering.k, cuts, cells)
    words = [w for _, w in label.AUTO_WORDS]
    out = []
    for c, n in enumerate(named):
        ok = np.ones(len(cells), dtype=bool)
        for f, word in n.claimed.items():
            ok &= cells.levels[:, cells.features.index(f)] == words.index(word)
        size = table[c].sum()
        out.append(replace(n, fit=round(float(table[c][ok].sum() / size), 4) if size else 0.0))
    return out


def _with(named: list[label.Named], fit: tuple[float, ...], table: np.ndarray, cells: members.Cells) -> list[label.Named]:
    """Each name with its fit and, per judged feature, the share of its customers at each level
    (so the words describe the customers, not only the centre)."""
    return [replace(nm, fit=f, level_shares=members.level_shares(table[c], cells)) for c, (nm, f) in enumerate(zip(named, fit))]


def name(
    rows: Rows,
    feats: Features,
    clustering: Clustering,
    prof: Profile,
    rulebook: Rulebook,
    cfg: ClusteringSettings,
    label_of: Callable[[str], str],
    previous_cuts: dict[str, tuple[float, ...]] | None = None,
) -> Naming:
    """Name the clusters; when a name does not hold for HOLDS of its cluster's customers (and k is
    chosen from the data), form the segments by name from fine clusters instead."""
    cuts, kept = steady_cuts(label.level_cuts(prof, rulebook), previous_cuts or {})
    # a feature the pack has no levels for, or rhythm levels without a buying cycle (no repeat buyer,
    # or not an order log); a feature with levels that cannot separate customers this month is still
    # judged (its rules fall through, label.unseparated_warnings says so)
    flat = label.unseparated(prof, rulebook)
    unjudged = tuple(f for f in feats.roles if f not in cuts and f not in flat)
    if unjudged:
        named = label.auto_label(prof, feats.roles, label_of)
        return Naming(clustering, prof, _auto_fits(rows, prof, named, clustering), cuts, "data", unjudged=unjudged)
    short = is_short(prof)
    rules = label.usable_rules(rulebook, short)
    cells = members.cells_of(cuts)
    named = label.label(prof, rulebook, cuts, label_of, short)
    by = [nm.rule_of or rulebook.fallback for nm in named]
    table = rows.cell_counts(LABEL, clustering.k, cuts, cells)
    fit = members.fits(table, by, rules, cells, rulebook)
    if min(fit) >= members.HOLDS or cfg.k != "auto":  # a k set in the settings is kept; weak names are flagged
        return Naming(clustering, prof, _with(named, fit, table, cells), cuts, "clusters", short_history=short, table=table, cells=cells, rules=rules, kept_cuts=kept)

    first = tuple((nm.name, f) for nm, f in zip(named, fit))
    n = prof.n
    distinct = len(np.unique(feats.matrix.round(12), axis=0))
    k_fine = members.fine_k(distinct, n)
    cluster.fine(feats, k_fine, cfg, rows)
    own = members.own_rules(cells, rules, rulebook)
    table = rows.cell_counts(FINE, k_fine, cuts, cells)
    grouped = members.by_name(table, own, len(rules), members.min_size(cfg.min_share, n), MAX_SEGMENTS)
    given: list[SegmentRule] = [rules[i] if i < len(rules) else rulebook.fallback for i in grouped.rules]
    weak = ", ".join(f"{nm} ({f:.0%})" for nm, f in first if f < members.HOLDS)
    reason = (
        f"The {clustering.k} clusters' names did not hold for enough of their customers ({weak} of them satisfy their own name's rule); "
        f"so the customers were clustered into {k_fine} finer groups, each group took the name that holds for most of its customers, "
        f"and the groups with the same name form one segment: {len(given)} segments."
    )
    labels, row_cells = rows.assign(FINE, grouped.segment, cuts, cells)
    prof = profile.profile(rows, len(given), labels, label.quantile_points(rulebook), feats)
    grouping = Grouping(k_fine, row_cells, own, grouped.rules, len(rules), cfg.min_share, MAX_SEGMENTS)
    regrouped = replace(cluster.regroup(feats, labels, len(given), clustering, reason, cfg), grouping=grouping, sizes=grouped.sizes)
    named = label.label(prof, rulebook, cuts, label_of, short, given)
    per_segment = np.zeros((len(given), len(cells)), dtype=np.int64)
    np.add.at(per_segment, (grouped.segment, np.broadcast_to(np.arange(len(cells)), grouped.segment.shape)), table)
    fit = members.fits(per_segment, given, rules, cells, rulebook)
    named = _with(named, fit, per_segment, cells)
    folded = tuple((rules[i].name if i < len(rules) else rulebook.fallback.name, size) for i, size in grouped.folded)
    return Naming(
        regrouped, prof, named, cuts, "by name",
        short_history=short, fine_k=k_fine, cluster_fits=first, folded=folded, table=per_segment, cells=cells, rules=rules, kept_cuts=kept,
    )


def keep_names(naming: Naming, previous_names: dict[int, str], rulebook: Rulebook, prof: Profile, label_of: Callable[[str], str]) -> Naming:
    """A cluster that continues last month's segment keeps last month's name while that name's rule
    still holds for HOLDS of its customers: a centre that drifts across a level cut does not rename
    customers who did nothing different. `previous_names`: cluster -> last month's base name."""
    if naming.how != "clusters" or naming.table is None or naming.cells is None:
        return naming
    by_name = {r.name: r for r in naming.rules}
    given: list[SegmentRule] = [nm.rule_of or rulebook.fallback for nm in naming.named]
    changed = False
    for c, old in previous_names.items():
        rule = by_name.get(old)
        if rule is None or rule is given[c]:
            continue
        fit = members.fits(naming.table[c : c + 1], [rule], naming.rules, naming.cells, rulebook)[0]
        if fit >= members.HOLDS:
            given[c], changed = rule, True
    if not changed:
        return naming
    named = label.label(prof, rulebook, naming.cuts, label_of, naming.short_history, given)
    fit = members.fits(naming.table, given, naming.rules, naming.cells, rulebook)
    return replace(naming, named=_with(named, fit, naming.table, naming.cells))


def old_fits(naming: Naming, previous: Any, matches: dict[int, int], rulebook: Rulebook) -> dict[int, float]:
    """For each segment that continues one of last month's under another name: the share of its
    customers that still meet last month's name's rule (why the name changed, in numbers)."""
    if naming.table is None or naming.cells is None:
        return {}
    by_name = {r.name: r for r in naming.rules}
    out = {}
    for c, i in matches.items():
        old = previous.segments[i].base_name
        if c < len(naming.named) and old != naming.named[c].base_name and old in by_name:
            out[c] = members.fits(naming.table[c : c + 1], [by_name[old]], naming.rules, naming.cells, rulebook)[0]
    return out
