"""Pure: each cluster's centroid -> levels per feature -> the first matching rule's name.

Centroids are in original units (the mean of the cluster's customers), so rules read like the
report: "income high, spending low". Quantile levels are relative to this month's customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..model import Profile
from ..rules import LevelScale, Rulebook, SegmentRule


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
    mixes: dict[str, dict[str, float]]
    means: dict[str, float]
    phrases: dict[str, str] = field(default_factory=dict)  # feature -> how its level reads ("bought recently")
    fit: float | None = None  # share of the segment's customers whose own values satisfy the rule that named it
    rule_of: SegmentRule | None = None  # the rule that named it (None: named from the data)
    claimed: dict[str, str] = field(default_factory=dict)  # named from the data: the levels the name states
    level_shares: dict[str, tuple[float, ...]] = field(default_factory=dict)  # per judged feature, the share of customers at each level
    level_phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per judged feature, each level's phrase, lowest level first


def quantile_points(rulebook: Rulebook) -> dict[str, tuple[float, ...]]:
    """The shares of customers at which quantile levels are cut, by feature."""
    return {role: scale.cuts for role, scale in rulebook.levels.items() if scale.method == "quantile"}


def _quantile_values(profile: Profile, role: str, scale: LevelScale) -> tuple[float, ...]:
    return tuple(profile.quantiles[role][q] for q in scale.cuts)


def unseparated(profile: Profile, rulebook: Rulebook) -> dict[str, str]:
    """Features whose quantile levels cannot tell customers apart this month, with why: no spread
    at all, or so many tied values that two cuts coincide (cuts [50, 50] leave the middle level
    empty, and every centre at 50 would be called 'high'). Such a feature must not name segments."""
    found: dict[str, str] = {}
    for role, scale in rulebook.levels.items():
        if scale.method != "quantile" or role not in profile.quantiles:
            continue
        values = _quantile_values(profile, role, scale)
        ends = profile.percentiles.get(role)
        if ends and ends[-1] - ends[0] <= 1e-9 * max(1.0, abs(ends[0])):
            found[role] = f"every customer has the same {role} ({ends[0]:g})"
        elif any(b - a <= 1e-9 * max(1.0, abs(a)) for a, b in zip(values, values[1:])):
            tied = next(a for a, b in zip(values, values[1:]) if b - a <= 1e-9 * max(1.0, abs(a)))
            found[role] = f"so many customers share the {role} {tied:g} that its level cuts coincide ({', '.join(f'{v:g}' for v in values)})"
    return found


def unseparated_warnings(profile: Profile, rulebook: Rulebook) -> tuple[str, ...]:
    return tuple(
        f"'{role}' cannot separate customers this month: {why}. No segment is named by its {role} level; "
        f"rules that need it fall through to the next rule."
        for role, why in unseparated(profile, rulebook).items()
    )


def rhythm_cuts(scale: LevelScale, cycle_days: float) -> tuple[float, ...]:
    """A rhythm level's cuts in days: so many buying cycles, each kept between its floor and ceiling
    ("recently" is never a year ago, "about to sleep" never a fortnight)."""
    cuts = []
    for i, cycles in enumerate(scale.cuts):
        days = cycles * cycle_days
        if scale.floor:
            days = max(days, scale.floor[i])
        if scale.ceiling:
            days = min(days, scale.ceiling[i])
        cuts.append(round(days, 1))
    for i in range(1, len(cuts)):  # bounds may pinch two cuts together: keep them strictly ascending
        cuts[i] = max(cuts[i], cuts[i - 1] + 1)
    return tuple(cuts)


def level_cuts(profile: Profile, rulebook: Rulebook) -> dict[str, tuple[float, ...]]:
    """Cut points per feature in the feature's own units (only features this run has, and only
    features that can separate customers: see unseparated). Rhythm levels need an order log's
    buying cycle; without one (a customer table, or no customer who ordered twice) they judge nothing."""
    cuts: dict[str, tuple[float, ...]] = {}
    flat = unseparated(profile, rulebook)
    for role, scale in rulebook.levels.items():
        if role not in profile.population or (scale.method == "quantile" and role not in profile.quantiles) or role in flat:
            continue
        if scale.method == "rhythm":
            cycle = profile.rhythm.cycle_days if profile.rhythm else None
            if cycle is None:
                continue
            cuts[role] = rhythm_cuts(scale, cycle)
        else:
            cuts[role] = scale.cuts if scale.method == "absolute" else _quantile_values(profile, role, scale)
    return cuts


def _level(value: float, cuts: tuple[float, ...], names: tuple[str, ...]) -> str:
    return names[int(np.searchsorted(np.asarray(cuts), value, side="right"))]


def _matches(rule: SegmentRule, levels: dict[str, str]) -> bool:
    return all(role in levels and levels[role] in allowed for role, allowed in rule.when.items())


def _phrases(levels: dict[str, str], rulebook: Rulebook) -> dict[str, str]:
    return {role: rulebook.levels[role].phrases.get(levels[role], f"{levels[role]} {role}") for role in rulebook.levels if role in levels}


def _profile(levels: dict[str, str], rulebook: Rulebook) -> str:
    return ", ".join(_phrases(levels, rulebook).values())


ORDER_WORDS = {2: ("lower", "higher"), 3: ("lowest", "middle", "highest"), 4: ("lowest", "lower", "higher", "highest")}


def _by_order(named: list[Named], idx: list[int], profile: Profile, features: list[str], label_of: Callable[[str], str]) -> list[str] | None:
    """Suffixes that rank segments of one name on the feature that sets each of them furthest from
    the next (in shares of customers): "lower spend" / "higher spend"; None when none tells them apart."""
    apart: dict[str, tuple[float, float]] = {}  # feature -> (smallest gap between neighbours, spread)
    for f in features:
        if all(f in named[i].centroid for i in idx):
            shares = sorted(_share_below(profile, f, named[i].centroid[f]) for i in idx)
            apart[f] = (min(b - a for a, b in zip(shares, shares[1:])), shares[-1] - shares[0])
    if not apart or len(idx) not in ORDER_WORDS:
        return None
    f = max(apart, key=lambda g: (apart[g], -features.index(g)))
    if apart[f][1] <= 0:
        return None
    values = [named[i].centroid[f] for i in idx]
    rank = {pos: r for r, pos in enumerate(sorted(range(len(idx)), key=lambda j: values[j]))}
    name = label_of(f).lower()
    words = [ORDER_WORDS[len(idx)][rank[j]] for j in range(len(idx))]
    # "higher spend" reads well; "highest days since last purchase" does not: "days since last purchase: highest"
    return [f"{w} {name}" if len(name.split()) <= 2 else f"{name}: {w}" for w in words]


def _tell_apart(named: list[Named], profile: Profile, levels_of: dict[str, LevelScale] | None, features: list[str], label_of: Callable[[str], str]) -> list[Named]:
    """Equal names get a suffix: the first rule feature whose level differs ("high income"), else
    their order on the feature that sets them furthest apart ("higher spend"), else a number."""
    result = list(named)
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(named):
        groups.setdefault(n.base_name, []).append(i)
    for base, idx in groups.items():
        if len(idx) < 2:
            continue
        suffixes: list[str] | None = None
        for role, scale in (levels_of or {}).items():
            levels = [named[i].levels.get(role) for i in idx]
            if None not in levels and len(set(levels)) == len(levels):
                suffixes = [scale.phrases.get(str(lv), f"{lv} {role}") for lv in levels]
                break
        if suffixes is None:
            suffixes = _by_order(named, idx, profile, features, label_of)
        if suffixes is None:
            suffixes = [str(n + 1) for n in range(len(idx))]
        for i, suffix in zip(idx, suffixes):
            result[i] = replace(named[i], name=f"{base} ({suffix})")
    return result


def usable_rules(rulebook: Rulebook, hold_back_lapsing: bool = False) -> tuple[SegmentRule, ...]:
    """The rules that may name a segment this run: all, or all but the lapsing ones when the history
    is too short to tell who is slipping away."""
    return tuple(r for r in rulebook.rules if not (hold_back_lapsing and r.lapsing))


def label(
    profile: Profile,
    rulebook: Rulebook,
    cuts: dict[str, tuple[float, ...]],
    label_of: Callable[[str], str] = str,
    hold_back_lapsing: bool = False,
    given: list[SegmentRule] | None = None,
) -> list[Named]:
    """Each cluster named by the first rule its centre's levels match, or by the rule `given` for it
    (segments formed by name, see stages/members.py)."""
    named = []
    rules = usable_rules(rulebook, hold_back_lapsing)
    for cluster, centroid in enumerate(profile.centroids):
        levels = {
            role: _level(centroid[role], cuts[role], rulebook.levels[role].names)
            for role in rulebook.levels
            if role in cuts and role in centroid
        }
        rule = given[cluster] if given is not None else next((r for r in rules if _matches(r, levels)), rulebook.fallback)
        rule_id = "fallback" if rule is rulebook.fallback else rule.name
        named.append(
            Named(
                cluster=cluster,
                base_name=rule.name,
                name=rule.name,
                rule=rule_id,
                # a description speaks of features; it is shown only when this run judged every one of them
                description=rule.description if rule.about <= set(cuts) else "",
                centroid=centroid,
                levels=levels,
                profile=_profile(levels, rulebook),
                mixes=profile.mixes[cluster],
                means=profile.means[cluster],
                phrases=_phrases(levels, rulebook),
                level_phrases={r: tuple(rulebook.levels[r].phrases.get(n, f"{n} {r}") for n in rulebook.levels[r].names) for r in cuts if r in rulebook.levels},
                rule_of=rule,
            )
        )
    return _tell_apart(named, profile, rulebook.levels, list(rulebook.levels), label_of)


AUTO_WORDS = ((1 / 3, "low"), (2 / 3, "medium"), (1.01, "high"))


def auto_cuts(profile: Profile, feature: str) -> tuple[float, float]:
    """The values at a third and two thirds of the customers: where names from the data change word."""
    grid = np.asarray(profile.percentiles[feature])
    return float(np.interp(100 / 3, np.arange(len(grid)), grid)), float(np.interp(200 / 3, np.arange(len(grid)), grid))


def _share_below(profile: Profile, feature: str, value: float) -> float:
    """The share of customers below a value, from the feature's percentiles (0..1)."""
    grid = np.asarray(profile.percentiles.get(feature, ()))
    if not len(grid):
        return 0.5
    below = np.searchsorted(grid, value, side="left")
    above = np.searchsorted(grid, value, side="right")
    return float(min(1.0, max(0.0, (below + above - 1) / 2 / 100)))


def auto_label(profile: Profile, features: tuple[str, ...], label_of: Callable[[str], str]) -> list[Named]:
    """Names from the data when no rule judges this run's features: each segment by the two
    clustered features on which it stands furthest from the middle customer ("High spend, low
    recency"), so a first run on a new table reads sensibly before its own rules are written."""
    named = []
    for cluster, centroid in enumerate(profile.centroids):
        shares = {f: _share_below(profile, f, centroid[f]) for f in features if f in centroid}
        levels = {f: next(word for cut, word in AUTO_WORDS if s < cut) for f, s in shares.items()}
        ranked = sorted(shares, key=lambda f: (-abs(shares[f] - 0.5), features.index(f)))[:2]
        ranked.sort(key=features.index)  # the same levels always read the same
        parts = [f"{levels[f]} {label_of(f).lower()}" for f in ranked if levels[f] != "medium"] or ["around the middle"]
        claimed = {f: levels[f] for f in ranked if levels[f] != "medium"} or {f: "medium" for f in ranked}
        name = parts[0][:1].upper() + parts[0][1:] + (f", {parts[1]}" if len(parts) > 1 else "")
        words = ", ".join(f"{levels[f]} {label_of(f).lower()}" for f in features if f in levels)
        named.append(
            Named(
                cluster=cluster, base_name=name, name=name, rule="automatic", description="Named from the data: no rule judges these features.",
                centroid=centroid, levels=levels, profile=words, mixes=profile.mixes[cluster], means=profile.means[cluster],
                phrases={f: f"{levels[f]} {label_of(f).lower()}" for f in features if f in levels},
                claimed=claimed,
            )
        )
    return _tell_apart(named, profile, None, list(features), label_of)
