"""Which file column plays which role: the config's mapping, else a recognised column name.

No pandas here: the pipeline checks a file's header with this before it starts the chart browser.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..config import NUMERIC_ROLES, AgeFromBirthYear, Settings, SumOf
from ..errors import DataError

# Column names recognised without any config, compared after lower-casing and dropping non-letters.
ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customerid", "customer", "custid", "clientid", "id"),
    "gender": ("gender", "genre", "sex"),
    "age": ("age",),
    "income": ("annualincomek", "annualincome", "income", "annualincomeusd"),
    "spending": ("spendingscore1100", "spendingscore", "spending", "score"),
}

def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def find_column(role: str, columns: list[str]) -> str | None:
    by_norm = {norm(c): c for c in columns}
    for alias in ALIASES[role]:
        if alias in by_norm:
            return by_norm[alias]
    return None


def require(column: str, columns: list[str], path: Path, role: str) -> str:
    if column in columns:
        return column
    near = difflib.get_close_matches(column, columns, n=1, cutoff=0.5)
    hint = f"Did you mean '{near[0]}'? " if near else ""
    raise DataError(
        f"{path}: the config maps role '{role}' to column '{column}', which is not in the file.",
        f"{hint}Columns found: {', '.join(columns)}.",
    )


def _closest_column(role: str, columns: list[str]) -> str | None:
    """The column whose name is most like one of the role's usual names (for 'did you mean')."""
    best, best_score = None, 0.0
    for column in columns:
        for alias in ALIASES[role]:
            score = difflib.SequenceMatcher(None, norm(column), alias).ratio()
            if score > best_score:
                best, best_score = column, score
    return best if best_score >= 0.6 else None


def _missing_role(role: str, columns: list[str], path: Path) -> DataError:
    near = _closest_column(role, columns)
    hint = f"Did you mean '{near}'? " if near else ""
    return DataError(
        f"{path}: no column for '{role}', which the clustering needs.",
        f"{hint}Map it in the config (columns: {{{role}: <column name>}}) or choose other --features. "
        f"Columns found: {', '.join(columns)}.",
    )


def role_spec(settings: Settings, role: str, columns: list[str], path: Path) -> object | None:
    """Where a numeric role comes from: the config's mapping, else a recognised column name.
    None for a role the file lacks; an error if the clustering needs it."""
    spec = settings.columns.get(role) or find_column(role, columns)  # type: ignore[call-overload]
    if spec is None and role in settings.features:
        raise _missing_role(role, columns, path)
    return spec


def columns_used(settings: Settings, columns: list[str], path: Path) -> tuple[list[str], set[str]]:
    """Which file columns the roles need, and which of them hold numbers."""
    used: list[str] = []
    numeric: set[str] = set()
    for role in NUMERIC_ROLES:
        spec = role_spec(settings, role, columns, path)
        if spec is None:
            continue
        if isinstance(spec, SumOf):
            names = [require(c, columns, path, role) for c in spec.sum]
        elif isinstance(spec, AgeFromBirthYear):
            names = [require(spec.birth_year, columns, path, role)]
        else:
            names = [require(str(spec), columns, path, role)]
        used += names
        numeric.update(names)
    for role in ("customer_id", "gender"):
        spec = settings.columns.get(role)
        name = require(str(spec), columns, path, role) if spec else find_column(role, columns)
        if name is not None:
            used.append(name)
            numeric.discard(name)  # a column read as text for one role stays text
    return list(dict.fromkeys(used)), numeric
