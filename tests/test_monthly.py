"""Month over month on generated data whose customers migrate between planted segments."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reportgen.pipeline import run
from reportgen.sample import generate

from .conftest import settings

pytestmark = pytest.mark.e2e  # full runs, month after month

MONTHS = ("2026-08", "2026-09", "2026-10")


@pytest.fixture(scope="module")
def three_months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[pd.DataFrame]]:
    work = tmp_path_factory.mktemp("months")
    frames = []
    for month, period in enumerate(MONTHS):
        # seed 4: the planted groups keep names that hold for 80% of their customers in every month, so
        # the segments are the clusters and must equal the planted truth (other seeds cross a level cut
        # in some month and are formed by name: test_segments_formed_by_name_when_a_name_stops_holding)
        frame = generate(800, 4, with_truth=True, month=month, migrate=0.12, churn=0.05, spread=0.45)
        frames.append(frame)
        path = work / f"customers-{period}.csv"
        frame.drop(columns="planted_segment").to_csv(path, index=False)
        run(settings(data=path, period=period, out=work / "out"))
    return work / "out", frames


def _summary(out: Path, period: str) -> dict[str, Any]:
    return json.loads((out / period / "summary.json").read_text())


def test_first_month_has_no_changes(three_months: tuple[Path, list[pd.DataFrame]]) -> None:
    out, _ = three_months
    assert _summary(out, MONTHS[0])["changes"] is None


@pytest.mark.parametrize("index", [1, 2])
def test_migration_matrix_matches_planted_truth(three_months: tuple[Path, list[pd.DataFrame]], index: int) -> None:
    out, frames = three_months
    then = dict(zip(frames[index - 1]["CustomerID"], frames[index - 1]["planted_segment"]))
    now = dict(zip(frames[index]["CustomerID"], frames[index]["planted_segment"]))
    truth = Counter((then.get(c, "Not a customer then"), s) for c, s in now.items())
    truth.update((s, "Gone") for c, s in then.items() if c not in now)
    changes = _summary(out, MONTHS[index])["changes"]
    assert changes["previous_period"] == MONTHS[index - 1]
    m = changes["migration"]
    found = Counter({(r, c): v for r, row in zip(m["from"], m["counts"]) for c, v in zip(m["to"], row) if v})
    assert found == truth
    assert changes["new_customers"] == sum(1 for c in now if c not in then) == 40
    assert changes["gone_customers"] == 40
    assert changes["stayed"] + changes["moved"] == 760


def test_names_and_colours_stay_with_the_same_customers(three_months: tuple[Path, list[pd.DataFrame]]) -> None:
    out, _ = three_months
    colours = [{s["name"]: s["colour"] for s in _summary(out, p)["segments"]} for p in MONTHS]
    assert colours[0] == colours[1] == colours[2]
    changes = _summary(out, MONTHS[2])["changes"]
    assert {s["status"] for s in changes["segments"]} == {"kept"} and changes["disappeared"] == []
    assert all(set(s["centroid_drift"]) == {"income", "spending"} for s in changes["segments"])


def test_what_changed_is_in_the_documents(three_months: tuple[Path, list[pd.DataFrame]]) -> None:
    import subprocess

    out, _ = three_months
    folder = out / MONTHS[2]
    text = " ".join(subprocess.run(["pdftotext", str(folder / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "What changed since September 2026" in text
    assert "returning customers" in text and "moved to another segment" in text
    assert (folder / "charts" / "migration.png").exists()
    eml = (folder / "report.eml").read_bytes()
    assert b"What changed since September 2026" in eml and b"migration@reportgen" in eml


def test_compare_to_a_named_period(three_months: tuple[Path, list[pd.DataFrame]], tmp_path: Path) -> None:
    out, frames = three_months
    data = tmp_path / "c.csv"
    frames[2].drop(columns="planted_segment").to_csv(data, index=False)
    report = run(settings(data=data, period="2026-12", out=out, compare_to=MONTHS[0]))
    assert report.changes is not None and report.changes.previous_period == MONTHS[0]
    # a month whose previous month was never run is not compared
    alone = run(settings(data=data, period="2027-06", out=out))
    assert alone.changes is None


def test_renamed_and_new_segments_are_flagged(tmp_path: Path) -> None:
    """Last month k=3 then k=5 on the same customers: kept, new and renamed segments are told apart."""
    data = tmp_path / "c.csv"
    generate(600, 3, spread=0.5).to_csv(data, index=False)
    run(settings(data=data, period="2026-01", out=tmp_path / "out", k=3))
    report = run(settings(data=data, period="2026-02", out=tmp_path / "out", k=5))
    changes = report.changes
    assert changes is not None
    statuses = {s.name: (s.status, s.previous_name) for s in changes.segments}
    assert statuses == {
        "Mainstream shoppers": ("renamed", "Everyday shoppers"),  # last month's middle, now named by the finer rules
        "Premium spenders": ("kept", "Premium spenders"),
        "Cautious affluent": ("kept", "Cautious affluent"),
        "Budget-conscious": ("new", None),
        "Aspiring spenders": ("new", None),
    }
    assert changes.disappeared == ()
    # independently, from who moved where: a continued segment draws most of its customers from the
    # segment it continues, and a kept one (same customers, same centre) keeps all of them
    flow = {(r, c): v for r, row in zip(changes.rows, changes.counts) for c, v in zip(changes.columns, row)}
    for s in changes.segments:
        if s.previous_name is not None:
            assert max(changes.rows, key=lambda r: flow[(r, s.name)]) == s.previous_name, s
        if s.status == "kept":
            assert flow[(s.name, s.name)] == s.size_then == s.size_now, s


def test_segments_formed_by_name_when_a_name_stops_holding(tmp_path: Path) -> None:
    """Seed 1's third month: 'Aspiring spenders' holds for 78% of its cluster, so the segments are
    formed by the names their customers hold, every name holds for 80% and the appendix says why."""
    data = tmp_path / "c.csv"
    generate(800, 1, with_truth=True, month=2, migrate=0.12, churn=0.05, spread=0.45).drop(columns="planted_segment").to_csv(data, index=False)
    report = run(settings(data=data, period="2026-03", out=tmp_path / "out"))
    assert report.naming is not None and report.naming.how == "by name"
    assert dict(report.naming.cluster_fits)["Aspiring spenders"] < 0.8
    assert all(s.name_fit is not None and s.name_fit >= 0.8 for s in report.segments)
    summary = json.loads((tmp_path / "out" / "2026-03" / "summary.json").read_text())
    assert summary["naming"]["how"] == "by name" and summary["naming"]["fine_clusters"] == 30
    assert "finer groups" in summary["k_reasons"][-1]


@pytest.mark.e2e
def test_an_order_logs_names_change_only_for_customers_whose_levels_changed(tmp_path: Path) -> None:
    """The same log reported at two month ends: every segment keeps its name, the level cuts stay
    where they were, and a returning customer who is under another name this month is one whose own
    levels changed (they bought again, or a month passed), never one who stayed where they were."""
    retail = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_sample.csv"
    for period in ("2011-10", "2011-11"):
        run(settings(data=retail, period=period, out=tmp_path))
    then, now = (_summary(tmp_path, p) for p in ("2011-10", "2011-11"))
    assert now["level_cuts"] == then["level_cuts"] and set(now["naming"]["kept_cuts"]) <= set(now["level_cuts"])
    assert {s["status"] for s in now["changes"]["segments"]} == {"kept"}
    frames = [pd.read_csv(tmp_path / p / "segments.csv", dtype={"customer_id": str}).set_index("customer_id") for p in ("2011-10", "2011-11")]
    both = frames[0].join(frames[1], lsuffix="_then", rsuffix="_now", how="inner")
    cuts = now["level_cuts"]

    def levels(suffix: str) -> pd.DataFrame:
        return pd.DataFrame({f: np.searchsorted(cuts[f], both[f"{f}_{suffix}"], side="right") for f in cuts}, index=both.index)

    from reportgen.bundled import bundled_path
    from reportgen.rules import load_segments

    book = load_segments(bundled_path("rules", "rfm", "segments.yaml"))
    rules = {r.name: r for r in book.rules}

    def holds(suffix: str) -> pd.Series:
        """Whether the customer's own levels satisfy the rule their segment is named by."""
        lv = levels(suffix)
        ok = []
        for cid, seg in both[f"segment_{suffix}"].items():
            rule = rules[seg]
            ok.append(all(book.levels[f].names[lv.at[cid, f]] in allowed for f, allowed in rule.when.items()))
        return pd.Series(ok, index=both.index)

    moved = both["segment_then"] != both["segment_now"]
    changed = (levels("then") != levels("now")).any(axis=1)
    described = holds("then") & holds("now")
    assert moved.sum() > 0 and not (moved & ~changed & described).any()
    # the few who moved without changing are customers no segment's rule describes (too few for a
    # segment of their own), who stay with their group's segment
    assert (moved & ~changed).sum() <= (~described).sum() and (~described).mean() < 0.05
    assert now["changes"]["moved"] == int(moved.sum()) and now["changes"]["stayed"] == int((~moved).sum())
