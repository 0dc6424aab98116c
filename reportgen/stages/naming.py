"""Segments and their names: the clusters named by the rules when the names hold for their
customers, else segments formed by the names that hold (stages/members.py); names from the data
when the rule pack does not judge every clustered feature.

Time is judged as time: an order log's recency levels are cut in days from the shop's own buying
cycle (rules `method: rhythm`); when the log covers too little time to tell who is slipping away
(under SHORT_DAYS days or SHORT_CYCLES buying cycles), the rules marked `lapsing` are held back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..config import Clustering as ClusteringSettings
from ..model import Clustering, CustomerTable, Features, Grouping, Profile
from ..rules import Rulebook, SegmentRule
from . import cluster, label, members, profile

SHORT_DAYS = 90  # a log covering fewer days than this cannot tell lapsing customers from quiet ones
SHORT_CYCLES = 3  # nor one covering fewer buying cycles
MAX_SEGMENTS = 10


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
    folded: tuple[tuple[str, int], ...] = ()  # names too small to stand alone: (name, customers)


def is_short(prof: Profile) -> bool:
    r = prof.rhythm
    if r is None:
        return False
    return r.history_days < SHORT_DAYS or (r.cycle_days is not None and r.history_days < SHORT_CYCLES * r.cycle_days)


def _values(table: CustomerTable, features: tuple[str, ...] | list[str]) -> dict[str, np.ndarray]:
    return {f: table.frame[f].to_numpy(dtype=np.float64) for f in features if f in table.frame.columns}


def _auto_fits(table: CustomerTable, prof: Profile, named: list[label.Named], labels: np.ndarray) -> list[label.Named]:
    """Names from the data hold for a customer whose own values fall in the same thirds as the name says."""
    k = len(named)
    sizes = np.bincount(labels, minlength=k)
    words = [w for _, w in label.AUTO_WORDS]
    out = []
    for c, n in enumerate(named):
        ok = np.ones(len(labels), dtype=bool)
        for f, word in n.claimed.items():
            levels = members.level_numbers(table.frame[f].to_numpy(dtype=np.float64), label.auto_cuts(prof, f))
            ok &= levels == words.index(word)
        held = np.bincount(labels[ok], minlength=k)[c]
        out.append(replace(n, fit=round(float(held / sizes[c]), 4) if sizes[c] else 0.0))
    return out


def name(
    table: CustomerTable,
    feats: Features,
    clustering: Clustering,
    prof: Profile,
    rulebook: Rulebook,
    cfg: ClusteringSettings,
    label_of: Callable[[str], str],
) -> Naming:
    """Name the clusters; when a name does not hold for HOLDS of its cluster's customers (and k is
    chosen from the data), form the segments by name from fine clusters instead."""
    points = label.quantile_points(rulebook)
    cuts = label.level_cuts(prof, rulebook)
    # a feature the pack has no levels for, or rhythm levels without a buying cycle (no repeat buyer,
    # or not an order log); a feature with levels that cannot separate customers this month is still
    # judged (its rules fall through, label.unseparated_warnings says so)
    flat = label.unseparated(prof, rulebook)
    unjudged = tuple(f for f in feats.roles if f not in cuts and f not in flat)
    if unjudged:
        named = label.auto_label(prof, feats.roles, label_of)
        return Naming(clustering, prof, _auto_fits(table, prof, named, clustering.labels), cuts, "data", unjudged=unjudged)
    short = is_short(prof)
    rules = label.usable_rules(rulebook, short)
    n = len(clustering.labels)
    levels = members.customer_levels(_values(table, list(cuts)), cuts)
    named = label.label(prof, rulebook, cuts, label_of, short)
    by = [nm.rule_of or rulebook.fallback for nm in named]
    fit = members.fits(clustering.labels, clustering.k, by, rules, levels, rulebook)
    if min(fit) >= members.HOLDS or cfg.k != "auto":  # a k set in the settings is kept; weak names are flagged
        return Naming(clustering, prof, [replace(nm, fit=f) for nm, f in zip(named, fit)], cuts, "clusters", short_history=short)

    first = tuple((nm.name, f) for nm, f in zip(named, fit))
    distinct = len(np.unique(feats.matrix.round(12), axis=0))
    k_fine = members.fine_k(distinct, n)
    fine = cluster.fine(feats, k_fine, cfg)
    own = members.own_rules(levels, rules, rulebook, n)
    grouped = members.by_name(fine, k_fine, own, len(rules), members.min_size(cfg.min_share, n), MAX_SEGMENTS)
    given: list[SegmentRule] = [rules[i] if i < len(rules) else rulebook.fallback for i in grouped.rules]
    weak = ", ".join(f"{nm} ({f:.0%})" for nm, f in first if f < members.HOLDS)
    reason = (
        f"The {clustering.k} clusters' names did not hold for enough of their customers ({weak} of them satisfy their own name's rule); "
        f"so the customers were clustered into {k_fine} finer groups, each group took the name that holds for most of its customers, "
        f"and the groups with the same name form one segment: {len(given)} segments."
    )
    grouping = Grouping(k_fine, own, grouped.rules, len(rules), cfg.min_share, MAX_SEGMENTS)
    regrouped = replace(cluster.regroup(feats, grouped.labels, len(given), clustering, reason, cfg), grouping=grouping)
    prof = profile.profile(table, regrouped, points, feats)
    named = label.label(prof, rulebook, cuts, label_of, short, given)
    fit = members.fits(regrouped.labels, regrouped.k, given, rules, levels, rulebook)
    folded = tuple((rules[i].name if i < len(rules) else rulebook.fallback.name, size) for i, size in grouped.folded)
    return Naming(
        regrouped, prof, [replace(nm, fit=f) for nm, f in zip(named, fit)], cuts, "by name",
        short_history=short, fine_k=k_fine, cluster_fits=first, folded=folded,
    )
