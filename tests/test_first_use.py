"""A new user's first `run --data` on an order log: recognised from a customer id that repeats, a
date and a value (not from a customer table's column names); a log without a value segmented on
recency and frequency and saying so; customers whose every line is zero counted as left out, with
the reason; fewer customers than a customer table needs refused. Numbers are checked against an
independent pandas computation, words against the PDF and summary.json."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.settings_file import load_settings
from reportgen.stages import load, transactions


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.write_text("\n".join([",".join(header), *(",".join(str(v) for v in r) for r in rows)]) + "\n")
    return path


def _one_row_per_customer(path: Path, header: list[str]) -> Path:
    rng = random.Random(1)
    rows = [[i, f"2021-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", f"{rng.uniform(5, 900):.2f}",
             rng.randint(1, 30)] for i in range(1, 61)]
    return _write(path, header, rows)


@pytest.mark.parametrize(
    "header",
    [
        ["Customer ID", "Signup Date", "Most Recent Order", "Total Spent", "Orders"],
        ["Customer ID", "Signup Date", "Latest Invoice", "Total Spent", "Orders"],
        ["customer_id", "date_of_birth", "order_id", "amount", "visits"],
        ["Customer ID", "Order Date", "Order ID", "Amount", "Visits"],  # an order log's names, one row per customer
    ],
    ids=["most-recent-order", "latest-invoice", "date-of-birth", "log-names-one-row-each"],
)
def test_a_table_where_no_customer_id_repeats_is_not_an_order_log(header: list[str], tmp_path: Path) -> None:
    path = _one_row_per_customer(tmp_path / "customers.csv", header)
    assert load.kind(load_settings(None, {"data": path})) == "customers"
    # the same columns with a customer on two rows are an order log
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1].replace(lines[1].split(",")[2], "2024-10-01")]) + "\n")
    assert load.kind(load_settings(None, {"data": path})) == ("transactions" if "Order Date" in header else "customers")


def _visits(path: Path) -> pd.DataFrame:
    rng = random.Random(5)
    rows = [[f"V{rng.randint(1, 60):03d}", f"2024-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"] for _ in range(400)]
    _write(path, ["customer_id", "visit_date"], rows)
    return pd.DataFrame(rows, columns=["customer_id", "visit_date"])


@pytest.mark.e2e  # a whole report
def test_a_log_without_a_value_is_segmented_on_recency_and_frequency(tmp_path: Path) -> None:
    raw = _visits(tmp_path / "visits.csv")
    result = CliRunner().invoke(cli, ["run", "--data", str(tmp_path / "visits.csv"), "--period", "2024-12", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "2024-12"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["kind"] == "transactions" and summary["features"] == ["recency_days", "frequency"]
    assert "monetary" not in summary["all_features"] and "monetary" not in summary["definitions"]
    assert transactions.NO_VALUE in summary["facts"]["definitions"]
    # frequency: a customer's distinct dates (no order id: one date and time is one order)
    segments = pd.read_csv(folder / "segments.csv").set_index("customer_id")
    expected = raw.groupby("customer_id")["visit_date"].nunique()
    assert segments["frequency"].sort_index().tolist() == expected.sort_index().tolist()
    text = " ".join(subprocess.run(["pdftotext", str(folder / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "segmented on recency and frequency only" in text


def test_monetary_cannot_be_asked_of_a_log_without_a_value(tmp_path: Path) -> None:
    _visits(tmp_path / "visits.csv")
    result = CliRunner().invoke(
        cli, ["run", "--data", str(tmp_path / "visits.csv"), "--period", "2024-12", "--features", "recency_days,monetary", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and "'monetary' is not a feature of this order log (it has no value column" in result.stderr


def _zeros(path: Path) -> pd.DataFrame:
    """A log where every line of some customers is zero (free samples, vouchers), some only returned."""
    rng = random.Random(8)
    rows = []
    for c in range(1, 81):
        for k in range(rng.randint(1, 4)):
            value = 0 if c % 9 == 0 else -abs(rng.uniform(5, 50)) if c % 13 == 0 else rng.uniform(5, 80)
            rows.append([c, f"{c * 100 + k}", f"2024-{rng.randint(1, 9):02d}-{rng.randint(10, 28)}", f"{value:.2f}"])
    _write(path, ["CustomerID", "InvoiceNo", "InvoiceDate", "Amount"], rows)
    return pd.DataFrame(rows, columns=["CustomerID", "InvoiceNo", "InvoiceDate", "Amount"])


@pytest.mark.e2e  # a whole report
def test_customers_whose_every_line_is_zero_are_counted_as_left_out(tmp_path: Path) -> None:
    raw = _zeros(tmp_path / "zeros.csv")
    value = pd.to_numeric(raw["Amount"])
    bought = set(raw.loc[value > 0, "CustomerID"])
    left = set(raw["CustomerID"]) - bought
    result = CliRunner().invoke(cli, ["run", "--data", str(tmp_path / "zeros.csv"), "--period", "2024-12", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "2024-12"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["n_customers"] == len(bought) and summary["n_dropped"] == len(left) > 0 and summary["n_read"] == len(bought) + len(left)
    reasons = {i["reason"]: i["rows"] for i in summary["row_issues"] if i["reason"].startswith("customers left out")}
    assert sum(reasons.values()) == len(left)
    assert reasons["customers left out: every line of theirs has a zero or negative value (no purchase)"] == len(left)
    text = " ".join(subprocess.run(["pdftotext", str(folder / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert f"{len(raw)} order lines read" in text and f"{len(bought)} customers analysed, {len(left)} left out because every line of theirs has a zero or negative value" in text
    assert f"{len(left)} of {len(bought) + len(left)} customers were left out because every line of theirs has a zero or negative value" in text
    assert "customers left out: every line of theirs has a zero or negative value" in text


@pytest.mark.parametrize("n", [3, 9])
def test_an_order_log_needs_as_many_customers_as_a_customer_table(n: int, tmp_path: Path) -> None:
    rows = [[f"C{i % n}", f"{500 + i}", f"2024-0{1 + i % 9}-1{i % 10}", "12.50"] for i in range(40)]
    path = _write(tmp_path / "few.csv", ["CustomerID", "InvoiceNo", "InvoiceDate", "Amount"], rows)
    result = CliRunner().invoke(cli, ["run", "--data", str(path), "--period", "2024-12", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"only {n} customers made a purchase; at least 10 are needed" in result.stderr
    assert not (tmp_path / "out" / "2024-12").exists()
