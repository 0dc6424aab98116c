"""Dates as shops write them: compact (20230105, as pandas and databases write them) and Excel's
serial days (44931), in a customer table's days_since and in an order log's dates, checked against
days counted with the standard library."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import yaml

from reportgen.config import load_settings
from reportgen.engines.sql import EXCEL, java_format
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
