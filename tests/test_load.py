from pathlib import Path

import pandas as pd
import pytest

from reportgen.errors import ConfigError, DataError
from reportgen.stages.load import load

from .conftest import MALL, MARKETING, mall_rows, settings


def test_mall_schema_is_recognised_without_config() -> None:
    table = load(settings(data=MALL))
    assert table.n_read == 200 and len(table.frame) == 200 and table.n_dropped == 0
    assert table.columns == {
        "age": "Age",
        "income": "Annual Income (k$)",
        "spending": "Spending Score (1-100)",
        "customer_id": "CustomerID",
        "gender": "Genre",
    }
    assert table.frame["customer_id"].iloc[0] == "0001"  # ids stay text
    assert len(table.checksum) == 64


@pytest.mark.parametrize(
    ("encoding", "bom", "sep", "newline"),
    [
        ("utf-8", b"", ",", "\n"),
        ("utf-8", b"\xef\xbb\xbf", ";", "\r\n"),
        ("cp1252", b"", "\t", "\r\n"),
        ("latin-1", b"", ";", "\r"),
        ("utf-16", b"", ",", "\n"),
    ],
)
def test_encodings_delimiters_line_endings(write_csv, encoding: str, bom: bytes, sep: str, newline: str) -> None:
    text = mall_rows(30).replace(",", sep).replace("\n", newline).replace("Female", "Fémale")
    path = write_csv(bom + text.encode(encoding))
    table = load(settings(data=path))
    assert len(table.frame) == 30
    assert "Fémale" in set(table.frame["gender"])


def test_decimal_comma_with_semicolons(write_csv) -> None:
    text = mall_rows(12).replace(",", ";").replace(";20;", ";20,5;")
    table = load(settings(data=write_csv(text)))
    assert len(table.frame) == 12
    assert 20.5 in set(table.frame["income"]) or 20.5 in set(table.frame["age"])


def test_parquet(tmp_path: Path) -> None:
    frame = pd.read_csv(MALL, dtype={"CustomerID": str})
    path = tmp_path / "mall.parquet"
    frame.to_parquet(path)
    table = load(settings(data=path))
    assert len(table.frame) == 200 and table.frame["customer_id"].iloc[0] == "0001"


def test_bad_rows_are_dropped_and_counted(write_csv) -> None:
    text = mall_rows(30)
    lines = text.splitlines()
    lines[3] = "0003,Male,30,,40"  # missing income
    lines[5] = "0005,Male,30,abc,40"  # not a number
    lines[7] = "0007,Male,250,50,40"  # absurd age: value ignored, row kept (age is not a feature)
    lines[9] = "0009,Male,30,-5,40"  # negative income
    lines[11] = "0002,Male,30,50,40"  # duplicate id
    table = load(settings(data=write_csv("\n".join(lines) + "\n")))
    reasons = {(i.column, i.reason): (i.rows, i.examples, i.dropped) for i in table.issues}
    assert reasons[("Annual Income (k$)", "missing value")] == (1, (4,), True)
    assert reasons[("Annual Income (k$)", "not a number")] == (1, (6,), True)
    assert reasons[("Annual Income (k$)", "below the valid minimum 0")] == (1, (10,), True)
    assert reasons[("Age", "above the valid maximum 120")] == (1, (8,), False)
    assert reasons[("CustomerID", "duplicate customer id (first kept)")] == (1, (12,), True)
    assert table.n_dropped == 4 and len(table.frame) == 26


@pytest.mark.parametrize("order", ["increasing", "shuffled"])
def test_repeated_ids_are_dropped_after_their_first_line(write_csv, order: str) -> None:
    """Repeated ids are found beside the derivation query: by comparing neighbours when the ids
    increase (an export sorted by id), else by a hash aggregate; both must give the window's answer."""
    header, *rows = mall_rows(40).splitlines()
    if order == "shuffled":
        rows = rows[::-1]
    body = [header, *rows]
    if order == "shuffled":
        body[5] = body[2].replace(body[2].split(",")[0], " " + body[2].split(",")[0], 1)  # the same id once trimmed
        body[9] = "," + body[9].split(",", 1)[1]  # a missing id: counted as missing, not as repeated
        body[12] = body[20]
        body[30] = body[20]
    table = load(settings(data=write_csv("\n".join(body) + "\n")))
    reasons = {(i.column, i.reason): (i.rows, i.examples) for i in table.issues}
    if order == "increasing":
        assert not reasons and len(table.frame) == 40
    else:
        assert reasons[("CustomerID", "duplicate customer id (first kept)")] == (3, (6, 21, 31))
        assert reasons[("CustomerID", "missing customer id")] == (1, (10,))
        assert len(table.frame) == 36 and table.frame["customer_id"].is_unique


def test_too_many_bad_rows_stop_the_run(write_csv) -> None:
    lines = mall_rows(20).splitlines()
    bad = [lines[0]] + [l.rsplit(",", 1)[0] + ",x" for l in lines[1:15]] + lines[15:]
    with pytest.raises(DataError, match=r"14 of 20 rows are unusable .*'not a number'.*line 2"):
        load(settings(data=write_csv("\n".join(bad) + "\n")))


def test_missing_role_suggests_closest_column(write_csv) -> None:
    text = mall_rows(12).replace("Annual Income (k$)", "Yearly Pay")
    with pytest.raises(DataError) as err:
        load(settings(data=write_csv(text)))
    message = str(err.value)
    assert "no column for 'income'" in message and "Yearly Pay" in message and "columns:" in message


def test_config_column_near_miss(write_csv) -> None:
    with pytest.raises(ConfigError, match=r"Did you mean 'Annual Income \(k\$\)'"):
        load(settings(data=write_csv(mall_rows(12)), columns={"income": "Annual Income"}))


def test_any_table_via_config() -> None:
    s = settings(
        data=MARKETING,
        columns={
            "customer_id": "ID",
            "income": "Income",
            "age": {"birth_year": "Year_Birth"},
            "spending": {"sum": ["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]},
        },
        valid={"income": [0, 200000], "age": [16, 100]},
        period="2026-11",
    )
    table = load(s)
    assert table.n_read == 2240
    missing_income = next(i for i in table.issues if i.column == "Income" and i.reason == "missing value")
    assert missing_income.rows == 24
    assert any(i.reason == "above the valid maximum 200000" and i.rows == 1 for i in table.issues)
    assert len(table.frame) == 2240 - 25
    assert table.frame["age"].max() <= 100


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n", "header but no customers"),
        ("1,Male,19,15,39\n2,Male,21,15,81\n", "holds numbers, not column names"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n", "Git LFS pointer"),
    ],
)
def test_unusable_files(write_csv, content: str | bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load(settings(data=write_csv(content)))


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load(settings(data=tmp_path / "nope.csv"))
    with pytest.raises(DataError, match="is a folder"):
        load(settings(data=tmp_path))


def test_too_few_rows(write_csv) -> None:
    with pytest.raises(DataError, match="only 6 usable customers; at least 10"):
        load(settings(data=write_csv(mall_rows(6))))


def test_huge_field_is_a_bad_value_not_a_crash(write_csv) -> None:
    lines = mall_rows(20).splitlines()
    lines[5] = "0005,Male,30," + "9" * 100 + "x" * 3_000_000 + ",40"  # a 3 MB cell
    table = load(settings(data=write_csv("\n".join(lines) + "\n")))
    assert len(table.frame) == 19
    assert [(i.reason, i.examples) for i in table.issues] == [("not a number", (6,))]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"], ids=["fast-reader", "text-reader"])
def test_non_finite_numbers_are_dropped_and_counted(write_csv, encoding: str) -> None:
    """inf, -inf, Infinity and an overflowing 1e999 are not numbers a segment can be built on."""
    lines = mall_rows(30).splitlines()
    lines[3] = "0003,Male,30,inf,50"
    lines[5] = "0005,Male,30,1e999,50"
    lines[7] = "0007,Male,30,-inf,50"
    lines[9] = "0009,Male,30,40,Infinity"
    text = "\n".join(lines).replace("Female", "Fémale") + "\n"
    table = load(settings(data=write_csv(text.encode(encoding))))
    assert len(table.frame) == 26 and table.n_dropped == 4
    assert all(pd.Series(table.frame[f]).map(float).map(lambda v: v == v and abs(v) != float("inf")).all() for f in ("income", "spending"))
    found = {(i.column, tuple(i.examples)) for i in table.issues}
    assert ("Annual Income (k$)", (4, 6, 8)) in found and ("Spending Score (1-100)", (10,)) in found


def test_non_finite_ratio_is_dropped(write_csv) -> None:
    """A ratio whose parts overflow (1e308 / 1e-308) is inf in SQL; it is dropped, not clustered."""
    from reportgen.settings_file import load_settings

    rows = ["id,orders,spent"] + [f"{i},{1 + i % 5},{100 + 7 * i}" for i in range(30)] + ["99,1e-308,1e308"]
    path = write_csv("\n".join(rows) + "\n")
    config = path.parent / "reportgen.yaml"
    config.write_text(
        f"data: {path}\ncolumns:\n  customer_id: id\n  orders: orders\n  spent: spent\n"
        "  per_order: {ratio: [spent, orders]}\nfeatures: [orders, per_order]\n"
    )
    table = load(load_settings(config, {}))
    assert len(table.frame) == 30 and "99" not in set(table.frame["customer_id"])
    assert table.frame["per_order"].map(lambda v: abs(v) != float("inf")).all()


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"], ids=["fast-reader", "text-reader"])
def test_example_lines_are_the_files_own_after_blank_lines_and_quoted_breaks(write_csv, encoding: str) -> None:
    head = "CustomerID,Name,Annual Income (k$),Spending Score (1-100)\n"
    rows = [f"{i:04d},N{i},{20 + i},{10 + i}" for i in range(1, 21)]
    rows[2] = '0003,"Anna\nMaria",23,13'  # lines 4-5
    rows[5] = "0006,Ben,lots,16"  # a bad value; after the quoted break and a blank line
    text = head + "\n".join(rows[:4]) + "\n\n" + "\n".join(rows[4:]) + "\n"
    lines = text.replace("Maria", "Mária").encode(encoding).split(b"\n")
    bad = next(i for i, line in enumerate(lines, start=1) if b"lots" in line)
    table = load(settings(data=write_csv(text.replace("Maria", "Mária").encode(encoding))))
    (issue,) = [i for i in table.issues if i.reason == "not a number"]
    assert issue.examples == (bad,) == (9,)


def test_ragged_row_after_a_quoted_line_break_is_named_by_its_file_line(write_csv) -> None:
    text = mall_rows(20).replace("\n0003,", '\n"00\n03",', 1)  # line 4-5 hold one record
    lines = text.splitlines()
    lines[12] += ",extra"  # file line 13
    path = write_csv(("\n".join(lines) + "\n").encode("cp1252"))
    with pytest.raises(DataError) as err:
        load(settings(data=path))
    assert "line 13: the row has 6 fields, the header has 5" in err.value.message


def test_one_rule_for_day_or_month_first() -> None:
    from reportgen.stages.dates import date_format, day_order

    assert [day_order(31, 12), day_order(12, 31), day_order(31, 31), day_order(12, 12)] == ["day", "month", "mixed", "unknown"]
    assert date_format(["13/01/2024", "02/03/2024"], "x") == "%d/%m/%Y"
    assert date_format(["01/13/24 10:30", "03/02/24 09:00"], "x") == "%m/%d/%y %H:%M"
    assert date_format(["2024-01-13"], "x") == "%Y-%m-%d"
