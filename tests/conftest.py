"""Shared fixtures: the real mall data from ../shared, small hand-made tables, and full runs reused
across tests (a full run starts Chromium and writes a PDF, so each is made once per session)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as settings_profiles

from reportgen.config import Settings
from reportgen.settings_file import load_settings
from reportgen.model import Report
from reportgen.pipeline import run

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MALL = SHARED / "data" / "Mall_Customers.csv"
MARKETING = SHARED / "data" / "marketing_campaign.csv"

# Subprocesses (`python -m reportgen` from a temporary folder) import this checkout's package, not
# whichever one the virtual environment's editable install points at.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


# Fixtures that make a whole report (Chromium, the PDF): a test that uses one is an end-to-end test
# whether or not it says so, so it is marked e2e here (scripts/test.sh --fast leaves those out).
FULL_RUNS = {"mall_run", "mall_folder", "mall_summary", "campaign_run", "order_run", "branded", "hostile_run", "earlier_report", "three_months", "retail"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FULL_RUNS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


# scripts/test.sh --fast sets this: a test outside the e2e marker that writes a whole report (every
# document made, the manifest next) fails there, naming the marker, so the fast loop stays free of
# full runs however a test makes its report (pipeline.run, the CLI, a fixture of its own). Runs that
# fail part-way (the bad-input catalogue) stay in the fast loop.
FAST = os.environ.get("REPORTGEN_TEST_FAST") == "1"


_REAL: dict[str, Any] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures too (a module fixture of its own may make the report)."""
    if not FAST:
        return
    from reportgen import outputs

    real = _REAL.setdefault("manifest", outputs.manifest)

    def refuse(*args: Any, **kwargs: Any) -> None:
        pytest.fail(f"{item.nodeid} writes a whole report: mark it e2e (tests/conftest.py)", pytrace=False)

    outputs.manifest = real if item.get_closest_marker("e2e") is not None else refuse  # type: ignore[assignment]


def settings(**overrides: Any) -> Settings:
    return load_settings(None, overrides)


@pytest.fixture(scope="session")
def mall_run(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The acceptance run: Mall_Customers.csv on income and spending, k auto."""
    out = tmp_path_factory.mktemp("mall")
    return run(settings(data=MALL, features=["income", "spending"], period="2026-11", out=out))


@pytest.fixture(scope="session")
def mall_folder(mall_run: Report) -> Path:
    assert mall_run.folder is not None
    return mall_run.folder


@pytest.fixture(scope="session")
def mall_summary(mall_folder: Path) -> dict[str, Any]:
    return json.loads((mall_folder / "summary.json").read_text())


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(content: str | bytes, name: str = "customers.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding, newline="")
        return path

    return _write


def mall_rows(n: int = 30) -> str:
    """A small, valid mall-schema table with three clear groups."""
    lines = ["CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"]
    for i in range(n):
        group = i % 3
        income = (20, 60, 100)[group] + i % 5
        spending = (80, 50, 15)[group] + i % 4
        lines.append(f"{i + 1:04d},{'Female' if i % 2 else 'Male'},{25 + i % 40},{income},{spending}")
    return "\n".join(lines) + "\n"


def assert_no_report(out: Path) -> None:
    """A failed run wrote no report, for whatever period (without --period a run writes the current
    month, so looking for one month's folder proves nothing): OUT holds at most the run ledger and
    lock files, no period folder, hidden version or staging folder."""
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert all(name == "history.jsonl" or (name.startswith(".") and name.endswith(".lock")) for name in left), left


# Property tests (hypothesis) explore new examples on a developer's machine; CI (CI=true) replays a
# fixed set, so a run there passes or fails the same way every time.
settings_profiles.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings_profiles.load_profile("ci")
