"""The rule language: segments.yaml (levels + named conditions) and campaigns.yaml, parsed and checked.

A rule file is refused on load, with the file, line and rule named, when it has a YAML error, an
unknown key, role or level, or a rule that can never match (no level allowed, or earlier rules
catch every centroid it would, alone or together).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from .yamlfile import read_yaml
from .errors import RuleError
from .model import Campaign
from .schema import Strict, first_error, keys_at, message, unknown_key
from .suggest import closest, did_you_mean
from .vocabulary import FEATURE_NAME


class _LevelSpec(Strict):
    method: Literal["quantile", "absolute", "rhythm"]
    cuts: list[float] = Field(min_length=1)
    names: list[str]
    phrases: dict[str, str] = {}
    floor: list[float] | None = None  # rhythm: each cut at least this many of the feature's units (days)
    ceiling: list[float] | None = None  # rhythm: each cut at most this many


class _RuleSpec(Strict):
    name: str = Field(min_length=1)
    when: dict[str, str | list[str]] = Field(min_length=1)
    description: str = ""
    about: list[str] | None = None  # the features the name and description speak of; default: those in `when`
    lapsing: bool = False  # the name says customers are slipping away: held back when the history is too short to tell


class _FallbackSpec(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    about: list[str] = []


class _SegmentsFile(Strict):
    levels: dict[str, _LevelSpec] = Field(min_length=1)
    segments: list[_RuleSpec] = Field(min_length=1)
    fallback: _FallbackSpec


class _CampaignSpec(Strict):
    name: str = Field(min_length=1)
    objective: str
    channels: list[str] = Field(min_length=1)
    offer: str
    kpi: str
    budget_share: float = Field(gt=0, le=1)
    tone: str


class _CampaignsFile(Strict):
    campaigns: dict[str, list[_CampaignSpec]]


@dataclass(frozen=True)
class LevelScale:
    role: str
    method: str  # quantile (shares of customers), absolute (the feature's units) or rhythm (buying cycles)
    cuts: tuple[float, ...]
    names: tuple[str, ...]
    phrases: dict[str, str]
    floor: tuple[float, ...] = ()  # rhythm: bounds of each cut in the feature's units
    ceiling: tuple[float, ...] = ()


@dataclass(frozen=True)
class SegmentRule:
    name: str
    when: dict[str, frozenset[str]]
    description: str
    line: int
    about: frozenset[str] = frozenset()  # features the name and description speak of
    lapsing: bool = False


@dataclass(frozen=True)
class Rulebook:
    path: Path
    levels: dict[str, LevelScale]
    rules: tuple[SegmentRule, ...]
    fallback: SegmentRule

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([r.name for r in self.rules] + [self.fallback.name]))


@dataclass(frozen=True)
class CampaignBook:
    path: Path
    by_segment: dict[str, tuple[Campaign, ...]]


def _item_lines(text: str, key: str) -> dict[str, int]:
    """1-based line of each item under the top-level `key`, by list index ("0", "1", ...) or by
    mapping key (for messages that name the rule)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    for k, v in root.value:
        if k.value == key and isinstance(v, yaml.SequenceNode):
            return {str(i): item.start_mark.line + 1 for i, item in enumerate(v.value)}
        if k.value == key and isinstance(v, yaml.MappingNode):
            return {str(kk.value): kk.start_mark.line + 1 for kk, _ in v.value}
    return {}


def _key_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(f"{key}:"):
            return number
    return 0


def _validation_error(path: Path, exc: ValidationError, text: str, model: type[BaseModel], list_key: str) -> RuleError:
    first = first_error(exc)
    loc = [str(p) for p in first["loc"]]
    line = 0
    if len(loc) > 1 and loc[0] == list_key:
        line = _item_lines(text, list_key).get(loc[1], 0)
    elif loc:
        line = _key_line(text, loc[0])
    where = f" line {line}" if line else ""
    if unknown_key(first):
        return RuleError(f"{path}{where}: unknown key '{loc[-1]}' (at {'.'.join(loc)}).", did_you_mean(loc[-1], keys_at(model, loc), listing="Valid"))
    return RuleError(f"{path}{where}: {'.'.join(loc)}: {message(first)}.", "See the schema in the comment at the top of the bundled file.")


def _parse(path: Path, model: type[BaseModel], list_key: str) -> tuple[Any, str]:
    data = read_yaml(path, "Rule file")
    text = path.read_text(encoding="utf-8-sig")
    if not isinstance(data, dict):
        raise RuleError(f"{path}: expected a mapping with '{list_key}' at the top.", "See the schema comment in the bundled file.")
    try:
        return model.model_validate(data), text
    except ValidationError as exc:
        raise _validation_error(path, exc, text, model, list_key) from None


def _levels(path: Path, spec: _SegmentsFile, text: str) -> dict[str, LevelScale]:
    levels: dict[str, LevelScale] = {}
    for role, lv in spec.levels.items():
        where = f"{path} line {_key_line(text, role)}"
        if not FEATURE_NAME.match(role):
            raise RuleError(f"{where}: '{role}' is not a feature name.", "Feature names are letters, digits and underscores, starting with a letter.")
        if len(lv.names) != len(lv.cuts) + 1 or len(set(lv.names)) != len(lv.names):
            raise RuleError(f"{where}: role '{role}' needs one more level name than cuts, all different.", f"It has {len(lv.cuts)} cuts and names {lv.names}.")
        if list(lv.cuts) != sorted(set(lv.cuts)):
            raise RuleError(f"{where}: the cuts for '{role}' must be strictly ascending.", f"Got {lv.cuts}.")
        if lv.method == "quantile" and not all(0 < c < 1 for c in lv.cuts):
            raise RuleError(f"{where}: quantile cuts for '{role}' are shares of customers between 0 and 1.", f"Got {lv.cuts}.")
        if lv.method == "rhythm" and not all(c > 0 for c in lv.cuts):
            raise RuleError(f"{where}: rhythm cuts for '{role}' are numbers of buying cycles above 0.", f"Got {lv.cuts}.")
        bounds = {"floor": lv.floor, "ceiling": lv.ceiling}
        for key, values in bounds.items():
            if values is None:
                continue
            if lv.method != "rhythm":
                raise RuleError(f"{where}: '{key}' belongs to rhythm levels; '{role}' is {lv.method}.", "Remove it, or use method: rhythm.")
            if len(values) != len(lv.cuts):
                raise RuleError(f"{where}: '{role}' needs one {key} per cut ({len(lv.cuts)}).", f"Got {values}.")
        if lv.floor and lv.ceiling and any(f > c for f, c in zip(lv.floor, lv.ceiling)):
            raise RuleError(f"{where}: a floor of '{role}' is above its ceiling.", f"floor {lv.floor}, ceiling {lv.ceiling}.")
        unknown = set(lv.phrases) - set(lv.names)
        if unknown:
            bad = sorted(unknown)[0]
            raise RuleError(f"{where}: a phrase names level '{bad}', which '{role}' does not have.", did_you_mean(bad, lv.names, listing="Valid"))
        levels[role] = LevelScale(role, lv.method, tuple(lv.cuts), tuple(lv.names), dict(lv.phrases), tuple(lv.floor or ()), tuple(lv.ceiling or ()))
    return levels


def _covers(earlier: SegmentRule, later: SegmentRule) -> bool:
    """True when every centroid that matches `later` already matches `earlier`."""
    return all(role in later.when and later.when[role] <= allowed for role, allowed in earlier.when.items())


def _about(where: str, about: list[str] | None, levels: dict[str, LevelScale], judged: set[str]) -> frozenset[str]:
    """The features a rule's words speak of: its conditions' features, and any it lists under `about`."""
    for f in about or ():
        if f not in levels:
            raise RuleError(f"{where}: 'about' names '{f}', which has no levels.", did_you_mean(f, tuple(levels), listing="Valid"))
    return frozenset(judged | set(about or ()))


def _caught_by(earlier: list[SegmentRule], later: SegmentRule) -> list[SegmentRule]:
    """The earlier rules that together catch every centroid `later` would match (first match wins),
    or [] when some centroid reaches it. One rule may do it alone (_covers); several may share the
    work ('income: high', then 'income: [low, medium]', leave nothing for 'income: [low, high]').
    A centroid `later` matches has one of its allowed levels for each feature it names; leaving the
    other features without a level matches the fewest earlier rules, so only those combinations
    are tried (a few levels per feature: a handful of combinations)."""
    alone = next((e for e in earlier if _covers(e, later)), None)
    if alone is not None:
        return [alone]
    roles = sorted(later.when)
    catchers: list[SegmentRule] = []
    for combo in product(*(sorted(later.when[r]) for r in roles)):
        levels = dict(zip(roles, combo))
        first = next((e for e in earlier if all(r in levels and levels[r] in allowed for r, allowed in e.when.items())), None)
        if first is None:
            return []
        if first not in catchers:
            catchers.append(first)
    return catchers


def load_segments(path: Path) -> Rulebook:
    spec, text = _parse(path, _SegmentsFile, "segments")
    levels = _levels(path, spec, text)
    lines = _item_lines(text, "segments")
    rules: list[SegmentRule] = []
    for i, r in enumerate(spec.segments):
        line = lines.get(str(i), 0)
        where = f"{path} line {line}, rule '{r.name}'"
        when: dict[str, frozenset[str]] = {}
        for role, allowed in r.when.items():
            if role not in levels:
                raise RuleError(f"{where}: unknown feature '{role}'.", f"{did_you_mean(role, tuple(levels), listing='Valid')} Features with levels: {', '.join(levels)}.")
            values = [allowed] if isinstance(allowed, str) else list(allowed)
            if not values:
                raise RuleError(f"{where}: role '{role}' allows no level, so the rule can never match.", "List at least one level.")
            for v in values:
                if v not in levels[role].names:
                    raise RuleError(f"{where}: unknown level '{v}' for '{role}'.", did_you_mean(v, levels[role].names, listing="Valid"))
            when[role] = frozenset(values)
        about = _about(where, r.about, levels, set(when))
        rule = SegmentRule(r.name, when, r.description, line, about, r.lapsing)
        caught = _caught_by(rules, rule)
        if caught:
            named = " and ".join(f"'{e.name}' (line {e.line})" for e in caught)
            catch = f"rule {named} above it catches" if len(caught) == 1 else f"rules {named} above it catch"
            raise RuleError(f"{where}: can never match, because {catch} every centroid it would.", "Move the more specific rule first, or narrow the earlier ones.")
        rules.append(rule)
    line = _key_line(text, "fallback")
    about = _about(f"{path} line {line}, fallback", spec.fallback.about, levels, set())
    fallback = SegmentRule(spec.fallback.name, {}, spec.fallback.description, line, about)
    return Rulebook(path=path, levels=levels, rules=tuple(rules), fallback=fallback)


def check_features(rulebook: Rulebook, available: list[str]) -> None:
    """Levels may name features a run lacks (the mall pack's age), but not only such features, and
    not a near miss of one it has (a typo)."""
    text = rulebook.path.read_text(encoding="utf-8-sig")
    missing = [f for f in rulebook.levels if f not in available]
    for name in missing:
        near = closest(name, available, cutoff=0.8, prefix=False)
        if near is not None and near not in rulebook.levels:
            raise RuleError(f"{rulebook.path} line {_key_line(text, name)}: levels for unknown feature '{name}'.", f"Did you mean '{near}'?")


def unjudged(rulebook: Rulebook, missing: list[str] | tuple[str, ...]) -> str | None:
    """A warning when the rules do not judge every clustered feature (`missing`), so the segments are
    named from the data: a name from the pack would pass over what the segments differ in."""
    if not missing:
        return None
    judged = ", ".join(rulebook.levels)
    return (
        f"The rules in {rulebook.path} judge {judged}; this run clusters on {', '.join(missing)} too, which they do not judge, "
        f"so the segments are named from the data and have no campaigns: choose the rule pack for this data (rules: mall, rules: rfm, "
        f"or a folder of your own with levels for {', '.join(missing)}), or cluster only on the features the rules judge."
    )


def load_campaigns(path: Path, rulebook: Rulebook) -> CampaignBook:
    spec, text = _parse(path, _CampaignsFile, "campaigns")
    lines = _item_lines(text, "campaigns")
    by_segment: dict[str, tuple[Campaign, ...]] = {}
    for segment, items in spec.campaigns.items():
        if segment not in rulebook.names:
            raise RuleError(
                f"{path} line {lines.get(segment, 0)}: campaigns for '{segment}', which no rule in {rulebook.path.name} names.",
                did_you_mean(segment, rulebook.names, listing="Valid"),
            )
        by_segment[segment] = tuple(
            Campaign(c.name, c.objective, tuple(c.channels), c.offer, c.kpi, c.budget_share, c.tone) for c in items
        )
    return CampaignBook(path=path, by_segment=by_segment)
