"""Dates as shops write them: compact (20230105, as pandas and databases write them) and Excel's
serial days (44931), in a customer table's days_since and in an order log's dates, checked against
days counted with the standard library."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import yaml

from reportgen.settings_file import load_settings
from reportgen.sql import EXCEL, java_format
from reportgen.errors import ConfigError
from reportgen.init import write
from reportgen.stages import dates, load, transactions

EPOCH = dt.date(1899, 12, 30)  # Excel's day 0


def _serial(day: dt.date, hour: int = 0) -> str:
    return f"{(day - EPOCH).days + hour / 24:.6f}".rstrip("0").rstrip(".")


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["20230105", "19991231", "20240229"], "%Y%m%d"),
        (["20230105 13:45", "20230106 08:00"], "%Y%m%d %H:%M"),
        (["20230105T13:45:10", "20230106T08:00:00"], "%Y%m%dT%H:%M:%S"),
        (["44931", "45000.5", "36526"], EXCEL),
        (["2023-01-05", "2023-02-01"], "%Y-%m-%d"),
    ],
)
def test_the_format_is_told_from_the_values(values: list[str], fmt: str) -> None:
    assert dates.date_format(values, "here") == fmt


def test_small_numbers_are_not_dates() -> None:
    with pytest.raises(ConfigError, match="the dates cannot be read") as err:
        dates.date_format(["12", "99", "0"], "feature 'tenure'")
    assert "'%Y%m%d' for 20230105, excel for Excel's serial days" in err.value.hint


def test_compact_formats_pad_their_fields_on_spark() -> None:
    assert java_format("%Y%m%d") == "yyyyMMdd" and java_format("%Y%m%d %H:%M") == "yyyyMMdd H:mm"
    assert java_format("%d/%m/%Y") == "d/M/yyyy"  # separated fields stay unpadded: '5/1/2023' reads


def _customers(path: Path, seed: int = 4) -> tuple[dict[str, int], dict[str, int]]:
    """A customer table with a compact and an Excel-serial date; the days to 2024-12-31 of each."""
    rng = random.Random(seed)
    end = dt.date(2024, 12, 31)
    joined, seen = {}, {}
    lines = ["member_no,joined,last_visit_date,spend,visits"]
    for i in range(1, 61):
        a = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 1500))
        b = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
        lines.append(f"M{i},{a:%Y%m%d},{_serial(b, rng.randint(0, 23))},{rng.uniform(10, 900):.2f},{rng.randint(1, 30)}")
        joined[f"M{i}"], seen[f"M{i}"] = (end - a).days, (end - b).days
    path.write_text("\n".join(lines) + "\n")
    return joined, seen


def test_days_since_compact_and_serial_dates(tmp_path: Path) -> None:
    joined, seen = _customers(tmp_path / "crm.csv")
    columns = {"customer_id": "member_no", "joined": {"days_since": "joined"}, "seen": {"days_since": "last_visit_date"}, "spend": "spend"}
    table = load.load(load_settings(None, {"data": tmp_path / "crm.csv", "period": "2024-12", "columns": columns, "features": ["joined", "seen", "spend"]}))
    frame = table.frame.set_index("customer_id")
    assert frame["joined"].to_dict() == joined and frame["seen"].to_dict() == seen
    assert not table.issues


def test_init_drafts_compact_and_serial_dates_that_run(tmp_path: Path) -> None:
    joined, seen = _customers(tmp_path / "crm.csv")
    out = write(tmp_path / "crm.csv", tmp_path / "reportgen.yaml")
    columns = yaml.safe_load(out.read_text())["columns"]
    assert columns["joined"] == {"days_since": "joined"} and columns["last_visit_date"] == {"days_since": "last_visit_date"}
    table = load.load(load_settings(out, {"period": "2024-12"}))
    frame = table.frame.set_index("customer_id")
    assert frame["joined"].to_dict() == joined and frame["last_visit_date"].to_dict() == seen


def _log(path: Path, written: str, seed: int = 9) -> tuple[dict[str, int], str]:
    """An order log with dates written `compact` or `serial`; each customer's recency and the as-of day."""
    rng = random.Random(seed)
    lines = ["customer_id,date,number_of_cds,dollar_value"]
    last: dict[str, dt.date] = {}
    for _ in range(300):
        c = f"{rng.randint(1, 40)}"
        day = dt.date(1997, 1, 1) + dt.timedelta(days=rng.randint(0, 540))
        text = f"{day:%Y%m%d}" if written == "compact" else _serial(day)
        lines.append(f"{c},{text},{rng.randint(1, 4)},{rng.uniform(5, 80):.2f}")
        last[c] = max(last.get(c, day), day)
    path.write_text("\n".join(lines) + "\n")
    as_of = max(last.values()) + dt.timedelta(days=1)
    return {c: (as_of - d).days for c, d in last.items()}, as_of.isoformat()


@pytest.mark.parametrize("written", ["compact", "serial"])
def test_order_log_dates_compact_and_serial(written: str, tmp_path: Path) -> None:
    """The CDNOW layout (customer_id, date, number_of_cds, dollar_value) runs with no settings."""
    path = tmp_path / f"{written}.csv"
    recency, as_of = _log(path, written)
    settings = load_settings(None, {"data": path, "period": "1998-12"})
    assert load.kind(settings) == "transactions"
    table = transactions.load(settings)
    assert table.frame.set_index("customer_id")["recency_days"].to_dict() == recency
    assert table.facts["as_of"] == as_of and table.facts["date_format"] == ("%Y%m%d" if written == "compact" else EXCEL)
    assert "dollar_value" in table.columns["monetary"] and not table.issues


def test_dates_after_the_period_are_a_data_quality_issue_not_negative_days(tmp_path: Path) -> None:
    """A signup after the period's end has no 'days since': counted, dropped when clustered, never negative."""
    end = dt.date(2026, 11, 30)
    rows = ["ID,Joined,Income"]
    days = {}
    for i in range(40):
        joined = end - dt.timedelta(days=400 - 25 * i)  # the last 23 or so are after the period
        rows.append(f"C{i},{joined.isoformat()},{20 + i}")
        days[f"C{i}"] = (end - joined).days
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    columns = {"customer_id": "ID", "member_days": {"days_since": "Joined"}, "income": "Income"}
    after = sum(d < 0 for d in days.values())
    table = load.load(load_settings(None, {"data": tmp_path / "t.csv", "period": "2026-11", "columns": columns, "features": ["income", "member_days"],
                                           "quality": {"max_dropped_share": 0.9}}))
    frame = table.frame.set_index("customer_id")
    assert (frame["member_days"] >= 0).all() and frame["member_days"].to_dict() == {c: d for c, d in days.items() if d >= 0}
    issue = next(i for i in table.issues if i.reason == "date after the period's last day 2026-11-30")
    assert issue.rows == after > 0 and issue.dropped and issue.column == "member_days (days since Joined)"
    # profiled only (not clustered): the customer stays, the value is missing
    table = load.load(load_settings(None, {"data": tmp_path / "t.csv", "period": "2026-11", "columns": columns, "features": ["income"]}))
    assert len(table.frame) == 40 and table.frame["member_days"].isna().sum() == after
    assert not next(i for i in table.issues if i.reason.startswith("date after")).dropped


@pytest.mark.parametrize(("written", "fmt"), [("%d/%m/%y", None), ("%m-%d-%y", "%m-%d-%y")])
def test_two_digit_years_never_land_after_the_period(written: str, fmt: str | None, tmp_path: Path) -> None:
    """'03/07/58' is a birth in 1958, not 2058 (-11,385 days); '10' stays 2010."""
    rng = random.Random(2)
    end = dt.date(2026, 11, 30)
    rows, days = ["ID,Born,Income"], {}
    for i in range(40):
        born = dt.date(rng.choice([1948, 1958, 1969, 1975, 1999, 2003, 2010]), rng.randint(1, 12), rng.randint(13, 28))
        rows.append(f"C{i},{born.strftime(written)},{20 + i}")
        days[f"C{i}"] = (end - born).days
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    born_spec = {"days_since": "Born", **({"date_format": fmt} if fmt else {})}
    columns = {"customer_id": "ID", "born_days": born_spec, "income": "Income"}
    table = load.load(load_settings(None, {"data": tmp_path / "t.csv", "period": "2026-11", "columns": columns, "features": ["income", "born_days"]}))
    assert table.frame.set_index("customer_id")["born_days"].to_dict() == days
    last_century = sum(int(b.split(",")[1][-2:]) > 26 for b in rows[1:])
    assert any(f"Column 'Born': {last_century} dates with a two-digit year read as 1900-1999: a two-digit year is the latest one not after 2026-11-30" in n
               for n in table.notes)
    assert not table.issues
