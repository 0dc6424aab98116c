"""Every third-party module the package imports is declared and pinned; the wheel carries what a run needs."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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


@pytest.mark.e2e
@pytest.mark.slow  # builds the wheel, installs it into a fresh venv, runs a report
def test_wheel_installs_into_a_fresh_venv_and_runs_anywhere(tmp_path: Path) -> None:
    """Build the wheel from a copy of the tree, install it into a new virtualenv, run the default report
    from another folder: the templates, rule packs and sample (top-level folders here) travel inside it."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".venv", "build", "*.egg-info", "output", ".git", "__pycache__", ".pytest_cache"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(tree)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("reportgen-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for folder in ("templates", "rules", "data"):
        shipped = {f"reportgen/_bundled/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix != ".md"}
        assert shipped and shipped <= names, sorted(shipped - names)
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "reportgen").rglob("__init__.py")}
    assert all(f"{p}/__init__.py" in names for p in packages), "a subpackage is missing from pyproject's packages"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # the dependencies come from this test's environment (no download); reportgen itself only from the wheel
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "deps.pth").write_text("\n".join(deps) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # else pip would take the checkout for an installed reportgen
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, env=env, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import reportgen; print(reportgen.__file__)"], cwd=work, env=env, capture_output=True, text=True)
    assert probe.stdout.startswith(str(site)), probe
    result = subprocess.run([str(venv / "bin" / "reportgen"), "run", "--period", "2026-09"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads((work / "output" / "2026-09" / "summary.json").read_text())
    assert summary["n_customers"] == 600 and summary["k"] == 5
    assert (work / "output" / "2026-09" / "briefing.pdf").stat().st_size > 10_000
