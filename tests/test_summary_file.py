"""summary.json's schema_version: written by summary_file.summary, checked by summary_file.load_previous,
which still reads the unversioned files of earlier months and refuses a version it does not know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.engines.local import LocalRows
from reportgen.errors import DataError
from reportgen.model import Report
from reportgen.segments_file import write_segments
from reportgen.pipeline import analyse
from reportgen.stages.compare import read_assignments
from reportgen.summary_file import READABLE, SCHEMA_VERSION, load_previous, summary, write_summary

from .conftest import mall_rows, settings


@pytest.fixture(scope="module")
def october(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    """An analysed 2026-10 of a small mall table, its summary.json and segments.csv written as a run does."""
    work = tmp_path_factory.mktemp("summary")
    data = work / "c.csv"
    data.write_text(mall_rows(60))
    report = analyse(settings(data=data, period="2026-10", out=work / "out", k=3))
    folder = work / "out" / "2026-10"
    folder.mkdir(parents=True)
    write_summary(report, folder)
    write_segments(report, LocalRows(report.table, report.clustering.labels), folder)
    return folder, report


def _rewrite(folder: Path, tmp_path: Path, change) -> Path:
    copy = tmp_path / "out" / folder.name
    copy.mkdir(parents=True)
    data = json.loads((folder / "summary.json").read_text())
    change(data)
    (copy / "summary.json").write_text(json.dumps(data))
    (copy / "segments.csv").write_bytes((folder / "segments.csv").read_bytes())
    return copy


def test_summary_starts_with_its_version(october: tuple[Path, Report]) -> None:
    folder, report = october
    written = json.loads((folder / "summary.json").read_text())
    assert next(iter(written)) == "schema_version" and written["schema_version"] == SCHEMA_VERSION == 2
    assert summary(report)["schema_version"] == SCHEMA_VERSION and SCHEMA_VERSION in READABLE


def test_a_summary_is_read_back_as_written(october: tuple[Path, Report]) -> None:
    folder, report = october
    previous = load_previous(folder)
    assert previous.period == "2026-10" and previous.n_customers == report.table.n_customers == 60
    assert [(s.name, s.size) for s in previous.segments] == [(s.name, s.size) for s in report.segments]
    ids, names = read_assignments(previous.folder)
    assert sorted(ids) == sorted(report.table.frame["customer_id"])
    assert sorted(names.value_counts().items()) == sorted((s.name, s.size) for s in report.segments)


def test_an_unversioned_summary_of_an_earlier_release_still_reads(october: tuple[Path, Report], tmp_path: Path) -> None:
    folder, _ = october
    old = _rewrite(folder, tmp_path, lambda d: d.pop("schema_version"))
    assert "schema_version" not in json.loads((old / "summary.json").read_text())
    assert load_previous(old).segments == load_previous(folder).segments


@pytest.mark.parametrize("version", [3, 99, "2", 2.5, True, None])
def test_an_unknown_version_is_refused_naming_the_file(october: tuple[Path, Report], tmp_path: Path, version: object) -> None:
    folder, _ = october
    newer = _rewrite(folder, tmp_path, lambda d: d.update(schema_version=version))
    with pytest.raises(DataError) as caught:
        load_previous(newer)
    assert str(newer / "summary.json") in caught.value.message
    assert f"schema_version {version!r} is not one this reportgen reads (it reads 1, 2)" in caught.value.message


def test_a_run_after_a_newer_month_exits_2_with_one_line(october: tuple[Path, Report], tmp_path: Path) -> None:
    folder, _ = october
    newer = _rewrite(folder, tmp_path, lambda d: d.update(schema_version=3))
    data = tmp_path / "c.csv"
    data.write_text(mall_rows(60))
    result = CliRunner().invoke(cli, ["run", "--data", str(data), "--period", "2026-11", "--out", str(tmp_path / "out"), "--k", "3"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"reportgen: {newer / 'summary.json'}: schema_version 3 is not one this reportgen reads")
    assert "Upgrade reportgen" in lines[0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".") and p.name != "history.jsonl") == ["2026-10"]
