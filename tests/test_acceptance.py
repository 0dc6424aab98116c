"""The issue's acceptance checks on the real mall data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reportgen.pipeline import analyse

from .conftest import MALL, settings


@pytest.mark.e2e
def test_mall_income_spending_levels_and_sizes(mall_summary: dict[str, Any]) -> None:
    assert mall_summary["k"] == 5 and mall_summary["k_auto"]
    found = {(s["levels"]["income"], s["levels"]["spending"]): s["size"] for s in mall_summary["segments"]}
    assert found == {("high", "high"): 39, ("high", "low"): 35, ("medium", "medium"): 81, ("low", "high"): 22, ("low", "low"): 23}
    names = {(s["levels"]["income"], s["levels"]["spending"]): s["name"] for s in mall_summary["segments"]}
    assert names[("high", "high")] == "Premium spenders"
    assert names[("low", "low")] == "Budget-conscious"
    seg = mall_summary["segments"][0]
    assert set(seg) >= {"id", "name", "size", "share", "centroid", "levels", "campaigns"}
    assert set(seg["centroid"]) == {"income", "spending"}  # the clustered features the rules judged
    assert set(seg["profile"]) == {"age", "income", "spending"}  # the mean of every feature
    assert seg["share"] == 0.405


def test_mall_with_age_names_every_segment_sensibly() -> None:
    report = analyse(settings(data=MALL, features=["age", "income", "spending"]))
    names = [s.name for s in report.segments]
    assert len(names) == len(set(names)) == report.clustering.k
    assert all(s.rule != "fallback" for s in report.segments)
    assert all(s.campaigns for s in report.segments)
    premium = [s for s in report.segments if s.levels["income"] == "high" and s.levels["spending"] == "high"]
    assert premium and premium[0].name.startswith("Premium spenders")


def test_default_sample_gives_the_planted_segments() -> None:
    report = analyse(settings())
    assert sorted(s.name for s in report.segments) == sorted(
        ["Premium spenders", "Cautious affluent", "Mainstream shoppers", "Aspiring spenders", "Budget-conscious"]
    )


@pytest.mark.e2e
def test_rerun_gives_identical_data_files(mall_folder: Path, tmp_path: Path) -> None:
    from reportgen.pipeline import run

    again = run(settings(data=MALL, features=["income", "spending"], period="2026-11", out=tmp_path))
    assert again.folder is not None
    for name in ("segments.csv", "summary.json"):
        assert (again.folder / name).read_bytes() == (mall_folder / name).read_bytes(), name
