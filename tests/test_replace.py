"""Replacing a period's report is one atomic step: a run killed at any moment of the replace leaves
OUT/PERIOD showing the old report or the new one, never nothing, and the next run cleans up."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reportgen import outputs
from reportgen.outputs import staging
from reportgen.summary_file import load_previous


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (staging's clean-up only guards the yield)."""


STEPS = ("rename", "replace", "symlink", "unlink", "rmtree", "exchange")


def _write(folder: Path, text: str) -> None:
    summary = {"period": "2026-11", "mark": text, "n_customers": 1, "segments": []}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "segments.csv").write_text("customer_id,segment,cluster\n1,A,0\n")


def _mark(target: Path) -> str:
    return json.loads((target / "summary.json").read_text())["mark"]


def _make_old(target: Path, legacy: bool) -> None:
    if legacy:  # a real folder as earlier versions of reportgen wrote it
        target.mkdir(parents=True)
        _write(target, "old")
    else:
        with staging(target) as tmp:
            _write(tmp, "old")


def _count_steps(monkeypatch: pytest.MonkeyPatch, kill_at: int | None) -> list[str]:
    calls: list[str] = []

    def wrap(name: str, real):
        def step(*args, **kwargs):
            calls.append(name)
            if kill_at is not None and len(calls) - 1 == kill_at:
                raise Killed(name)
            return real(*args, **kwargs)

        return step

    for name in ("rename", "replace", "symlink", "unlink"):
        monkeypatch.setattr(os, name, wrap(name, getattr(os, name)))
    monkeypatch.setattr(shutil, "rmtree", wrap("rmtree", shutil.rmtree))
    monkeypatch.setattr(outputs, "_exchange", wrap("exchange", outputs._exchange))
    return calls


@pytest.mark.parametrize(("legacy", "exchange"), [(False, True), (True, True), (True, False)], ids=["symlinked", "old-style-folder", "old-style-folder-without-renameat2"])
def test_kill_at_every_step_of_the_replace(legacy: bool, exchange: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    else:
        assert outputs._exchange(tmp_path / "none-a", tmp_path / "none-b") is False  # callable, refuses missing paths
    with pytest.MonkeyPatch.context() as mp:  # how many steps does one replace take?
        _make_old(tmp_path / "probe" / "2026-11", legacy)
        with staging(tmp_path / "probe" / "2026-11") as tmp:
            _write(tmp, "new")
            calls = _count_steps(mp, None)
    n_steps = len(calls)
    assert n_steps >= 3, calls
    assert ("exchange" in calls) == legacy, calls
    for kill_at in range(n_steps):
        target = tmp_path / f"run{kill_at}" / "2026-11"
        _make_old(target, legacy)
        with pytest.MonkeyPatch.context() as mp:
            with pytest.raises(Killed):
                with staging(target) as tmp:
                    _write(tmp, "new")
                    _count_steps(mp, kill_at)
        # the instant after the kill: a reader sees a whole report, old or new
        if not (legacy and not target.exists()):
            assert _mark(target) in ("old", "new"), kill_at
            assert load_previous(target).period == "2026-11"
        # the next run starts by recovering and cleaning; the report it finds is whole
        with staging(target) as tmp:
            assert _mark(target) in ("old", "new"), (kill_at, calls)
            _write(tmp, "third")
        assert _mark(target) == "third"
        left = sorted(p.name for p in target.parent.iterdir())
        assert len(left) == 2 and left[0] == ".2026-11.v-" + left[0].split(".v-")[1] and left[1] == "2026-11", left


def test_symlinked_swap_never_leaves_no_report(tmp_path: Path) -> None:
    """With the symlink in place (every run after the first), there is no instant without OUT/PERIOD."""
    target = tmp_path / "2026-11"
    _make_old(target, legacy=False)
    assert target.is_symlink() and not os.path.isabs(os.readlink(target))
    with pytest.MonkeyPatch.context() as mp:
        with staging(target) as tmp:
            _write(tmp, "new")
            calls = _count_steps(mp, None)
    for kill_at in range(len(calls)):
        target = tmp_path / f"k{kill_at}" / "2026-11"
        _make_old(target, legacy=False)
        with pytest.MonkeyPatch.context() as mp, pytest.raises(Killed):
            with staging(target) as tmp:
                _write(tmp, "new")
                _count_steps(mp, kill_at)
        assert _mark(target) in ("old", "new"), kill_at


def test_failed_run_keeps_the_previous_report(tmp_path: Path) -> None:
    target = tmp_path / "2026-11"
    _make_old(target, legacy=False)
    with pytest.raises(RuntimeError), staging(target) as tmp:
        _write(tmp, "half")
        raise RuntimeError("render failed")
    assert _mark(target) == "old"
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def _respell(target: Path, how: str) -> None:
    """Re-make the period's link by hand, pointing at the same folder in another spelling."""
    version = target.resolve()
    spelling = {
        "absolute": str(version), "trailing-slash": version.name + "/", "dot-slash": "./" + version.name,
        "absolute-trailing-slash": str(version) + "/", "through-parent": f"../{target.parent.name}/{version.name}",
    }[how]
    target.unlink()
    os.symlink(spelling, target)
    assert target.resolve() == version


SPELLINGS = ["absolute", "trailing-slash", "dot-slash", "absolute-trailing-slash", "through-parent"]


@pytest.mark.parametrize("how", SPELLINGS)
def test_a_link_respelt_by_hand_keeps_its_report_when_the_next_run_fails(how: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "2026-11"
    _make_old(target, legacy=False)
    _respell(target, how)
    with pytest.raises(RuntimeError), staging(target) as tmp:
        _write(tmp, "half")
        raise RuntimeError("the data was bad")
    assert _mark(target) == "old"


@pytest.mark.parametrize("how", SPELLINGS)
def test_a_link_respelt_by_hand_is_replaced_and_its_old_version_cleared(how: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "2026-11"
    _make_old(target, legacy=False)
    _respell(target, how)
    with staging(target) as tmp:
        _write(tmp, "new")
    assert _mark(target) == "new"
    assert sorted(p.name for p in target.parent.iterdir() if not p.name.endswith(".lock"))[1:] == ["2026-11"]  # one version, the link


def test_a_link_to_a_folder_elsewhere_is_never_deleted(tmp_path: Path) -> None:
    """A period link pointed by hand at an archive folder: replaced, the archive left alone."""
    target = tmp_path / "out" / "2026-11"
    _make_old(target, legacy=False)
    archive = tmp_path / "archive" / "2026-11-final"
    shutil.copytree(target.resolve(), archive)
    target.unlink()
    os.symlink(archive, target)
    with staging(target) as tmp:
        _write(tmp, "new")
    assert _mark(target) == "new" and _mark(archive) == "old"


@pytest.mark.e2e  # a whole report
def test_a_failed_cli_run_keeps_a_respelt_report(tmp_path: Path) -> None:
    """End to end: a real report, its link re-made as an absolute path, then a run that fails while
    writing (a template that divides by zero): the report shown before is the report shown after."""
    from click.testing import CliRunner

    from reportgen.cli import cli

    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["run", "--out", str(out), "--period", "2026-11"]).exit_code == 0
    period = out / "2026-11"
    before = (period / "summary.json").read_bytes()
    _respell(period, "absolute")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "_segment.html.j2").write_text("{{ 1 / 0 }}\n")
    (tmp_path / "reportgen.yaml").write_text("templates: templates\n")
    result = CliRunner().invoke(cli, ["run", "--config", str(tmp_path / "reportgen.yaml"), "--out", str(out), "--period", "2026-11"])
    assert result.exit_code != 0 and (period / "summary.json").read_bytes() == before
