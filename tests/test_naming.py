"""Names that hold for the customers they describe: name_fit recomputed from segments.csv, recency
judged against the shop's buying cycle, short logs, and revenue shares checked independently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reportgen.bundled import bundled_path
from reportgen.pipeline import analyse, run
from reportgen.rules import load_segments
from reportgen.stages import members

from .conftest import MALL, SHARED, settings

RETAIL = SHARED / "data" / "online_retail_sample.csv"
ACTIVE = ("Champions", "Loyal customers", "Potential loyalists", "New customers", "Promising")


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], pd.DataFrame]:
    out = tmp_path_factory.mktemp("retail")
    run(settings(data=RETAIL, period="2011-12", out=out))
    folder = out / "2011-12"
    return json.loads((folder / "summary.json").read_text()), pd.read_csv(folder / "segments.csv", dtype={"customer_id": str})


def _own_levels(frame: pd.DataFrame, cuts: dict[str, list[float]], book: Any) -> dict[str, np.ndarray]:
    return {f: np.asarray(book.levels[f].names)[np.searchsorted(np.asarray(c), frame[f].to_numpy(), side="right")] for f, c in cuts.items()}


def test_every_name_holds_for_its_customers_recomputed_from_segments_csv(retail: tuple[dict[str, Any], pd.DataFrame]) -> None:
    summary, frame = retail
    book = load_segments(bundled_path("rules", "rfm", "segments.yaml"))
    rules = {r.name: r for r in book.rules}
    levels = _own_levels(frame, summary["level_cuts"], book)
    assert summary["naming"]["how"] == "by name"  # the first clusters' names did not hold
    assert summary["k_clusters"] == len(summary["naming"]["first_clusters"]) and summary["k"] == len(summary["segments"])
    assert summary["k_reasons"][0].startswith(f"k={summary['k_clusters']}:")  # the k curve's choice, not the segments' count
    assert min(c["name_fit"] for c in summary["naming"]["first_clusters"]) < members.HOLDS
    for seg in summary["segments"]:
        mine = (frame["segment"] == seg["name"]).to_numpy()
        rule = rules[seg["name"]]
        ok = np.ones(len(frame), dtype=bool)
        for feature, allowed in rule.when.items():
            ok &= np.isin(levels[feature], list(allowed))
        fit = ok[mine].mean()
        assert seg["name_fit"] == pytest.approx(fit, abs=1e-4), seg["name"]
        assert fit >= 0.8, seg["name"]


def test_recency_levels_are_days_of_the_shops_own_cycle(retail: tuple[dict[str, Any], pd.DataFrame]) -> None:
    summary, frame = retail
    repeat = frame[frame["frequency"] >= 2]
    cycle = float(((repeat["tenure_days"] - repeat["recency_days"]) / (repeat["frequency"] - 1)).median())
    assert summary["naming"]["rhythm"]["cycle_days"] == pytest.approx(cycle, abs=0.01)
    expected = [min(max(c * cycle, lo), hi) for c, lo, hi in zip((1, 2, 4, 8), (14, 30, 60, 120), (90, 180, 270, 365))]
    assert summary["level_cuts"]["recency_days"] == pytest.approx(expected, abs=0.06)
    for seg in summary["segments"]:
        mine = frame[frame["segment"] == seg["name"]]
        if seg["name"] in ACTIVE:  # active names: hardly anyone last bought over a year (or half a year) ago
            assert (mine["recency_days"] > 365).mean() <= 0.1 and (mine["recency_days"] > 180).mean() <= 0.1, seg["name"]


def test_revenue_share_is_a_share_of_all_customers_revenue(retail: tuple[dict[str, Any], pd.DataFrame]) -> None:
    summary, frame = retail
    total = frame["monetary"].sum()
    shares = frame.groupby("segment")["monetary"].sum() / total
    for seg in summary["segments"]:
        assert seg["revenue_share"] == pytest.approx(shares[seg["name"]], abs=1e-4)
        assert seg["revenue"] == pytest.approx(frame.loc[frame["segment"] == seg["name"], "monetary"].sum(), rel=1e-6)
    assert sum(s["revenue_share"] for s in summary["segments"]) == pytest.approx(1.0, abs=1e-3)
    champions = next(s for s in summary["segments"] if s["name"] == "Champions")
    assert champions["revenue_share"] > 2 * champions["share"]  # a fifth of the customers, half the revenue


def test_a_short_log_holds_back_lapsing_names(tmp_path: Path) -> None:
    """Thirteen days of real lines: nobody is called lapsing, and the report says why, with the days."""
    raw = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    day = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    short = raw[(day >= "2011-11-18") & (day < "2011-12-01")]
    path = tmp_path / "short.csv"
    short.to_csv(path, index=False)
    report = analyse(settings(data=path, period="2011-11"))
    assert report.naming is not None and report.naming.short_history
    lapsing = {r.name for r in load_segments(bundled_path("rules", "rfm", "segments.yaml")).rules if r.lapsing}
    assert not lapsing & {s.base_name for s in report.segments}
    warning = next(w for w in report.warnings if "covers only" in w)
    assert f"{report.profile.rhythm.history_days:.0f} days" in warning  # type: ignore[union-attr]


def test_mall_keeps_its_five_clusters_and_their_names_hold() -> None:
    report = analyse(settings(data=MALL, features=["income", "spending"]))
    assert report.naming is not None and report.naming.how == "clusters"
    assert sorted(s.size for s in report.segments) == [22, 23, 35, 39, 81]
    assert all(s.name_fit is not None and s.name_fit >= 0.8 for s in report.segments)
    assert all(s.revenue is None for s in report.segments)  # a spending score is not money: no revenue is stated


def test_by_name_folds_a_name_too_few_customers_hold() -> None:
    # two fine clusters over three cells whose own names are rules 0, 1 and the fallback (2):
    # rule 0 is held by 6 customers, rule 1 by 2, the fallback by 2
    own = np.array([0, 1, 2])
    table = np.array([[4, 1, 0], [2, 1, 2]])  # customers per (fine cluster, cell)
    grouped = members.by_name(table, own, n_rules=2, min_size=3, max_segments=10)
    assert grouped.rules == (0,) and (grouped.segment == 0).all() and grouped.sizes == (10,)
    assert dict(grouped.folded) == {1: 2, 2: 2}  # held by some, too few for a segment: they stay with their cluster's name
    # with a lower bar every name forms a segment and each cell goes to its own name's segment
    grouped = members.by_name(table, own, n_rules=2, min_size=2, max_segments=10)
    assert grouped.rules == (0, 1, 2) and grouped.sizes == (6, 2, 2)
    assert (grouped.segment == np.array([[0, 1, 2], [0, 1, 2]])).all()


def test_cells_number_every_combination_of_levels() -> None:
    cuts = {"a": (1.0,), "b": (10.0, 20.0)}
    cells = members.cells_of(cuts)
    assert len(cells) == 3 * 4  # (missing, 0, 1) x (missing, 0, 1, 2)
    values = {"a": np.array([0.5, 1.0, np.nan]), "b": np.array([25.0, 10.0, 5.0])}
    numbers = members.cell_numbers(values, cuts, cells)
    assert [tuple(cells.levels[c]) for c in numbers] == [(0, 2), (1, 1), (-1, 0)]  # a value on a cut goes above it
