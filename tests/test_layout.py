"""The boundaries of ../shared/DESIGN.md, checked on the source."""

from __future__ import annotations

import ast
import re
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


# The house reads one way: a module imports only modules of its own layer or a lower one, and no
# import chain comes back to where it started. Lowest first.
LAYERS: tuple[tuple[str, ...], ...] = (
    # shared by all: errors, files, plain rules of text, the strict YAML base, the SQL dialect
    ("errors", "files", "spreadsheet", "paths", "bundled", "schema", "suggest", "yamlfile", "vocabulary", "definitions", "sql", "version", "mailcheck"),
    ("model",),  # the typed values passed between stages
    ("config", "settings_file", "input_settings", "rules"),  # settings (their schema, the file read into it, the input section) and rule packs
    ("stages",),  # the analysis
    ("engines",),  # where the customers are: they execute what the analysis defines
    ("render",),  # the view and the documents
    ("outputs", "segments_file", "contacts", "summary_file", "presentation", "analysis", "history", "deliver", "pipeline", "init", "currency", "sample"),
    ("cli", "__main__", "__init__"),
)


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1]) if parts[-1] == "__init__" and len(parts) > 1 else ".".join(parts)


def _graph() -> dict[str, set[str]]:
    """Module -> the reportgen modules it imports (type-checking imports included: they are arrows too)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                stem = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{stem}.{a.name}".strip(".") for a in node.names] + [stem]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reportgen"):
                stem = node.module.removeprefix("reportgen").strip(".")  # type: ignore[union-attr]
                targets = [f"{stem}.{a.name}".strip(".") for a in node.names] + [stem]
            elif isinstance(node, ast.Import):
                targets = [a.name.removeprefix("reportgen").strip(".") for a in node.names if a.name.startswith("reportgen")]
            for t in targets:
                if t in modules and t != name:
                    found.add(t)
                    break
        graph[name] = found
    return graph


def _layer(module: str) -> int:
    top = module.split(".")[0] or "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"reportgen/{module.replace('.', '/')}.py is in no layer of tests/test_layout.py LAYERS: place it")


def test_imports_never_run_back_up() -> None:
    graph = _graph()
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if _layer(b) > _layer(a))
    assert upward == []


def test_no_import_cycles() -> None:
    graph = _graph()
    seen: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [node, nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in seen:
                visit(nxt, trail + [node])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [])
    assert cycles == []


def test_stages_never_import_engines_and_render_never_reads_settings() -> None:
    graph = _graph()
    assert sorted(f"{a} -> {b}" for a, t in graph.items() if a.startswith("stages.") for b in t if b.split(".")[0] == "engines") == []
    assert sorted(f"{a} -> {b}" for a, t in graph.items() if a.startswith("render.") for b in t if b == "config") == []
    readers = sorted(p.name for p in (PACKAGE / "render").glob("*.py") if ".settings" in p.read_text(encoding="utf-8"))
    assert readers == [], "render/ reads the Report's presentation, never the settings"


def test_stages_take_their_own_section_of_the_settings() -> None:
    """A stage sees the input section (input_settings.InputSettings) or its own part of config
    (Clustering, Transactions ...), never the whole Settings with the report, email and engine in it."""
    whole = re.compile(r"\bSettings\b")
    takers = sorted(p.name for p in (PACKAGE / "stages").glob("*.py") if whole.search(p.read_text(encoding="utf-8")))
    assert takers == []


def test_engines_are_imported_by_the_pipeline_alone() -> None:
    graph = _graph()
    users = sorted({a for a, t in graph.items() for b in t if b.split(".")[0] == "engines" and a.split(".")[0] != "engines"})
    assert users == ["pipeline"]


def test_no_module_over_400_lines() -> None:
    """A module over 400 lines mixes jobs; split it by job (../shared/DESIGN.md)."""
    long = sorted(f"{p.relative_to(PACKAGE)}: {n}" for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400)
    assert long == []


def test_the_readme_layout_names_every_module() -> None:
    """README's Layout section lists the tree as it is: every module by name, and none that is gone."""
    import re

    text = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = text[text.index("## Layout") : text.index("## Developing")]
    modules = {p.stem for p in PACKAGE.rglob("*.py") if p.stem not in ("__init__", "__main__") and "_bundled" not in p.parts}
    missing = sorted(m for m in modules if not re.search(rf"\b{m}\b", layout))
    assert missing == []
    named = set(re.findall(r"\b([a-z_]+)\.py\b", layout))
    assert sorted(named - modules - {"setup", "test", "test_layout", "test_packaging"}) == []
