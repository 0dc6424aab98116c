"""The boundaries of ../shared/DESIGN.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reportgen"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_stages_do_not_render() -> None:
    for path in (PACKAGE / "stages").glob("*.py"):
        assert not _imports(path) & {"jinja2", "plotly", "weasyprint", "kaleido"}, path.name


def test_render_does_not_compute() -> None:
    for path in (PACKAGE / "render").glob("*.py"):
        assert not _imports(path) & {"sklearn", "scipy", "pyspark"}, path.name


def test_weasyprint_only_in_pdf_module() -> None:
    users = [p.name for p in PACKAGE.rglob("*.py") if "weasyprint" in _imports(p)]
    assert users == ["pdf.py"]


def test_cli_is_thin() -> None:
    assert not _imports(PACKAGE / "cli.py") & {"pandas", "numpy", "sklearn", "jinja2", "plotly"}


def test_one_home_for_each_shared_rule() -> None:
    """Did-you-mean, the strict YAML base, the formula pattern and the usual column names are each
    written once (suggest.py, schema.py, spreadsheet.py, vocabulary.py)."""
    homes = {
        "difflib": "suggest.py", 'extra="forbid"': "schema.py", "=+\\-@": "spreadsheet.py",
        '"annualincomek"': "vocabulary.py", '"invoiceno"': "vocabulary.py", "^[A-Za-z][A-Za-z0-9_]*$": "vocabulary.py", "[^a-z0-9]+": "vocabulary.py",
    }
    for needle, home in homes.items():
        found = sorted(p.name for p in PACKAGE.rglob("*.py") if needle in p.read_text(encoding="utf-8"))
        assert found == [home], (needle, found)


def test_top_level_layout() -> None:
    root = PACKAGE.parent
    for folder in ("reportgen", "templates", "rules", "data", "output", "tests", "benchmarks"):
        assert (root / folder).is_dir(), folder
    assert (root / "rules" / "mall" / "segments.yaml").is_file() and (root / "rules" / "rfm" / "campaigns.yaml").is_file()
    assert not any((PACKAGE / f).exists() for f in ("templates", "rules", "data")), "bundled files belong in the top-level folders"


def test_stability_thresholds_have_one_home() -> None:
    """0.75 (stable) and 0.5 (dissolves) are set in model.py; the k choice, the confidence level, the
    view and the templates (through `stable_from`) read them from there."""
    import re

    assigned = sorted(p.name for p in PACKAGE.rglob("*.py") if re.search(r"^(STABLE|DISSOLVES)\s*(:[^=]*)?=", p.read_text(encoding="utf-8"), re.M))
    assert assigned == ["model.py"]
    for name in ("stages/cluster.py", "stages/trust.py", "render/view.py"):
        assert re.search(r"from \.\.model import [^\n]*\bSTABLE\b", (PACKAGE / name).read_text(encoding="utf-8")), name
    templates = PACKAGE.parent / "templates"
    assert not [p.name for p in templates.iterdir() if "0.75" in p.read_text(encoding="utf-8")]
    assert any("{{ stable_from }}" in p.read_text(encoding="utf-8") for p in templates.iterdir())
