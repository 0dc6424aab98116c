"""What to do this month, checked against independent computations: past campaigns' answers per
segment on the CRM export reached through init, actions and budget, contact lists that hold exactly
their segment's customers, and predictions that add up to the segments' figures."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reportgen.settings_file import load_settings
from reportgen.contacts import file_names
from reportgen.init import write
from reportgen.pipeline import run

from .conftest import SHARED, settings

pytestmark = pytest.mark.e2e
CRM = SHARED / "data" / "marketing_campaign.csv"
RETAIL = SHARED / "data" / "online_retail_sample.csv"


def _folder_files(folder: Path) -> tuple[dict[str, Any], pd.DataFrame, str]:
    summary = json.loads((folder / "summary.json").read_text())
    segments = pd.read_csv(folder / "segments.csv", dtype={"customer_id": str})
    text = " ".join(subprocess.run(["pdftotext", str(folder / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    return summary, segments, text


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], pd.DataFrame, str, Path]:
    """The CRM export through `reportgen init` with no edits, then run."""
    work = tmp_path_factory.mktemp("crm")
    config = write(CRM, work / "reportgen.yaml")
    report = run(load_settings(config, {"out": str(work / "out"), "period": "2014-06"}))
    assert report.folder is not None
    return (*_folder_files(report.folder), report.folder)


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], pd.DataFrame, str, Path]:
    work = tmp_path_factory.mktemp("retail")
    report = run(settings(data=RETAIL, period="2011-12", out=work))
    assert report.folder is not None
    return (*_folder_files(report.folder), report.folder)


def test_response_rates_equal_an_independent_computation_and_the_pdf_states_them(crm: tuple[Any, ...]) -> None:
    summary, segments, text, _ = crm
    raw = pd.read_csv(CRM, sep="\t").assign(customer_id=lambda d: d["ID"].astype(str))
    joined = segments[["customer_id", "segment"]].merge(raw, on="customer_id")
    assert len(joined) == len(segments)
    answers = ["AcceptedCmp1", "AcceptedCmp2", "AcceptedCmp3", "AcceptedCmp4", "AcceptedCmp5", "Response"]
    features = ["accepted_cmp1", "accepted_cmp2", "accepted_cmp3", "accepted_cmp4", "accepted_cmp5", "response"]
    assert list(summary["responses"]) == features  # oldest first, Response (the last campaign) last
    for column, feature in zip(answers, features):
        assert summary["responses"][feature] == pytest.approx(joined[column].mean(), abs=1e-4)
    by_segment = joined.groupby("segment")["Response"].mean()
    for seg in summary["segments"]:
        assert seg["responses"]["response"] == pytest.approx(by_segment[seg["name"]], abs=1e-4)
        said = f"Answered the last campaign (Response): {seg['responses']['response']:.0%} against {summary['responses']['response']:.0%} overall"
        assert said in text, seg["name"]
    spread = by_segment.max() - by_segment.min()
    assert spread > 0.1  # the segments answer differently: the evidence says something


def test_actions_rank_by_value_at_stake_and_share_the_whole_budget(crm: tuple[Any, ...]) -> None:
    summary, segments, text, _ = crm
    raw = pd.read_csv(CRM, sep="\t").assign(customer_id=lambda d: d["ID"].astype(str))
    spend = raw[["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]].sum(axis=1)
    revenue = segments[["customer_id", "segment"]].merge(raw.assign(spend=spend), on="customer_id").groupby("segment")["spend"].sum()
    actions = summary["actions"]
    assert actions and sum(a["budget_share"] for a in actions) == pytest.approx(1.0, abs=1e-3)
    stakes = [a["value_at_stake"] for a in actions]
    assert stakes == sorted(stakes, reverse=True)
    sizes = segments["segment"].value_counts()
    for a in actions:
        assert a["value_basis"] == "revenue" and a["value_at_stake"] == pytest.approx(revenue[a["segment"]], rel=1e-6)
        assert a["audience"] == sizes[a["segment"]]
        seg = next(s for s in summary["segments"] if s["name"] == a["segment"])
        assert a["expected_response"] == seg["responses"]["response"]
    first = actions[0]
    assert "What to do first" in text and f"{first['campaign']} for {first['segment']}" in text


def test_contact_lists_hold_exactly_their_segments_customers(crm: tuple[Any, ...], retail: tuple[Any, ...]) -> None:
    for summary, segments, _, folder in (crm, retail):
        manifest = json.loads((folder / "manifest.json").read_text())
        with_campaigns = [s for s in summary["segments"] if s["campaigns"]]
        assert with_campaigns
        names = {s["id"]: s["name"] for s in summary["segments"]}
        for seg_id, name in file_names_from(summary).items():
            path = folder / "audiences" / name
            listed = pd.read_csv(path, dtype={"customer_id": str})
            expected = set(segments.loc[segments["segment"] == names[seg_id], "customer_id"])
            assert set(listed["customer_id"]) == expected and len(listed) == len(expected), name
            assert manifest["files"][f"audiences/{name}"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert len(list((folder / "audiences").glob("*.csv"))) == len(with_campaigns)


def file_names_from(summary: dict[str, Any]) -> dict[int, str]:
    """The contact lists' names, from the segments as summary.json lists them."""
    from types import SimpleNamespace

    return file_names(tuple(SimpleNamespace(id=s["id"], name=s["name"], campaigns=s["campaigns"]) for s in summary["segments"]))  # type: ignore[arg-type]


def test_predictions_add_up_and_the_documents_state_them(retail: tuple[Any, ...]) -> None:
    summary, segments, text, folder = retail
    assert summary["forecast"]["fitted"] and summary["forecast"]["repeat_customers"] == int((segments["frequency"] >= 2).sum())
    for seg in summary["segments"]:
        mine = segments[segments["segment"] == seg["name"]]
        assert seg["p_active"] == pytest.approx(mine["p_active"].mean(), abs=1e-4)
        assert seg["expected_orders_90d"] == pytest.approx(mine["expected_orders_90d"].sum(), abs=0.05)
        assert seg["expected_value_12m"] == pytest.approx(mine["expected_value_12m"].sum(), rel=1e-5)
        assert seg["p_order_90d"] == pytest.approx(mine["p_order_90d"].mean(), abs=1e-4) and seg["p_order_90d"] < seg["p_active"]
        assert f"Expected: {seg['expected_orders_90d']:,.0f} orders from these customers in the next 90 days" in text
        assert f"about {seg['p_order_90d']:.0%} of them are expected to order in that time" in text
    assert "still active" not in text  # the model's "not gone for good" is not a marketer's "active"
    assert ((segments["p_active"] >= 0) & (segments["p_active"] <= 1)).all()
    # on an order log the value at stake is the audience's expected 12-month value
    for a in summary["actions"]:
        seg = next(s for s in summary["segments"] if s["name"] == a["segment"])
        assert a["value_basis"] == "expected_value_12m" and a["value_at_stake"] == seg["expected_value_12m"]
    lists = pd.read_csv(next((folder / "audiences").glob("champions.csv")), dtype={"customer_id": str})
    assert {"p_active", "expected_orders_90d", "expected_value_12m", "recency_days", "frequency", "monetary"} <= set(lists.columns)
    eml = (folder / "report.eml").read_bytes()
    assert b"What to do first" in eml


def test_no_predictions_from_too_short_a_log(tmp_path: Path) -> None:
    raw = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    day = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    short = tmp_path / "short.csv"
    raw[(day >= "2011-11-01") & (day < "2011-12-01")].to_csv(short, index=False)
    report = run(settings(data=short, period="2011-11", out=tmp_path / "out"))
    assert report.forecast is not None and not report.forecast.fitted and "covers" in report.forecast.reason
    assert all(s.expected_orders_90d is None for s in report.segments)
    assert any("No predictions" in w for w in report.warnings)
    header = (tmp_path / "out" / "2011-11" / "segments.csv").read_text().splitlines()[0]
    assert "p_active" not in header  # never a made-up number
    assert np.isfinite([s.revenue_share for s in report.segments if s.revenue_share is not None]).all()
