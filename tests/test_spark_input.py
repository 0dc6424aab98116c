"""The input layer on Spark reads what it reads on one machine: hostile text in the data (backslashes,
quotes, SQL), number conventions, compact and serial dates, two-digit years, ids in any spelling,
customers left out, a log without a value, and the same refusals. Each case runs both engines
through pipeline.analyse and compares the customers' numbers."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reportgen.settings_file import load_settings
from reportgen.errors import ReportgenError
from reportgen.pipeline import analyse

pytest.importorskip("pyspark")
pytestmark = pytest.mark.spark  # every case runs both engines, Spark included

HOSTILE = [
    "C:\\Temp\\", "x\\' OR 1=1 --", "It's a \"deal\"", "tab\\there", "\\", "'; DROP TABLE norm; --", "100% \\d+ [a-z]*", "ends with \\'",
]


def _both(overrides: dict[str, Any]) -> dict[str, Any]:
    """engine -> the analysed table (or the error's message)."""
    out: dict[str, Any] = {}
    for engine in ("local", "spark"):
        try:
            out[engine] = analyse(load_settings(None, {**overrides, "engine": engine})).table
        except ReportgenError as exc:
            out[engine] = exc.message
    return out


def _frames(tables: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    local, spark = (tables[e].frame.set_index("customer_id").sort_index() for e in ("local", "spark"))
    assert list(local.index) == list(spark.index)
    return local, spark


def test_hostile_product_names_are_data_on_both_engines(tmp_path: Path) -> None:
    rng = random.Random(11)
    rows = []
    for i in range(400):
        product = HOSTILE[i % len(HOSTILE)] if i % 3 else f"plain item {i % 5}"
        rows.append({"InvoiceNo": str(9000 + i // 2), "CustomerID": f"C{rng.randint(1, 30):02d}", "InvoiceDate": f"2024-{1 + i % 11:02d}-{1 + i % 27:02d}",
                     "Description": product, "Quantity": str(1 + i % 4), "UnitPrice": f"{10 + (i % len(HOSTILE)) * 7.5:.2f}"})
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "log.csv", index=False)
    tables = _both({"data": tmp_path / "log.csv", "period": "2024-12"})
    local, spark = _frames(tables)
    assert set(tables["local"].categories) == set(tables["spark"].categories) and set(tables["local"].categories) & set(HOSTILE)
    for label, column in tables["local"].categories.items():
        bought = frame[frame["Description"] == label]
        expected = (pd.to_numeric(bought["Quantity"]) * pd.to_numeric(bought["UnitPrice"])).groupby(bought["CustomerID"]).sum()
        assert local[column][expected.index].tolist() == pytest.approx(expected.tolist()), label
        assert spark[column].tolist() == pytest.approx(local[column].tolist()), label


@pytest.mark.parametrize(
    ("header", "cells"),
    [
        (";", [f"{18 + i}.{611 + i:03d}" for i in range(29)] + ["5.525,50"]),  # thousands proved by one cell
        (";", [f"{18 + i}.{611 + i:03d}" for i in range(30)]),  # a ';' file: thousands
        (",", [f"\"{i},5\"" for i in range(29)] + ["1.250"]),  # a ',' file that proves the decimal comma
        (",", ["(100.00)", "100.00-", "\u2212100.00", "\"($1,234.50)\"", "250.00"] * 6),  # accounting negatives
    ],
    ids=["semi-proved", "semi-delimiter", "comma-file-comma", "negatives"],
)
def test_number_conventions_on_both_engines(header: str, cells: list[str], tmp_path: Path) -> None:
    lines = [header.join(["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"])]
    lines += [header.join([f"{i + 1}.0", "Female", str(20 + i), cell, str(10 + i)]) for i, cell in enumerate(cells)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    negative = any("(" in c for c in cells)  # accounting negatives: below income's valid minimum 0 otherwise
    local, spark = _frames(_both({"data": tmp_path / "t.csv", **({"valid": {"income": [None, None]}} if negative else {})}))
    assert spark["income"].tolist() == local["income"].tolist() and (not negative or (local["income"] < 0).sum() == 24)
    assert list(local.index)[:3] == ["1", "10", "11"]  # '1.0' is customer 1 on both


def test_dates_compact_serial_and_two_digit_years_on_both_engines(tmp_path: Path) -> None:
    rng = random.Random(4)
    lines = ["ID,joined,seen,born,Joined Late,spend"]
    for i in range(60):
        serial = 45000 + rng.randint(0, 500) + rng.randint(0, 23) / 24
        lines.append(f"c{i}@Shop.example,2021{rng.randint(1, 12):02d}{rng.randint(10, 28)},{serial:.6f},{rng.randint(10, 28)}/{rng.randint(1, 12):02d}/{rng.choice([58, 75, 3]):02d},"
                     f"{'2027-01-05' if i % 7 == 0 else '2025-06-01'},{rng.uniform(5, 500):.2f}")
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    columns = {"customer_id": "ID", "joined": {"days_since": "joined"}, "seen": {"days_since": "seen"}, "born": {"days_since": "born", "date_format": "%d/%m/%y"},
               "late": {"days_since": "Joined Late"}, "spend": "spend"}
    tables = _both({"data": tmp_path / "t.csv", "period": "2026-11", "columns": columns, "features": ["joined", "seen", "spend"]})
    local, spark = _frames(tables)
    for name in ("joined", "seen", "born", "late"):
        assert spark[name].fillna(-1).tolist() == local[name].fillna(-1).tolist(), name
    assert local.index[0] == "c0@shop.example" and (local["born"] > 0).all() and local["late"].isna().sum() == 9
    strip = lambda notes: [n.split(" (e.g.")[0].rstrip(".") for n in notes]  # noqa: E731  (Spark names no example line)
    assert strip(tables["spark"].notes) == strip(tables["local"].notes) and tables["local"].notes
    assert [(i.reason, i.rows) for i in tables["spark"].issues] == [(i.reason, i.rows) for i in tables["local"].issues]


@pytest.mark.parametrize("kind", ["zeros", "no-value"])
def test_left_out_customers_and_logs_without_a_value_on_both_engines(kind: str, tmp_path: Path) -> None:
    rng = random.Random(2)
    lines = ["CustomerID,InvoiceDate,Amount"] if kind == "zeros" else ["customer_id,visit_date"]
    for i in range(300):
        c = rng.randint(1, 40)
        day = f"2024{rng.randint(1, 11):02d}{rng.randint(10, 28)}"
        lines.append(f"{c},{day},{0 if c % 8 == 0 else rng.uniform(5, 90):.2f}" if kind == "zeros" else f"{c},{day}")
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    tables = _both({"data": tmp_path / "log.csv", "period": "2024-12"})
    local, spark = _frames(tables)
    read = [c for c in local.columns if c not in tables["local"].scores]  # the forecast's scores join the frame on one machine only
    assert "recency_days" in read and "p_active" in local.columns
    for name in read:
        assert spark[name].tolist() == pytest.approx(local[name].tolist()), name
    assert (tables["spark"].n_read, tables["spark"].n_customers) == (tables["local"].n_read, tables["local"].n_customers)
    assert ("monetary" in local.columns) == (kind == "zeros") and (kind == "no-value" or tables["local"].n_dropped == 5)


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        ("CustomerID,Income,income,Spending Score (1-100)", [f"{i},{i},{i},{i}" for i in range(30)], "differ only by upper and lower case"),
        ("CustomerID,InvoiceDate,Amount", [f"C{i % 4},2024-01-{10 + i % 9},5" for i in range(30)], "only 4 customers made a purchase; at least 10 are needed"),
        ("CustomerID;InvoiceDate;Amount", [f"C{i % 12};2024-01-{10 + i % 9};{'3.75' if i % 2 else '3,75'}" for i in range(30)], "column 'Amount' writes numbers two ways"),
    ],
    ids=["case-twins", "few-customers", "two-conventions"],
)
def test_the_same_refusals_on_both_engines(header: str, rows: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    tables = _both({"data": tmp_path / "t.csv", "period": "2024-12", **({"features": ["income", "spending"]} if "Income" in header else {})})
    assert isinstance(tables["local"], str) and message in tables["local"]
    assert isinstance(tables["spark"], str) and message in tables["spark"]


def test_hostile_column_names_and_text_values_on_both_engines(tmp_path: Path) -> None:
    """Column names with backticks, backslashes and quotes, and text cells with doubled quotes and
    backslashes: read as written on both engines (Spark's reader escapes with a backslash unless told)."""
    rng = random.Random(1)
    names = ["ID", "Spend `x` \\ 'q'", 'Visits "v" --', "Note"]
    notes = ['He said "hi"', "C:\\path\\", "It's", "a\\\"b"]
    quote = lambda v: '"' + v.replace('"', '""') + '"'  # noqa: E731
    lines = [",".join(quote(n) for n in names)]
    lines += [",".join([str(i), str(rng.randint(1, 500)), str(rng.randint(1, 30)), quote(notes[i % 4])]) for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    columns = {"customer_id": "ID", "spend": names[1], "visits": names[2], "note": "Note"}
    tables = _both({"data": tmp_path / "t.csv", "columns": columns, "features": ["spend", "visits"]})
    local, spark = _frames(tables)
    assert spark[["spend", "visits"]].to_dict() == local[["spend", "visits"]].to_dict()
    assert sorted(set(local["note"])) == sorted(set(spark["note"])) == sorted(notes)


def test_encodings_on_both_engines(tmp_path: Path) -> None:
    """A Windows-1252 log keeps its euro sign on Spark (it reads that encoding only as Latin-1), and a
    UTF-8 table with one stray byte keeps every other accent and counts the byte, as on one machine."""
    lines = ["InvoiceNo;CustomerID;InvoiceDate;Description;Amount"]
    lines += [f"{100 + i};C{i % 12};2024-0{1 + i % 8}-1{i % 9};{'Coffret Mâle€' if i % 2 else 'Café crème'};{3 + i % 5},50" for i in range(60)]
    (tmp_path / "log.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    tables = _both({"data": tmp_path / "log.csv", "period": "2024-12"})
    assert set(tables["spark"].categories) == set(tables["local"].categories) == {"Coffret Mâle€", "Café crème"}
    rows = ["CustomerID,Gender,Annual Income (k$),Spending Score (1-100),City"]
    rows += [f"{i + 1},{'Mâle' if i % 2 else 'Femme'},{20 + (i % 3) * 40},{10 + (i % 3) * 30},{'Orléans' if i % 3 else 'Besançon'}" for i in range(40)]
    data = ("\n".join(rows) + "\n").encode("utf-8").replace("Orléans".encode(), b"Orl\xe9ans", 1)
    (tmp_path / "t.csv").write_bytes(data)
    columns = {"customer_id": "CustomerID", "gender": "Gender", "income": "Annual Income (k$)", "spending": "Spending Score (1-100)", "city": "City"}
    tables = _both({"data": tmp_path / "t.csv", "columns": columns, "features": ["income", "spending"]})
    local, spark = _frames(tables)
    assert spark["city"].tolist() == local["city"].tolist() and set(local["gender"]) == {"Mâle", "Femme"}
    assert tables["spark"].notes == tables["local"].notes and "1 byte(s) that are not" in tables["local"].notes[0]
