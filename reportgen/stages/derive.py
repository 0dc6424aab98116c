"""A customer table's columns -> one row per customer with named features: the plan.

Each feature is defined once, in `columns:` (a column, sum, ratio, birth_year, days_since), and
turned into one SQL query by stages/derive_sql.py through reportgen/sql.py, which DuckDB runs on one
machine and Spark SQL on a cluster: the same text, so the same meaning. `plan` needs only the file's
header (no pandas), so mistakes in the settings are found before any browser or engine starts;
which columns hold text, numbers with currency signs or dates with zones is learnt from the data by
stages/probe.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..input_settings import InputSettings
from ..definitions import BirthYear, Column, DaysSince, Ratio, Sum
from ..errors import ConfigError, DataError
from ..suggest import closest_to_any, did_you_mean, names as name_list
from ..vocabulary import FEATURE_NAME, MALL_CLUSTERED, MALL_FEATURES, RFM_FEATURES, feature_name, find_column, usual_names

MAX_EXAMPLES = 5


def _like(feature: str, header: list[str]) -> str:
    """"Did you mean 'X'? " for the column most like the feature's usual names, else nothing."""
    near = closest_to_any(usual_names(feature), header)
    return f"Did you mean '{near}'? " if near is not None else ""


@dataclass(frozen=True)
class Feature:
    """One configured feature: how it is computed and from which file columns."""

    name: str
    kind: str  # column | sum | ratio | birth_year | days_since
    operands: tuple[str, ...]  # columns or earlier features, as written
    source: str  # how the report states the definition
    sensitive: bool = False
    date_format: str | None = None


@dataclass(frozen=True)
class Plan:
    """What to read and compute; text attributes are told apart from numbers after `probe`."""

    path: Path
    header: tuple[str, ...]
    id_column: str | None
    features: tuple[Feature, ...]  # dependency order
    clustered: tuple[str, ...] | None  # None: chosen once the types are known
    categories: dict[str, str]  # category label -> feature name
    period: str
    text: frozenset[str] = frozenset()  # plain-column features that hold text (attributes)
    date_formats: dict[str, str] = field(default_factory=dict)  # days_since feature -> strftime format
    signed: frozenset[str] = frozenset()  # columns whose numbers carry currency signs or thousands separators
    zoned: frozenset[str] = frozenset()  # days_since features whose times carry a fraction or a zone
    comma: frozenset[str] = frozenset()  # untyped columns whose decimal mark is a comma (stages/numbers.py)

    def by_name(self, name: str) -> Feature:
        return next(f for f in self.features if f.name == name)

    @property
    def columns(self) -> list[str]:
        """File columns to read."""
        used = [c for f in self.features for c in f.operands if c in self.header and not self._is_feature(c, f)]
        if self.id_column:
            used.append(self.id_column)
        return list(dict.fromkeys(used))

    def _is_feature(self, operand: str, owner: Feature) -> bool:
        return operand != owner.name and any(f.name == operand for f in self.features)

    def number_columns(self) -> set[str]:
        """Columns certainly read as numbers (operands of arithmetic), typed on the way in."""
        out: set[str] = set()
        for f in self.features:
            if f.kind in ("sum", "ratio", "birth_year") or (self.clustered and f.name in self.clustered and f.kind == "column"):
                out.update(c for c in f.operands if c in self.header and not self._is_feature(c, f))
        return out

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.name not in self.text)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.name in self.text)


def source_of(settings: InputSettings) -> str:
    return settings.source


def _specs(settings: InputSettings, header: list[str], kind: str) -> dict[str, Any]:
    """Feature name -> spec: the settings' `columns:`, else the recognised mall columns."""
    configured = {k: v for k, v in settings.columns.items() if k != "customer_id"}
    if configured:
        specs: dict[str, Any] = dict(configured)
    else:
        specs = {name: col for name in MALL_FEATURES if (col := find_column(usual_names(name), header))}
    for name in settings.features or ():
        if name not in specs and (col := find_column(usual_names(name), header)) is not None:
            specs[name] = col
    if "gender" not in specs and (col := find_column(usual_names("gender"), header)) is not None and col not in specs.values():
        specs["gender"] = col  # described per segment, never clustered unless asked
    return specs


def _feature(name: str, spec: Any) -> Feature:
    if isinstance(spec, str):
        return Feature(name, "column", (spec,), spec)
    if isinstance(spec, Column):
        return Feature(name, "column", (spec.column,), spec.column, spec.sensitive)
    if isinstance(spec, Sum):
        return Feature(name, "sum", tuple(spec.sum), " + ".join(spec.sum), spec.sensitive)
    if isinstance(spec, Ratio):
        return Feature(name, "ratio", tuple(spec.ratio), f"{spec.ratio[0]} / {spec.ratio[1]}", spec.sensitive)
    if isinstance(spec, BirthYear):
        return Feature(name, "birth_year", (spec.birth_year,), f"age from {spec.birth_year}", spec.sensitive)
    if isinstance(spec, DaysSince):
        return Feature(name, "days_since", (spec.days_since,), f"days since {spec.days_since}", spec.sensitive, spec.date_format)
    raise ConfigError(f"feature '{name}': unknown definition {spec!r}.", "Use a column name or one of sum, ratio, birth_year, days_since.")


def _order(features: dict[str, Feature], where: str) -> list[Feature]:
    """Dependency order; a cycle is refused with its path."""
    done: list[Feature] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = trail[trail.index(name):] + [name]
            raise ConfigError(f"{where}: features {' -> '.join(cycle)} refer to each other in a cycle.", "Define each feature from columns or from features defined without it.")
        state[name] = 1
        f = features[name]
        for op in f.operands:
            if op in features and op != name:
                visit(op, trail + [name])
        state[name] = 2
        done.append(f)

    for name in features:
        visit(name, [])
    return done


def plan(settings: InputSettings, header: list[str], path: Path, kind: str = "customers") -> Plan:
    """Check the settings against the file's header: every operand a column or a feature, no cycles,
    every clustered feature configured."""
    where = source_of(settings)
    specs = _specs(settings, header, kind)
    features = {name: _feature(name, spec) for name, spec in specs.items()}
    for f in features.values():
        for op in f.operands:
            if op in header or (op in features and op != f.name):
                continue
            options = list(header) + [n for n in features if n != f.name]
            raise ConfigError(
                f"{where}: feature '{f.name}' uses column '{op}', which is not in {path.name} and is not a feature.",
                did_you_mean(op, options),
            )
        if f.date_format is not None:
            try:
                from ..sql import java_format

                java_format(f.date_format)
            except ValueError as exc:
                raise ConfigError(f"{where}: feature '{f.name}': date_format {f.date_format!r}: {exc}.", "Use strftime codes such as %d-%m-%Y.") from None
    ordered = _order(features, where)
    id_spec = settings.columns.get("customer_id")
    if id_spec is not None:
        id_column = id_spec if isinstance(id_spec, str) else getattr(id_spec, "column", None)
        if not isinstance(id_column, str):
            raise ConfigError(f"{where}: customer_id must name a column.", "Write customer_id: <column name>.")
        if id_column not in header:
            raise ConfigError(f"{where}: customer_id uses column '{id_column}', which is not in {path.name}.", did_you_mean(id_column, header))
    else:
        id_column = find_column(usual_names("customer_id"), header)
    clustered = tuple(settings.features) if settings.features else None
    if clustered is None and kind == "transactions":
        clustered = RFM_FEATURES
    if clustered is None and (set(MALL_CLUSTERED) <= set(features) or not any(k != "customer_id" for k in settings.columns)):
        clustered = MALL_CLUSTERED  # the mall schema's default
    for name in clustered or ():
        if name not in features:
            configured = [n for n in features]
            if not settings.columns and name in MALL_FEATURES:
                from .order_columns import recognise

                table = " No customer id repeats, so it is a customer table (one row per customer), not an order log." if recognise(header, settings) else ""
                raise DataError(
                    f"{path}: no column for '{name}', which the clustering needs.{table}",
                    f"{_like(name, header)}'reportgen init --data {path}' writes a config for this file (a customer table or an order log); "
                    f"or map it yourself (columns: {{{name}: <column name>}}), or choose other --features. Columns found: {name_list(header)}.",
                )
            raise ConfigError(f"{where}: features: '{name}' is not a configured feature.", f"{did_you_mean(name, configured)} Define it under columns:.")
    for key, names in (("value", [settings.value] if settings.value else []), ("map", settings.map or [])):
        for name in names:
            if name not in features:
                raise ConfigError(f"{where}: {key}: '{name}' is not a configured feature.", did_you_mean(name, list(features)))
    categories: dict[str, str] = {}
    for label, target in settings.categories.items():
        if target in features:
            categories[label] = target
        elif target in header:
            name = target if FEATURE_NAME.match(target) and target not in features else feature_name(target, set(features))
            features[name] = Feature(name, "column", (target,), target)
            ordered.append(features[name])
            categories[label] = name
        else:
            raise ConfigError(f"{where}: category '{label}' uses column '{target}', which is not in {path.name}.", did_you_mean(target, list(header) + list(features)))
    made = Plan(path, tuple(header), id_column, tuple(ordered), clustered, categories, settings.period)
    from .read import refuse_indistinct

    refuse_indistinct(path, list(header), made.columns)
    return made


def sources(p: Plan) -> dict[str, str]:
    """Feature -> where it comes from, for the data-quality section."""
    out = {"customer_id": p.id_column or "line number"}
    for f in p.features:
        out[f.name] = f.source
    return out
