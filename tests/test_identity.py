"""One customer, however the id is spelt: '2.0' is 2, an e-mail's case and surrounding spaces do not
count, in customer tables and order logs and from one month to the next; and columns whose names
differ only by case are refused rather than read one for another."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.settings_file import load_settings
from reportgen.errors import DataError
from reportgen.stages import identity, load, transactions

SPELLINGS = {
    "2": "2", "2.0": "2", "2.00": "2", "17850.0": "17850", "00123": "00123", "AB12": "AB12", "A17.0": "A17.0", "2.5": "2.5",
    "Anna@Shop.Example": "anna@shop.example", "anna@shop.example": "anna@shop.example", "1.05": "1.05", "10.0.0": "10.0.0",
    "@SUM(1+1)": "@SUM(1+1)", "+cmd|' /C calc'!A0": "+cmd|' /C calc'!A0", "Team@Home": "Team@Home",  # not e-mail addresses: as written
}


def test_python_and_sql_read_ids_alike() -> None:
    con = duckdb.connect()
    for text, expected in SPELLINGS.items():
        assert identity.customer_id(f"  {text} ") == expected, text
        (got,) = con.execute(f"SELECT {identity.customer_id_sql('trim(v)')} FROM (SELECT ?::VARCHAR AS v)", [f"  {text} "]).fetchone()
        assert got == expected, text


def _mall(path: Path, ids: list[str]) -> Path:
    lines = ["CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"]
    lines += [f"{cid},Female,{20 + i},{30 + i},{40 + i}" for i, cid in enumerate(ids)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("ids", "same"),
    [
        ([f"{i}" for i in range(20)] + ["3.0", "7.00"], 2),
        ([f"c{i}@shop.example" for i in range(20)] + [" C3@Shop.Example", "c7@SHOP.EXAMPLE "], 2),
        ([f"{i:05d}" for i in range(20)] + ["3", "AB"], 0),  # leading zeros are part of a code
    ],
    ids=["decimal-spelling", "email-case-and-spaces", "codes-kept"],
)
def test_a_customer_table_knows_one_customer_by_any_spelling(ids: list[str], same: int, tmp_path: Path) -> None:
    table = load.load(load_settings(None, {"data": _mall(tmp_path / "c.csv", ids)}))
    repeated = [i for i in table.issues if i.reason == "duplicate customer id (first kept)"]
    assert (repeated[0].rows if repeated else 0) == same and len(table.frame) == len(ids) - same
    assert set(table.frame["customer_id"]) <= {identity.customer_id(i) for i in ids}


def test_an_order_log_knows_one_shopper_by_any_spelling_of_the_email(tmp_path: Path) -> None:
    spellings = ["anna@shop.example", " Anna@Shop.Example", "ANNA@SHOP.EXAMPLE "]
    rows = [f"{spellings[i % 3]},2024-0{1 + i % 9}-1{i % 10},{10 + i}" for i in range(9)]
    rows += [f"b{j}@shop.example,2024-03-0{1 + j % 9},5" for j in range(12) for _ in range(2)]
    (tmp_path / "log.csv").write_text("Customer Email,Order Date,Amount\n" + "\n".join(rows) + "\n")
    table = transactions.load(load_settings(None, {"data": tmp_path / "log.csv", "period": "2024-12"}))
    anna = table.frame.set_index("customer_id").loc["anna@shop.example"]
    assert anna["monetary"] == sum(10 + i for i in range(9)) and len(table.frame) == 13


@pytest.mark.e2e  # a whole report
def test_month_over_month_the_same_customers_are_not_new_and_gone(tmp_path: Path) -> None:
    """November's export writes ids as 2, December's as 2.0 (a float column): nobody came or went."""
    ids = [str(i) for i in range(1, 41)]
    out = tmp_path / "out"
    _mall(tmp_path / "nov.csv", ids)
    _mall(tmp_path / "dec.csv", [f"{i}.0" for i in ids])
    for data, period in (("nov.csv", "2026-11"), ("dec.csv", "2026-12")):
        result = CliRunner().invoke(cli, ["run", "--data", str(tmp_path / data), "--period", period, "--out", str(out)])
        assert result.exit_code == 0, result.output
    changes = json.loads((out / "2026-12" / "summary.json").read_text())["changes"]
    assert changes["new_customers"] == 0 and changes["gone_customers"] == 0


@pytest.mark.parametrize(
    ("header", "columns", "message"),
    [
        (["CustomerID", "Income", "income", "INCOME", "Spending Score (1-100)"], {"customer_id": "CustomerID", "a": "Income", "b": "income", "c": "INCOME"},
         "columns 'Income', 'income', 'INCOME' differ only by upper and lower case, and 'Income' is used"),
        (["CustomerID", "Income", "Age", "income"], {"customer_id": "CustomerID", "a": "Income", "b": "Age"},
         "columns 'Income', 'income' differ only by upper and lower case, and 'Income' is used"),
        (["ID", "Spend", "Visits", "Spend"], {"customer_id": "ID", "s": "Spend", "v": "Visits"}, "the column name 'Spend' appears 2 times"),
    ],
    ids=["three-cases", "one-used", "repeated"],
)
def test_columns_that_differ_only_by_case_are_refused(header: list[str], columns: dict[str, str], message: str, tmp_path: Path) -> None:
    rows = [",".join(str(10 * i + j) for j in range(len(header))) for i in range(30)]
    (tmp_path / "t.csv").write_text(",".join(header) + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as err:
        load.load(load_settings(None, {"data": tmp_path / "t.csv", "columns": columns, "features": [k for k in columns if k != "customer_id"]}))
    assert message in err.value.message and "Rename them" in err.value.hint


def test_an_order_log_with_columns_that_differ_only_by_case_is_refused(tmp_path: Path) -> None:
    rows = [f"C{i % 12},2024-0{1 + i % 9}-1{i % 10},{i},{100 + i}" for i in range(40)]
    (tmp_path / "log.csv").write_text("CustomerID,InvoiceDate,amount,Amount\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(cli, ["run", "--data", str(tmp_path / "log.csv"), "--period", "2024-12", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "columns 'amount', 'Amount' differ only by upper and lower case" in result.stderr
