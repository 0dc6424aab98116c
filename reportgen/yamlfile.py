"""Reading the YAML files users write (settings, rule packs): safe_load, duplicate keys refused,
every error naming the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load, but a key given twice in one mapping is an error (PyYAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the constructor below names it
                continue
            seen.setdefault(key, key_node.start_mark.line)
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is given twice (first on line {first + 1})", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, what: str) -> Any:
    """safe_load a YAML file; a syntax error names the file and line."""
    from .errors import ReportgenError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist.", "Check the path.") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder, not a file.", "Give the path of the YAML file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc}.", "Save it as UTF-8 text.") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = "Keep one of them." if "given twice" in problem else "Fix the YAML syntax (indentation, quotes, colons)."
        err: ReportgenError = ConfigError(f"{path}{line}: YAML error: {problem}.", hint)
        raise err from None
