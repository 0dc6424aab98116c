"""The one base for the YAML files users write (settings, rule packs), and how pydantic's complaint
about such a file becomes a sentence that names the key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError


class Strict(BaseModel):
    """A block of a user's YAML file: an unknown key is refused (a typo never passes silently),
    .inf and .nan are not numbers, and nothing changes it once read."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def first_error(err: ValidationError) -> dict[str, Any]:
    """The error to tell: a misspelt key comes before the missing key it explains."""
    return dict(min(err.errors(), key=lambda e: e["type"] != "extra_forbidden"))


def unknown_key(error: dict[str, Any]) -> bool:
    return bool(error["type"] == "extra_forbidden")


def message(error: dict[str, Any]) -> str:
    """pydantic's message without its "Value error, " prefix."""
    return str(error["msg"]).removeprefix("Value error, ")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def keys_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys allowed where the last key of `loc` was written, found by walking the model's fields
    down `loc` (list indices and the user's own mapping keys are stepped over)."""
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None:
            continue
        found = _models_in(field.annotation)
        if found:
            model = found[0]
    return list(model.model_fields)
