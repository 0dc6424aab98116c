"""One column, one number convention: decided from all its values (or the delimiter), every cell
read the same way, and a column that proves both conventions refused. Checked on customer tables
and order logs, with ';', ',' and tab files, against the values written by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.settings_file import load_settings
from reportgen.errors import DataError
from reportgen.stages import load, numbers, transactions

MALL = ["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"]

SHAPES = {
    "3.75": 1, "0.500": 1, "1234.567": 1, "1,234.50": 1, "1,234,567": 1, ".5": 1, "$1,234.50": 1, "-3.75": 1,
    "3,75": 2, "0,500": 2, "1.234,50": 2, "1.234.567": 2, "12,3456": 2, "1 234,50 €": 2, "(3,75)": 2,
    "18.611": 3, "999.000": 3, "3,750": 4, "76,524": 4,
    "42": 0, "Female": 0, "": 0, "a.b": 0, "1.2.3": 0, "+44 7700 900123": 0,
}


def test_shapes_are_the_same_in_python_and_in_sql() -> None:
    con = duckdb.connect()
    for text, code in SHAPES.items():
        assert numbers.shape(text) == code, text
        (got,) = con.execute(f"SELECT {numbers.shape_sql('v')} FROM (SELECT ?::VARCHAR AS v)", [text]).fetchone()
        assert got == code, text


def _mall(path: Path, sep: str, incomes: list[str]) -> Path:
    lines = [sep.join(MALL)]
    for i, income in enumerate(incomes):
        lines.append(sep.join([str(i + 1), "Male" if i % 2 else "Female", str(20 + i), income, str(10 + 2 * i % 90)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _incomes(path: Path, **overrides: Any) -> list[float]:
    table = load.load(load_settings(None, {"data": path, **overrides}))
    return table.frame.sort_values("customer_id", key=lambda s: s.astype(int))["income"].tolist()


THOUSANDS = [f"{18 + i}.{611 + i:03d}" for i in range(30)]  # '18.611': thousands in a ';' file


@pytest.mark.parametrize(
    ("sep", "cells", "expected"),
    [
        # ';' file: '18.611' is 18611 with or without a cell that proves the decimal comma
        (";", THOUSANDS, [18611.0 + 1001 * i for i in range(30)]),
        (";", THOUSANDS[:-1] + ["5.525,50"], [18611.0 + 1001 * i for i in range(29)] + [5525.5]),
        # ';' file whose cells prove a decimal point: '18.611' is 18.611, and '3,750' three thousand
        (";", [f"{i}.5" for i in range(29)] + ["3,750"], [i + 0.5 for i in range(29)] + [3750.0]),
        # ',' file: a quoted '3,75' proves the decimal comma for the whole column
        (",", [f"\"{i},5\"" for i in range(29)] + ["1.250"], [i + 0.5 for i in range(29)] + [1250.0]),
        (",", [f"{i}.5" for i in range(29)] + ["\"1,250\""], [i + 0.5 for i in range(29)] + [1250.0]),
        # tab file: '76,524' means what it means in a tab-separated order log (below): 76524
        ("\t", [f"{70 + i},{524 + i:03d}" for i in range(30)], [70524.0 + 1001 * i for i in range(30)]),
        ("\t", [f"{70 + i},{524 + i:03d}" for i in range(29)] + ["1.5"], [70524.0 + 1001 * i for i in range(29)] + [1.5]),
        # grouped thousands with decimals, both conventions
        (";", [f"1.{200 + i:03d},5" for i in range(30)], [1200.5 + i for i in range(30)]),
        (",", [f"\"1,{200 + i:03d}.5\"" for i in range(30)], [1200.5 + i for i in range(30)]),
    ],
    ids=["semi-thousands", "semi-thousands-proved", "semi-point-proved", "comma-file-comma-proved", "comma-file-point", "tab-ambiguous",
         "tab-point-proved", "semi-grouped", "comma-grouped"],
)
def test_every_cell_of_a_column_is_read_one_way(sep: str, cells: list[str], expected: list[float], tmp_path: Path) -> None:
    path = _mall(tmp_path / "customers.csv", sep, cells)
    assert _incomes(path) == pytest.approx(expected, rel=1e-12)


def test_a_column_that_proves_both_conventions_is_refused(tmp_path: Path) -> None:
    path = _mall(tmp_path / "mixed.csv", ";", [f"{i}.5" if i % 2 else f"{i},5" for i in range(29)] + ["1.250"])
    with pytest.raises(DataError) as err:
        _incomes(path)
    assert "column 'Annual Income (k$)' writes numbers two ways: '1.5' with a decimal point and '0,5' with a decimal comma" in err.value.message
    assert "'1.250' could be read either way" in err.value.message and "decimal: point" in err.value.hint
    # the setting settles it: cells of the other convention are not numbers (counted, dropped)
    table = load.load(load_settings(None, {"data": path, "decimal": "point", "quality": {"max_dropped_share": 0.9}}))
    assert table.frame["income"].tolist() == pytest.approx([i + 0.5 for i in range(1, 29, 2)] + [1.25])
    assert any(i.reason == "not a number" and i.rows == 15 for i in table.issues)


def _log(path: Path, sep: str, amounts: list[str]) -> Path:
    lines = [sep.join(["InvoiceNo", "CustomerID", "InvoiceDate", "Amount"])]
    for i, amount in enumerate(amounts):
        lines.append(sep.join([str(100 + i), f"C{i % 12:02d}", f"2024-{1 + i % 8:02d}-{10 + i % 9}", amount]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _monetary(path: Path) -> float:
    return float(transactions.load(load_settings(None, {"data": path, "period": "2024-12"})).frame["monetary"].sum())


@pytest.mark.parametrize(
    ("sep", "cells", "total"),
    [
        (";", ["3.75"] * 35 + ["3,750"], 35 * 3.75 + 3750),  # the decimal point proved: '3,750' is 3750
        (";", ["3,750"] * 36, 36 * 3.75),  # nothing proved, a ';' file: 3.75
        (";", ["3,750"] * 35 + ["1,5"], 35 * 3.75 + 1.5),
        ("\t", [f"{70 + i},{524 + i:03d}" for i in range(36)], sum(70524.0 + 1001 * i for i in range(36))),  # as the tab customer table
        (",", ["\"3,750\""] * 35 + ["2.5"], 35 * 3750 + 2.5),
    ],
    ids=["semi-point-proved", "semi-ambiguous", "semi-comma-proved", "tab-ambiguous", "comma-point-proved"],
)
def test_order_log_values_are_read_one_way(sep: str, cells: list[str], total: float, tmp_path: Path) -> None:
    assert _monetary(_log(tmp_path / "log.csv", sep, cells)) == pytest.approx(total, rel=1e-12)


def test_an_order_log_that_proves_both_is_refused_by_the_cli(tmp_path: Path) -> None:
    path = _log(tmp_path / "log.csv", ";", ["3.75" if i % 2 else "3,75" for i in range(36)])
    result = CliRunner().invoke(cli, ["run", "--data", str(path), "--period", "2024-12", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "column 'Amount' writes numbers two ways" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out" / "2024-12").exists()


@pytest.mark.parametrize(
    ("sep", "cells", "expected"),
    [
        (",", ["(100.00)", "100.00-", "\u2212100.00", "\"($1,234.50)\"", "250.00"] * 6, [-100.0, -100.0, -100.0, -1234.5, 250.0] * 6),
        (";", ["(100,00)", "100,00-", "\u2212100,00", "1.234,50 €-", "250,00"] * 6, [-100.0, -100.0, -100.0, -1234.5, 250.0] * 6),
    ],
    ids=["point", "comma"],
)
def test_accounting_negatives_are_read(sep: str, cells: list[str], expected: list[float], tmp_path: Path) -> None:
    """'(100.00)', '100.00-' and '−100.00' (U+2212) are -100, as accountants and word processors write them."""
    lines = [sep.join(["CustomerID", "Age", "Annual Income (k$)", "Spending Score (1-100)", "Balance"])]
    lines += [sep.join([str(i + 1), str(20 + i), str(30 + i % 7 * 9), str(10 + i), cell]) for i, cell in enumerate(cells)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    columns = {"customer_id": "CustomerID", "income": "Annual Income (k$)", "spending": "Spending Score (1-100)", "balance": "Balance"}
    table = load.load(load_settings(None, {"data": tmp_path / "t.csv", "columns": columns, "features": ["income", "spending"]}))
    assert table.frame.sort_values("customer_id", key=lambda s: s.astype(int))["balance"].tolist() == expected
    assert not table.issues


def test_an_accounting_negative_in_an_order_log_is_a_return(tmp_path: Path) -> None:
    amounts = ["25.00"] * 30 + ["(25.00)", "25.00-", "\u221225.00"]
    path = _log(tmp_path / "log.csv", ",", amounts)
    table = transactions.load(load_settings(None, {"data": path, "period": "2024-12"}))
    returned = next(i for i in table.issues if i.reason.startswith("amount zero or negative"))
    assert returned.rows == 3 and table.frame["monetary"].sum() == pytest.approx(30 * 25.0)
    assert table.frame["return_rate"].sum() > 0
