"""Every third-party module the package imports is declared, and pinned in constraints.txt."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import name -> distribution name, where they differ
DISTRIBUTIONS = {"sklearn": "scikit-learn", "yaml": "pyyaml", "css_inline": "css-inline", "pyspark": "pyspark"}
OPTIONAL = {"pyspark"}  # behind the 'spark' extra


def _imported() -> set[str]:
    names = set()
    for path in (ROOT / "reportgen").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "reportgen"}


def _declared(text: str) -> set[str]:
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    return {re.split(r"[<>=\[ ]", line.strip().strip('",'))[0].lower() for line in re.findall(r'"[^"]+"', block)}


def test_every_import_is_declared_and_pinned() -> None:
    declared = _declared((ROOT / "pyproject.toml").read_text())
    pinned = {line.split("==")[0].lower() for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    for module in sorted(_imported() - OPTIONAL):
        dist = DISTRIBUTIONS.get(module, module).lower()
        assert dist in declared, f"reportgen imports {module} but pyproject.toml does not declare {dist}"
        assert dist in pinned, f"constraints.txt does not pin {dist}"
