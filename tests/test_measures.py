"""What the documents say about each measure and segment (render/measures.py, render/view.py,
render/wording.py), checked against the customers themselves on shop-style files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reportgen.settings_file import load_settings
from reportgen.init import write
from reportgen.model import Report
from reportgen.pipeline import analyse
from reportgen.render import measures as ms
from reportgen.render import view

from .shopdata import CATEGORIES, crm_table, order_log

pytestmark = pytest.mark.slow  # two analyses of generated files, no browser


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A CRM export drafted by `reportgen init` and run as drafted, plus a column that never varies."""
    folder = tmp_path_factory.mktemp("crm")
    data = crm_table(folder / "crm.csv")
    lines = data.read_text().splitlines()
    data.write_text("\n".join([lines[0] + ",Opt In"] + [line + ",1" for line in lines[1:]]) + "\n")
    config = write(data, folder / "reportgen.yaml")
    config.write_text(config.read_text().replace("  region: Region", "  opt_in: Opt In\n  region: Region"))
    return analyse(load_settings(config, {"period": "2024-12", "out": str(folder / "out")}))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = tmp_path_factory.mktemp("shop")
    return analyse(load_settings(None, {"data": str(order_log(folder / "orders.csv", customers=400)), "period": "2024-12", "out": str(folder / "out")}))


def _members(report: Report, seg_id: int, column: str) -> np.ndarray:
    values = report.table.frame[column].to_numpy(dtype=float)[report.clustering.labels == seg_id]
    return values[~np.isnan(values)]


def _rows(context: dict[str, Any], seg_id: int) -> dict[str, dict[str, Any]]:
    return {row["role"]: row for row in next(s for s in context["segments"] if s["id"] == seg_id)["measures"]}


def test_yes_no_flags_and_zero_heavy_measures_read_as_shares_of_customers(crm: Report) -> None:
    """A 0/1 column is the share of a segment's customers who have it (never '0.1'); a count most
    customers have at 0 is the share above 0 (never a mean placed among percentiles)."""
    kinds = {m.name: m.kind for m in ms.readings(crm).measures}
    assert kinds["newsletter_subscriber"] == kinds["loyalty_card_holder"] == ms.FLAG
    assert kinds["complaints_filed"] == ms.ABOVE_ZERO and kinds["annual_household_income"] == ms.MEAN
    context = view.build(crm)
    for seg in crm.segments:
        rows = _rows(context, seg.id)
        for column, kind in (("newsletter_subscriber", "yes"), ("complaints_filed", "above 0")):
            if column not in rows:
                continue
            members = _members(crm, seg.id, column)
            share = float((members > 0).mean())
            assert rows[column]["label"].endswith(f"(% {kind})")
            assert rows[column]["value"] == ms.share(share), (seg.name, column)
            assert float(rows[column]["value"].rstrip("%").lstrip("<")) == pytest.approx(100 * share, abs=0.51)
        income = rows["annual_household_income"]["value"]
        assert income.startswith("$") and float(income.strip("$k").replace(",", "")) > 0


def test_a_measure_the_same_for_everyone_is_left_out_and_said_so_once(crm: Report) -> None:
    context = view.build(crm)
    assert all("opt_in" not in _rows(context, s.id) for s in crm.segments)
    assert context["left_out_measures"] == "Not shown on the segment pages, the same for every customer: Opt in (1.0)."


def test_what_they_buy_keeps_the_shops_names_and_reads_for_any_name(shop: Report) -> None:
    """'Champions buys 6.5x as much landmark frame oxford street': the sentence now has a plural
    subject whatever the segment's name, and the categories are written as the shop writes them."""
    context = view.build(shop)
    for seg in context["segments"]:
        lead = seg["category_highlight"]
        assert lead.startswith(("Per customer, they spend ", "They spend less than the average customer on every category"))
        named = [c for c in CATEGORIES if c in lead]
        assert len(named) == 1, lead
        assert all(row["name"] in CATEGORIES or row["name"] == "Other products" for row in seg["categories"])
    assert " buys " not in " ".join(s["category_highlight"] for s in context["segments"])


def test_counts_say_what_they_count(shop: Report, crm: Report) -> None:
    facts = shop.table.facts
    assert view.build(shop)["quality"]["counts"] == (
        f"{int(facts['lines']):,} order lines read, {int(facts['purchase_lines']):,} of them purchases; "
        f"{shop.table.n_customers:,} customers analysed, none left out."
    )
    assert view.build(crm)["quality"]["counts"] == f"{crm.table.n_read:,} rows read, one customer each; {crm.table.n_customers:,} customers analysed, none left out."


def test_confidence_in_plain_words_and_reliability_about_the_segment(crm: Report) -> None:
    context = view.build(crm)
    sentence = context["confidence"]["sentence"]
    assert sentence.split(".")[0] in ("Confident", "Fairly sure", "Not very")
    assert context["confidence"]["level"] not in sentence  # the level's word is not repeated as a label
    for seg, stability in zip(context["segments"], crm.trust.stability):  # type: ignore[union-attr]
        assert seg["reliability"].startswith(("Reliable segment:", "Tentative segment:", "Unreliable segment:"))
        assert f"({stability:.2f} of 1)" in seg["reliability"] and "customers are resampled" in seg["reliability"]
    assert view.reliability(0.7499)["sentence"].startswith("Reliable")  # judged as printed
    assert view.reliability(0.49)["sentence"].startswith("Unreliable")
