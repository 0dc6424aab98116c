"""`reportgen init` on files it has never seen: the drafted settings run as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import numpy as np
import yaml

from reportgen.settings_file import load_settings
from reportgen.errors import ConfigError
from reportgen.init import write
from reportgen.pipeline import analyse

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.slow  # drafts and analyses the CRM export
def test_crm_export_draft_runs(tmp_path: Path) -> None:
    out = write(SHARED / "marketing_campaign.csv", tmp_path / "reportgen.yaml")
    settings = yaml.safe_load(out.read_text())
    columns = settings["columns"]
    assert columns["customer_id"] == "ID"
    assert columns["age"] == {"birth_year": "Year_Birth"}
    assert any(v == {"days_since": "Dt_Customer"} for v in columns.values())
    # one vocabulary: the spend total is `spending`, which the bundled mall rules judge, and it is the value
    assert columns["spending"]["sum"][0] == "MntWines" and set(settings["categories"].values()) >= {"MntWines", "MntGoldProds"}
    assert settings["value"] == "spending" and settings["rules"] == "mall" and settings["features"] == ["income", "spending"]
    assert "education" in columns and "education" not in settings["features"]  # text: an attribute
    assert "Z_CostContact: left out" in out.read_text()
    assert "# report:" in out.read_text() and "currency" in out.read_text()  # no sign in the data: the draft asks
    report = analyse(load_settings(out, {"period": "2014-07"}))
    raw = pd.read_csv(SHARED / "marketing_campaign.csv", sep="\t")  # independently: rows with an income (the clustered features are income and spending)
    assert report.table.n_read == len(raw) == 2240 and report.table.n_customers == int(raw["Income"].notna().sum()) == 2216
    assert report.clustering.sizes == tuple(int(n) for n in np.bincount(report.clustering.labels)) and sum(report.clustering.sizes) == 2216
    assert report.table.attributes == ("education", "marital_status")
    assert report.segments[0].mix  # the categories work
    # descriptions true to the numbers: each segment's own customers sit in the levels its name says
    cuts = report.level_cuts
    frame = report.table.frame.assign(segment=[report.segments[c].name for c in report.clustering.labels])
    words = {"low": 0, "medium": 1, "high": 2}
    for seg in report.segments:
        mine = frame[frame["segment"] == seg.name]
        rule = seg.levels
        held = (np.searchsorted(cuts["income"], mine["income"], side="right") == words[rule["income"]]) & (
            np.searchsorted(cuts["spending"], mine["spending"], side="right") == words[rule["spending"]]
        )
        assert held.mean() >= 0.8 and seg.name_fit == pytest.approx(held.mean(), abs=1e-4), seg.name
        assert seg.description  # the rule judged every feature its description speaks of
    comfortable = [s for s in report.segments if s.name == "Comfortable regulars"]
    for seg in comfortable:  # "well-off customers with moderate spending": spending between the cuts
        assert cuts["spending"][0] <= seg.centroid["spending"] < cuts["spending"][1]
    assert {s.revenue_share for s in report.segments} and sum(s.revenue_share or 0 for s in report.segments) == pytest.approx(1, abs=1e-3)


def test_mall_draft_keeps_the_mall_names(tmp_path: Path) -> None:
    out = write(SHARED / "Mall_Customers.csv", tmp_path / "mall.yaml")
    report = analyse(load_settings(out))
    assert report.clustering.k == 5 and sorted(s.size for s in report.segments) == [22, 23, 35, 39, 81]
    assert "gender" in report.table.attributes


def test_a_log_without_order_ids_is_drafted_as_an_order_log_and_a_table_with_dates_is_not(tmp_path: Path) -> None:
    """Repeating customer ids beside a date and an amount make an order log without order ids; the
    same columns with one row per customer stay a customer table."""
    log = tmp_path / "payments.csv"
    log.write_text("Buyer,Paid At,Total (EUR)\n" + "".join(f"b{i % 40},2025-0{1 + i % 9}-1{i % 10} 10:00,{5 + i % 17}\n" for i in range(200)))
    out = write(log, tmp_path / "payments.yaml")
    drafted = yaml.safe_load(out.read_text())
    assert drafted["transactions"] == {"customer_id": "Buyer", "date": "Paid At", "amount": "Total (EUR)"}
    assert drafted["report"] == {"currency": "€"}  # the amount column's name says EUR
    assert "no order id column" in out.read_text()
    report = analyse(load_settings(out, {"period": "2025-12"}))
    assert report.table.kind == "transactions" and report.table.n_customers == 40

    table = tmp_path / "members.csv"
    table.write_text("Buyer,Paid At,Total (EUR),Visits\n" + "".join(f"b{i},2025-0{1 + i % 9}-1{i % 10},{5 + i % 17},{i % 7}\n" for i in range(200)))
    assert "transactions" not in yaml.safe_load(write(table, tmp_path / "members.yaml").read_text())


def test_an_email_column_is_the_customer_id_and_a_phone_is_no_number(tmp_path: Path) -> None:
    table = tmp_path / "people.csv"
    table.write_text("Email,Phone,Total Spend,Visits\n" + "".join(f"p{i}@example.com,+44 7700 {900000 + i},{10 + i % 50},{i % 9}\n" for i in range(120)))
    drafted = yaml.safe_load(write(table, tmp_path / "people.yaml").read_text())
    assert drafted["columns"]["customer_id"] == "Email"
    assert "phone" not in drafted["features"] and set(drafted["features"]) == {"total_spend", "visits"}


def test_rates_and_money_with_their_signs_are_numbers_shown_with_them(tmp_path: Path) -> None:
    table = tmp_path / "subscribers.csv"
    table.write_text("Subscriber ID,Open Rate,Lifetime Value\n" + "".join(f"S{i},{10 + i % 40}.5%,\"${1000 + 37 * i:,}.25\"\n" for i in range(120)))
    out = write(table, tmp_path / "subscribers.yaml")
    drafted = yaml.safe_load(out.read_text())
    assert set(drafted["features"]) == {"open_rate", "lifetime_value"}
    assert drafted["display"]["open_rate"]["suffix"] == "%" and drafted["display"]["lifetime_value"]["prefix"] == "$"
    frame = analyse(load_settings(out)).table.frame
    assert frame["open_rate"].iloc[0] == 10.5 and frame["lifetime_value"].iloc[1] == 1037.25


def test_order_log_draft(tmp_path: Path) -> None:
    out = write(SHARED / "online_retail_sample.csv", tmp_path / "orders.yaml")
    settings = yaml.safe_load(out.read_text())
    assert settings["transactions"]["customer_id"] == "CustomerID" and settings["rules"] == "rfm"
    report = analyse(load_settings(out, {"period": "2011-12"}))
    assert report.table.kind == "transactions" and report.table.n_customers == 3017


def test_unknown_table_gets_names_from_the_data(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "member_no": [f"M{i:04d}" for i in range(300)],
            "Visits": [i % 17 + 1 for i in range(300)],
            "Basket EUR": [round(10 + (i * 37) % 250 + 0.5, 2) for i in range(300)],
            "Joined": [f"{(i % 28) + 1:02d}/{(i % 12) + 1:02d}/2021" for i in range(300)],
            "Plan": ["gold" if i % 3 else "basic" for i in range(300)],
        }
    )
    frame.to_csv(tmp_path / "members.csv", index=False)
    out = write(tmp_path / "members.csv", tmp_path / "members.yaml")
    report = analyse(load_settings(out, {"period": "2026-11"}))
    assert report.clustering.k >= 3 and all(s.rule == "automatic" for s in report.segments)
    assert "plan" in report.table.attributes and "visits" in report.features.roles
    assert yaml.safe_load(out.read_text())["columns"]["customer_id"] == "member_no"  # unique, named like an id
    assert len({s.name for s in report.segments}) == len(report.segments)  # never two segments of one name


def test_a_total_beside_its_parts_is_not_counted_twice(tmp_path: Path) -> None:
    food = [round(5 + (i * 13) % 90 + 0.25, 2) for i in range(200)]
    drinks = [round(2 + (i * 7) % 40 + 0.5, 2) for i in range(200)]
    frame = pd.DataFrame({
        "Account No": [f"A-{i}" for i in range(200)],
        "Spend total": [round(f + d, 2) for f, d in zip(food, drinks)],
        "Spend food": food,
        "Spend drinks": drinks,
        "Visits": [i % 11 + 1 for i in range(200)],
    })
    frame.to_csv(tmp_path / "shop.csv", index=False)
    settings = yaml.safe_load(write(tmp_path / "shop.csv", tmp_path / "shop.yaml").read_text())
    assert settings["columns"]["customer_id"] == "Account No"
    assert settings["columns"]["spending"] == "Spend total" and settings["value"] == "spending"
    assert settings["categories"] == {"Food": "Spend food", "Drinks": "Spend drinks"}


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "reportgen.yaml"
    target.write_text("# mine\n")
    with pytest.raises(ConfigError, match="already exists"):
        write(SHARED / "Mall_Customers.csv", target)
    assert target.read_text() == "# mine\n"
    cli = [sys.executable, "-m", "reportgen", "init", "--data", str(SHARED / "Mall_Customers.csv"), "--out", str(target)]
    refused = subprocess.run(cli, capture_output=True, text=True, cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    forced = subprocess.run([*cli, "--force"], capture_output=True, text=True, cwd=tmp_path)
    assert forced.returncode == 0 and "customer_id: CustomerID" in target.read_text()
