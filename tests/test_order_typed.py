"""The order log's typed fast path (stages/order_typed.py): when it serves, its customers, counts,
facts and issues are the text path's exactly; when a cell does not fit what the first lines promised,
the log is read as text and the answer is the text path's; what the text path decides from every
line (day or month first) it decides from every line too."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from reportgen.errors import DataError
from reportgen.sample import generate_transactions, write_transactions
from reportgen.settings_file import load_settings
from reportgen.stages import order_typed
from reportgen.stages import transactions as tx
from reportgen.stages.transactions import CustomerTable

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]


def _load(path: Path, monkeypatch: pytest.MonkeyPatch, typed: bool, period: str = "2011-12") -> tuple[CustomerTable, list[bool]]:
    """The log loaded with the fast path allowed (typed) or not, and whether the fast path served."""
    served: list[bool] = []
    real = tx._typed

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        served.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(tx, "_typed", spy)
        if not typed:
            m.setattr(order_typed, "eligible", lambda *a: False)
        tx._REPEATS.clear()
        return tx.load(load_settings(None, {"data": path, "period": period})), served


def _same(fast: CustomerTable, text: CustomerTable) -> None:
    """Every id, count, day and sum to the last bit, and every fact, issue, note and product the report
    states (the per-customer sums are added on one thread, in the lines' file order, on both paths)."""
    pd.testing.assert_frame_equal(fast.frame, text.frame, check_exact=True)
    assert fast.facts == text.facts
    assert fast.issues == text.issues
    assert fast.notes == text.notes
    assert fast.categories == text.categories
    assert fast.n_read == text.n_read


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 lines as `reportgen sample --kind transactions --rows 3000 --seed 7` writes them
    (month-first two-digit-year dates, ids like '17850.0', cancellations, blank ids, zero prices)."""
    return write_transactions(generate_transactions(3000, 7), tmp_path_factory.mktemp("typed") / "orders.csv")


def test_a_generated_log_is_read_once_and_gives_the_text_paths_numbers(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, served = _load(generated, monkeypatch, typed=True)
    text, _ = _load(generated, monkeypatch, typed=False)
    assert served == [True]
    _same(fast, text)
    assert fast.facts["date_format"] == "%m/%d/%y %H:%M"
    assert len(fast.frame) > 20 and fast.frame["monetary"].gt(0).all()


def test_messy_ids_and_items_are_cleaned_as_the_text_path_cleans_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids and products are still text cleaned line by line: spaces, null words, '00123' kept as
    written, '123.0' = '123', e-mail ids without case; only dates and values are typed."""
    rows = [HEADER]
    ids = ["00123", " 00123 ", "123.0", "123", "NA", "n/a", "", " Anna@Shop.example", "anna@shop.example ", "AB12", "ab12"]
    for i in range(220):
        cid = ids[i % len(ids)] if i % 7 else f"{5000 + i % 40}.0"
        item = ["MUG", " MUG ", "null", "", "Tea Set"][i % 5]
        rows.append([f"{600000 + i // 3}", "S1", item, str(1 + i % 4), f"{1 + i % 12}/{1 + i % 28}/2011 {8 + i % 9}:{i % 60:02d}", f"{1 + (i % 9) * 0.35:.2f}", cid, "UK"])
    path = _write(tmp_path / "ids.csv", rows)
    fast, served = _load(path, monkeypatch, typed=True)
    text, _ = _load(path, monkeypatch, typed=False)
    assert served == [True]
    _same(fast, text)
    assert {"00123", "123", "anna@shop.example", "AB12", "ab12"} <= set(fast.frame["customer_id"])


@pytest.mark.parametrize(
    "where, cell, column",
    [
        ("late", "2011-12-05 10:00", "InvoiceDate"),  # a year-first date among month-first ones: the text path counts it unreadable
        ("late", "N/A", "UnitPrice"),  # a null word in a value column
        ("late", "£3.50", "UnitPrice"),  # a currency sign: the text path reads it with signs
        ("late", "12/13/11 8:00:30", "InvoiceDate"),  # seconds where the others have none
        ("early", "abc", "Quantity"),
    ],
)
def test_a_cell_that_breaks_the_typed_read_falls_back_to_the_text_path(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, cell: str, column: str
) -> None:
    rows = _rows(generated)
    line = len(rows) - 5 if where == "late" else 2
    rows[line][HEADER.index(column)] = cell
    path = _write(tmp_path / "broken.csv", rows)
    monkeypatch.setattr(order_typed, "HEAD", 500)  # the broken line is after the lines the guess is made from
    fast, served = _load(path, monkeypatch, typed=True)
    text, _ = _load(path, monkeypatch, typed=False)
    assert served == [False]
    _same(fast, text)


def _dated(path: Path, dates: list[str]) -> Path:
    rows = [HEADER]
    for i, day in enumerate(dates):
        rows.append([f"{700000 + i // 2}", "S1", "MUG", "2", f"{day} 9:30", "3.25", f"{100 + i % 25}", "UK"])
    return _write(path, rows)


def test_a_typed_log_with_no_day_above_12_still_stops_and_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every date reads month first and day first alike: the run stops (exit 2) as the text path does,
    from the fast path itself (the typed read of the whole file succeeded)."""
    dates = [f"{1 + i % 12}/{1 + (i * 5) % 12}/2011" for i in range(400)]
    path = _dated(tmp_path / "ambiguous.csv", dates)
    calls: list[str] = []
    real = order_typed.settled
    monkeypatch.setattr(order_typed, "settled", lambda *a: calls.append("settled") or real(*a))
    with pytest.raises(DataError, match="cannot tell whether the dates in 'InvoiceDate' are day/month or month/day"):
        _load(path, monkeypatch, typed=True)
    assert calls == ["settled"]
    with pytest.raises(DataError, match="cannot tell whether"):
        _load(path, monkeypatch, typed=False)


@pytest.mark.parametrize("late_day_first", [False, True])
def test_a_head_with_no_day_above_12_is_settled_by_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late_day_first: bool) -> None:
    """The first lines cannot tell; a later '12/25/2011' proves month first (the fast path serves), a
    later '25/12/2011' proves day first (the month-first read fails, the text path reads the file)."""
    dates = [f"{1 + i % 12}/{1 + (i * 5) % 12}/2011" for i in range(400)] + ["25/12/2011" if late_day_first else "12/25/2011"] * 4
    path = _dated(tmp_path / "late.csv", dates)
    monkeypatch.setattr(order_typed, "HEAD", 100)
    fast, served = _load(path, monkeypatch, typed=True)
    text, _ = _load(path, monkeypatch, typed=False)
    assert served == [not late_day_first]
    _same(fast, text)
    assert fast.facts["date_format"].startswith("%d/%m/%Y" if late_day_first else "%m/%d/%Y")


def test_a_semicolon_file_whose_values_may_be_thousands_is_read_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ';' export writing '1.250' means one thousand two hundred and fifty (no cell proves a decimal
    point): a DOUBLE read would take it for 1.25, so the typed read is not tried."""
    lines = ["InvoiceNo;CustomerID;InvoiceDate;Amount"] + [f"{800 + i};{12000 + i % 12};2011-0{1 + i % 9}-1{i % 10};1.250" for i in range(60)]
    path = tmp_path / "semicolon.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table, served = _load(path, monkeypatch, typed=True)
    assert served == []
    assert table.frame["monetary"].sum() == 60 * 1250.0


@pytest.mark.slow  # 60 loads
@pytest.mark.parametrize("typed", [True, False], ids=["typed", "text"])
def test_the_same_log_gives_the_same_sums_to_the_last_bit_every_time(generated: Path, monkeypatch: pytest.MonkeyPatch, typed: bool) -> None:
    """Deterministic: a customer's money is summed in one order however DuckDB's threads finish
    (before: 2 distinct `monetary` vectors in 30 loads of this log)."""
    seen = {_load(generated, monkeypatch, typed=typed)[0].frame["monetary"].to_numpy().tobytes() for _ in range(30)}
    assert len(seen) == 1
    fast, text = _load(generated, monkeypatch, typed=True)[0], _load(generated, monkeypatch, typed=False)[0]
    pd.testing.assert_frame_equal(fast.frame, text.frame, check_exact=True)
