"""A file's text encoding decided from its bytes: one stray byte in a UTF-8 file keeps every other
accent intact (and is counted), a Windows-1252 file keeps its euro sign on every reader (pandas,
DuckDB; Spark in test_spark_input.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.settings_file import load_settings
from reportgen.stages import encodings, load, transactions

ROWS = [("Mâle", "Besançon"), ("Femme", "Orléans"), ("Mâle", "Zoë Café")]


@pytest.mark.parametrize(
    ("data", "encoding", "damaged"),
    [
        ("Mâle,Besançon\n".encode() * 50, "utf-8-sig", 0),
        ("Mâle,Besançon\n".encode() * 50 + b"Orl\xe9ans\n", "utf-8-sig", 1),  # one stray Windows-1252 byte
        ("Mâle€,Besançon\n".encode("cp1252") * 50, "cp1252", 0),
        ("Mâle€,Besançon\n".encode("cp1252") * 50 + "Orléans\n".encode(), "cp1252", 0),  # one UTF-8 word in a Windows-1252 file
        ("Mâle,Besançon\n".encode("latin-1") * 50 + b"\x81\n", "latin-1", 0),  # 0x81 is not Windows-1252
        ("plain ascii\n".encode() * 50, "utf-8-sig", 0),
    ],
    ids=["utf8", "utf8-stray-byte", "cp1252", "cp1252-with-utf8-word", "latin1", "ascii"],
)
def test_the_encoding_is_decided_from_the_bytes(data: bytes, encoding: str, damaged: int) -> None:
    found = encodings.decide(data)
    assert (found.encoding, found.damaged) == (encoding, damaged)


def _table(path: Path, stray_at: int | None, n: int = 3000) -> Path:
    lines = ["CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100),City"]
    lines += [f"{i + 1},{ROWS[i % 3][0]},{20 + i % 50},{20 + (i % 3) * 40},{10 + (i % 3) * 30},{ROWS[i % 3][1]}" for i in range(n)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if stray_at is not None:  # one city written by another program in Windows-1252
        row = lines[stray_at + 1].encode("utf-8")
        at = data.index(row)
        data = data[:at] + row.replace("Orléans".encode(), b"Orl\xe9ans") + data[at + len(row):]
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("stray_at", [1, 2800], ids=["in-the-head", "after-64-KiB"])
def test_one_stray_byte_keeps_every_other_accent(stray_at: int, tmp_path: Path) -> None:
    path = _table(tmp_path / "t.csv", stray_at)
    columns = {"customer_id": "CustomerID", "gender": "Gender", "income": "Annual Income (k$)", "spending": "Spending Score (1-100)", "city": "City"}
    table = load.load(load_settings(None, {"data": path, "columns": columns, "features": ["income", "spending"]}))
    assert set(table.frame["gender"]) == {"Mâle", "Femme"}
    assert table.frame["city"].value_counts().to_dict() == {"Besançon": 1000, "Zoë Café": 1000, "Orléans": 999, "Orl\ufffdans": 1}
    assert any(f"t.csv is UTF-8 but for 1 byte(s) that are not (first on line {stray_at + 2})" in n for n in table.notes)


def test_a_windows_1252_order_log_keeps_its_euro_sign(tmp_path: Path) -> None:
    lines = ["InvoiceNo;CustomerID;InvoiceDate;Description;Amount"]
    lines += [f"{100 + i};C{i % 12};2024-0{1 + i % 8}-1{i % 9};{'Coffret Mâle€' if i % 2 else 'Café crème'};{3 + i % 5},50" for i in range(60)]
    (tmp_path / "log.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    table = transactions.load(load_settings(None, {"data": tmp_path / "log.csv", "period": "2024-12"}))
    assert set(table.categories) == {"Coffret Mâle€", "Café crème"}
    assert table.frame["monetary"].sum() == pytest.approx(sum(3 + i % 5 + 0.5 for i in range(60)))


def test_a_utf8_order_log_with_a_stray_byte_is_read_and_counted(tmp_path: Path) -> None:
    lines = ["InvoiceNo,CustomerID,InvoiceDate,Description,Amount"]
    lines += [f"{100 + i},C{i % 12},2024-0{1 + i % 8}-1{i % 9},{'Crème brûlée' if i % 2 else 'Café'},{3 + i % 5}.50" for i in range(60)]
    data = ("\n".join(lines) + "\n").encode("utf-8").replace("Café".encode(), b"Caf\xe9", 1)
    (tmp_path / "log.csv").write_bytes(data)
    table = transactions.load(load_settings(None, {"data": tmp_path / "log.csv", "period": "2024-12"}))
    assert set(table.categories) == {"Crème brûlée", "Café", "Caf\ufffd"}
    assert any("is UTF-8 but for 1 byte(s) that are not (first on line 2)" in n for n in table.notes)
