"""Pure: each cluster's centroid -> levels per role -> the first matching rule's name.

Centroids are in original units (the mean of the cluster's customers), so rules read like the
report: "income high, spending low". Quantile levels are relative to this month's customers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..model import Clustering, CustomerTable
from ..rules import Rulebook, SegmentRule

ROLE_ORDER = ("age", "income", "spending")


@dataclass(frozen=True)
class Named:
    """A cluster's name and the facts it was derived from; campaigns are attached later."""

    cluster: int
    base_name: str  # the rule's name, before telling equal names apart
    name: str
    rule: str
    description: str
    centroid: dict[str, float]
    levels: dict[str, str]
    profile: str
    gender_mix: dict[str, float]


def level_cuts(table: CustomerTable, rulebook: Rulebook) -> dict[str, tuple[float, ...]]:
    """Cut points per role in the role's own units."""
    cuts: dict[str, tuple[float, ...]] = {}
    for role, scale in rulebook.levels.items():
        if role not in table.frame.columns:
            continue
        if scale.method == "absolute":
            cuts[role] = scale.cuts
        else:
            values = table.frame[role].dropna().to_numpy()
            cuts[role] = tuple(float(q) for q in np.quantile(values, scale.cuts))
    return cuts


def centroids(table: CustomerTable, clustering: Clustering) -> list[dict[str, float]]:
    """Mean of every numeric role per cluster (missing values skipped), in original units."""
    labels = clustering.labels
    result: list[dict[str, float]] = [{} for _ in range(clustering.k)]
    for role in table.numeric_roles:
        values = table.frame[role].to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        sums = np.bincount(labels[present], weights=values[present], minlength=clustering.k)
        counts = np.bincount(labels[present], minlength=clustering.k)
        for c in range(clustering.k):
            if counts[c]:
                result[c][role] = float(sums[c] / counts[c])
    return result


def gender_mix(table: CustomerTable, clustering: Clustering) -> list[dict[str, float]]:
    """Share of each gender value within each cluster (empty when the table has no gender)."""
    if "gender" not in table.frame.columns:
        return [{} for _ in range(clustering.k)]
    codes, values = pd.factorize(table.frame["gender"], sort=True)
    counts = np.bincount(clustering.labels * len(values) + codes, minlength=clustering.k * len(values)).reshape(clustering.k, len(values))
    mixes = []
    for row in counts:
        total = row.sum()
        mixes.append({str(v): round(float(n / total), 4) for v, n in zip(values, row) if n} if total else {})
    return mixes


def _level(value: float, cuts: tuple[float, ...], names: tuple[str, ...]) -> str:
    return names[int(np.searchsorted(np.asarray(cuts), value, side="right"))]


def _matches(rule: SegmentRule, levels: dict[str, str]) -> bool:
    return all(role in levels and levels[role] in allowed for role, allowed in rule.when.items())


def _profile(levels: dict[str, str], rulebook: Rulebook) -> str:
    words = []
    for role in ROLE_ORDER:
        if role in levels:
            scale = rulebook.levels[role]
            words.append(scale.phrases.get(levels[role], f"{levels[role]} {role}"))
    return ", ".join(words)


def _tell_apart(named: list[Named], rulebook: Rulebook) -> list[Named]:
    """Equal names get a suffix from the first role whose level differs, else a number."""
    result = list(named)
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(named):
        groups.setdefault(n.base_name, []).append(i)
    for base, idx in groups.items():
        if len(idx) < 2:
            continue
        suffixes: list[str] | None = None
        for role in ROLE_ORDER:
            levels = [named[i].levels.get(role) for i in idx]
            if None not in levels and len(set(levels)) == len(levels):
                scale = rulebook.levels[role]
                suffixes = [scale.phrases.get(str(lv), f"{lv} {role}") for lv in levels]
                break
        if suffixes is None:
            suffixes = [str(n + 1) for n in range(len(idx))]
        for i, suffix in zip(idx, suffixes):
            n = named[i]
            result[i] = replace(n, name=f"{base} ({suffix})")
    return result


def label(table: CustomerTable, clustering: Clustering, rulebook: Rulebook, cuts: dict[str, tuple[float, ...]]) -> list[Named]:
    named = []
    mixes = gender_mix(table, clustering)
    for cluster, centroid in enumerate(centroids(table, clustering)):
        levels = {
            role: _level(centroid[role], cuts[role], rulebook.levels[role].names)
            for role in ROLE_ORDER
            if role in cuts and role in centroid
        }
        rule = next((r for r in rulebook.rules if _matches(r, levels)), rulebook.fallback)
        rule_id = "fallback" if rule is rulebook.fallback else rule.name
        named.append(
            Named(
                cluster=cluster,
                base_name=rule.name,
                name=rule.name,
                rule=rule_id,
                description=rule.description,
                centroid=centroid,
                levels=levels,
                profile=_profile(levels, rulebook),
                gender_mix=mixes[cluster],
            )
        )
    return _tell_apart(named, rulebook)
