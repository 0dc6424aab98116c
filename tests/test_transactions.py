"""Order logs in: recognition, reading real exports, cleaning, RFM features, Spark parity, the rfm pack.

The reference numbers are computed independently with pandas from the definitions in
reportgen/stages/transactions.py, on the real Online Retail sample and re-exports of the same lines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from reportgen.cli import cli
from reportgen.config import Settings, Transactions
from reportgen.settings_file import load_settings
from reportgen.bundled import bundled_path
from reportgen.vocabulary import TRANSACTION_FEATURES
from reportgen.errors import DataError
from reportgen.rules import load_campaigns, load_segments
from reportgen.stages import transactions as tx

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT.parent / "shared" / "data" / "online_retail_sample.csv"
CASES = Path(__file__).parent / "cases" / "transactions"
RETAIL_HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]

pytestmark = pytest.mark.skipif(not RETAIL.is_file(), reason="the shared Online Retail sample is not here")


def settings(**overrides: Any) -> Settings:
    return load_settings(None, overrides)


def raw_retail() -> pd.DataFrame:
    return pd.read_csv(RETAIL, dtype=str, keep_default_na=False)


def expected(raw: pd.DataFrame, period_end: str) -> tuple[pd.DataFrame, dt.date]:
    """recency_days, frequency, monetary, tenure_days, return_rate per customer, and the as-of day,
    from the definitions, with pandas only (ISO dates as in the shared file)."""
    cid = raw["CustomerID"].str.strip().str.replace(r"\.0+$", "", regex=True)
    cid = cid.where(~cid.str.upper().isin(["", "NA"]))
    ts = pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    q = pd.to_numeric(raw["Quantity"])
    p = pd.to_numeric(raw["UnitPrice"])
    end = pd.Timestamp(period_end)
    kept = cid.notna() & (ts.dt.normalize() <= end)
    cancel = raw["InvoiceNo"].str.upper().str.startswith("C")
    buy = kept & ~cancel & (q > 0) & (p > 0)
    back = kept & (cancel | (q <= 0))
    as_of = ts[buy].max().normalize() + pd.Timedelta(days=1)
    lines = pd.DataFrame({"cid": cid, "ts": ts, "inv": raw["InvoiceNo"], "value": q * p})
    g = lines[buy].groupby("cid")
    out = pd.DataFrame(
        {
            "recency_days": (as_of - g["ts"].max().dt.normalize()).dt.days,
            "frequency": g["inv"].nunique(),
            "monetary": g["value"].sum(),
            "tenure_days": (as_of - g["ts"].min().dt.normalize()).dt.days,
        }
    )
    returned = (q.abs() * p.where(p > 0, 0.0))[back].groupby(cid[back]).sum()
    out["return_rate"] = (returned.reindex(out.index).fillna(0.0) / out["monetary"]).clip(upper=1.0)
    out.index.name = "customer_id"
    return out.sort_index(), as_of.date()


@pytest.fixture(scope="module")
def december() -> Any:
    return tx.load(settings(data=RETAIL, period="2011-12"))


def _same_numbers(frame: pd.DataFrame, reference: pd.DataFrame, atol: float = 1e-12) -> None:
    """atol: 5e-7 for values read back from segments.csv, which keeps 6 decimals."""
    got = frame.set_index("customer_id").sort_index()
    assert list(got.index) == list(reference.index)
    for col in ("recency_days", "frequency", "tenure_days"):
        assert (got[col].to_numpy() == reference[col].to_numpy()).all(), col
    np.testing.assert_allclose(got["monetary"].to_numpy(), reference["monetary"].to_numpy(), rtol=1e-12, atol=max(atol, 1e-9))
    np.testing.assert_allclose(got["return_rate"].to_numpy(), reference["return_rate"].to_numpy(), rtol=1e-12, atol=atol)


# ------------------------------------------------------------------------- recognition

@pytest.mark.parametrize(
    "header, is_log",
    [
        (RETAIL_HEADER, True),
        (["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"], True),  # Online Retail II
        (["order_id", "order_date", "customer_id", "amount"], True),
        (["Order ID", "Order Date", "Customer", "Sales", "Category", "Region"], True),
        (["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"], False),
        (["InvoiceNo", "Quantity", "UnitPrice", "CustomerID"], False),  # no date
        (["InvoiceNo", "InvoiceDate", "Quantity", "CustomerID"], True),  # no value: recency and frequency, if ids repeat
        # names no list holds, recognised by their words
        (["sales_order", "buyer", "ordered_at", "net_total", "product_group"], True),
        (["Order Number", "Client Ref", "Placed On", "Total Paid (EUR)"], True),
        (["TxnID", "ShopperKey", "TxnDateTime", "Qty", "UnitPriceEUR", "SKU"], True),
        # customer tables whose words mention orders are not order logs
        (["Client Ref", "Days Since Last Order", "Web Orders (12m)", "Spend Groceries"], False),
        (["Client Ref", "First Order Date", "Last Order Date", "Total Spend", "Order Count"], False),
        (["ID", "Year_Birth", "Income", "Dt_Customer", "Recency", "MntWines", "NumWebPurchases", "Z_Revenue"], False),
    ],
)
def test_recognise_by_header(header: list[str], is_log: bool) -> None:
    assert tx.recognise(header, settings()) is is_log


def test_columns_named_in_other_words_find_their_roles() -> None:
    """The usual names win; the words of the other names decide the rest ('Sales Order' is an
    order, 'Order Total' an amount, an id word after a role word is that role's id)."""
    found = tx._auto(["sales_order", "buyer", "ordered_at", "net_total", "product_group"])
    assert (found["customer_id"], found["order_id"], found["date"], found["amount"], found["category"]) == (
        "buyer", "sales_order", "ordered_at", "net_total", "product_group")
    found = tx._auto(["Order Total", "Order Ref", "Member No", "Created At", "Customer ID"])
    assert (found["customer_id"], found["order_id"], found["date"], found["amount"]) == ("Customer ID", "Order Ref", "Created At", "Order Total")


def test_declared_transactions_are_recognised_and_checked() -> None:
    declared = settings(data=RETAIL, period="2011-12", transactions={"customer_id": "CustomerID", "date": "InvoiceDate"})
    assert tx.recognise(["a", "b"], declared)
    bad = settings(data=RETAIL, period="2011-12", transactions={"customer_id": "Customer_ID"})
    with pytest.raises(DataError) as err:
        tx.load(bad)
    assert "transactions.customer_id" in err.value.message and "Customer_ID" in err.value.message and str(RETAIL) in err.value.message
    assert "Did you mean 'CustomerID'" in err.value.hint


# ------------------------------------------------------------------------- features on the real sample

def test_december_matches_an_independent_pandas_computation(december: Any) -> None:
    reference, as_of = expected(raw_retail(), "2011-12-31")
    _same_numbers(december.frame, reference)
    assert december.facts["as_of"] == as_of.isoformat() == "2011-12-10"
    # customers with a line by the period's end but no purchase are left out and counted, by reason
    raw = raw_retail()
    cid = raw["CustomerID"].str.strip().str.replace(r"\.0+$", "", regex=True).replace({"": None, "NA": None})
    seen = cid.notna() & (pd.to_datetime(raw["InvoiceDate"]).dt.normalize() <= pd.Timestamp("2011-12-31"))
    cancel = raw["InvoiceNo"].str.match(r"^[Cc][0-9]")
    q, p = pd.to_numeric(raw["Quantity"]), pd.to_numeric(raw["UnitPrice"])
    kind = np.where(cancel, 2, np.where((q <= 0) | (p <= 0), 1, 0))
    by_customer = pd.DataFrame({"cid": cid[seen], "kind": kind[seen.to_numpy()]}).groupby("cid")["kind"].agg(["min", "max"])
    left = by_customer[by_customer["min"] > 0]
    assert len(december.frame) == 3017 and december.n_dropped == len(left) == 32 and december.n_read == 3017 + 32
    out = {i.reason: i.rows for i in december.issues if i.reason.startswith("customers left out")}
    assert out == {
        **({"customers left out: every line of theirs has a zero or negative value (no purchase)": int((left["max"] == 1).sum())} if (left["max"] == 1).any() else {}),
        "customers left out: they have only cancellations, returns or zero lines (no purchase)": int((left["max"] == 2).sum()),
    }
    f = december.frame
    assert (f["recency_days"] >= 1).all() and (f["tenure_days"] >= f["recency_days"]).all()
    np.testing.assert_allclose(f["avg_order_value"], f["monetary"] / f["frequency"])
    assert f["return_rate"].between(0, 1).all() and (f["return_rate"] > 0).any()
    assert december.kind == "transactions" and set(TRANSACTION_FEATURES) <= set(december.columns)
    assert f["customer_id"].map(type).eq(str).all()


def test_december_row_issues(december: Any) -> None:
    raw = raw_retail()
    issues = {i.reason.split(" ")[0]: i for i in december.issues}
    assert issues["no"].column == "CustomerID" and issues["no"].rows == (raw["CustomerID"].isin(["", "NA"])).sum() == 5078
    cancelled = raw["InvoiceNo"].str.startswith("C") & ~raw["CustomerID"].isin(["", "NA"])
    assert issues["cancellation"].rows == cancelled.sum() and "return_rate" in issues["cancellation"].reason
    assert all(i.dropped for i in december.issues)


def test_products_are_the_top_revenue_lines(december: Any) -> None:
    raw = raw_retail()
    reference, _ = expected(raw, "2011-12-31")
    cats = december.categories
    assert len(cats) == Transactions().top_items and all(c.startswith("spend_") and c.isidentifier() for c in cats.values())
    cid = raw["CustomerID"].where(~raw["CustomerID"].isin(["", "NA"]))
    q, p = pd.to_numeric(raw["Quantity"]), pd.to_numeric(raw["UnitPrice"])
    buy = cid.notna() & ~raw["InvoiceNo"].str.startswith("C") & (q > 0) & (p > 0)
    revenue = (q * p)[buy].groupby(raw["Description"].str.strip()[buy]).sum().sort_values(ascending=False)
    services = {"POSTAGE", "DOTCOM POSTAGE", "CARRIAGE", "Manual", "Bank Charges", "Discount", "SAMPLES"}  # this file's non-goods lines
    goods = revenue[~revenue.index.isin(services)]
    assert list(cats) == list(goods.index[: Transactions().top_items])
    label, column = next(iter(cats.items()))
    mine = (q * p)[buy & (raw["Description"].str.strip() == label)].groupby(cid[buy]).sum()
    got = december.frame.set_index("customer_id")[column]
    np.testing.assert_allclose(got[mine.index], mine, rtol=1e-12)
    assert got.drop(mine.index).eq(0).all()


def test_june_uses_only_lines_up_to_30_june(tmp_path: Path) -> None:
    june = tx.load(settings(data=RETAIL, period="2011-06"))
    raw = raw_retail()
    reference, as_of = expected(raw, "2011-06-30")
    _same_numbers(june.frame, reference)
    assert as_of <= dt.date(2011, 7, 1) and june.facts["as_of"] == as_of.isoformat()
    after = [i for i in june.issues if i.reason.startswith("after")]
    has_id = ~raw["CustomerID"].isin(["", "NA"])
    assert after and after[0].rows == (has_id & (raw["InvoiceDate"] > "2011-07")).sum()
    # an old period re-run on a grown file gives the old numbers
    grown = tmp_path / "grown.csv"
    extra = raw.head(50).assign(InvoiceDate="2012-01-15 10:00:00")
    pd.concat([raw, extra]).to_csv(grown, index=False)
    again = tx.load(settings(data=grown, period="2011-06"))
    pd.testing.assert_frame_equal(again.frame, june.frame)


# ------------------------------------------------------------------------- real exports of the same lines

def _export(tmp_path: Path, name: str, **kw: Any) -> Path:
    raw = raw_retail()
    ts = pd.to_datetime(raw["InvoiceDate"])
    raw = raw.copy()
    if kw.get("dates") == "day_first":
        raw["InvoiceDate"] = ts.dt.strftime("%d/%m/%Y %H:%M")
    elif kw.get("dates") == "us_short":  # the original UCI export: 12/1/10 8:26
        raw["InvoiceDate"] = [f"{t.month}/{t.day}/{t.year % 100:02d} {t.hour}:{t.minute:02d}" for t in ts]
    elif kw.get("dates") == "iso_t":
        raw["InvoiceDate"] = ts.dt.strftime("%Y-%m-%dT%H:%M:%S")
    elif kw.get("dates") == "iso_zone":  # web shops' exports: fractions of a second and a zone
        raw["InvoiceDate"] = [t.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if i % 2 else "+01:00") for i, t in enumerate(ts)]
    elif kw.get("dates") == "ampm":  # spreadsheet exports: 12/1/2010 8:26 AM
        raw["InvoiceDate"] = [f"{t.month}/{t.day}/{t.year} {(t.hour - 1) % 12 + 1}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}" for t in ts]
    if kw.get("money"):  # prices with a currency sign and thousands separators: $1,234.50
        def money(text: str) -> str:
            whole, _, part = text.partition(".")
            sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
            return f"{sign}${int(digits):,}" + (f".{part}" if part else "") if digits.isdigit() else text
        raw["UnitPrice"] = raw["UnitPrice"].map(money)
    if kw.get("float_ids"):  # every other line's id as Excel/pandas write it
        has = ~raw["CustomerID"].isin(["", "NA"])
        odd = has & (np.arange(len(raw)) % 2 == 1)
        raw.loc[odd, "CustomerID"] = raw.loc[odd, "CustomerID"] + ".0"
    if kw.get("extra"):
        raw.insert(2, "Note", "fragile, handle with care")
        raw["Channel"] = "web"
        raw = raw[["Country", *[c for c in raw.columns if c != "Country"]]]
    path = tmp_path / name
    if kw.get("semicolon"):
        raw["UnitPrice"] = raw["UnitPrice"].str.replace(".", ",", regex=False)
        raw.to_csv(path, index=False, sep=";")
    else:
        raw.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "name, kw, date_format",
    [
        ("day_first.csv", {"dates": "day_first"}, "%d/%m/%Y %H:%M"),
        ("us_short.csv", {"dates": "us_short"}, "%m/%d/%y %H:%M"),
        ("iso_t.csv", {"dates": "iso_t"}, "%Y-%m-%dT%H:%M:%S"),
        ("semicolon.csv", {"semicolon": True, "dates": "day_first"}, "%d/%m/%Y %H:%M"),
        ("extra.csv", {"extra": True}, "%Y-%m-%d %H:%M:%S"),
        ("float_ids.csv", {"float_ids": True}, "%Y-%m-%d %H:%M:%S"),
        ("iso_zone.csv", {"dates": "iso_zone"}, "%Y-%m-%dT%H:%M:%S"),
        ("ampm.csv", {"dates": "ampm"}, "%m/%d/%Y %I:%M %p"),
        ("money.csv", {"money": True}, "%Y-%m-%d %H:%M:%S"),
    ],
)
def test_reexports_give_the_same_numbers(tmp_path: Path, december: Any, name: str, kw: dict[str, Any], date_format: str) -> None:
    table = tx.load(settings(data=_export(tmp_path, name, **kw), period="2011-12"))
    pd.testing.assert_frame_equal(table.frame, december.frame, check_exact=False, rtol=1e-12)
    assert table.facts["as_of"] == "2011-12-10" and table.facts["date_format"] == date_format


def test_ids_with_and_without_point_zero_are_one_customer() -> None:
    with pytest.raises(DataError, match="only 1 customer"):  # 17850.0 and 17850 in one_customer.csv
        tx.load(settings(data=CASES / "one_customer.csv", period="2010-12"))


def test_amount_and_category_variant() -> None:
    t = tx.load(settings(data=CASES / "order_variant.csv", period="2024-03"))
    f = t.frame.set_index("customer_id")
    assert t.facts["as_of"] == "2024-03-21"
    assert f.loc["c1", "frequency"] == 2 and f.loc["c1", "monetary"] == pytest.approx(165.75)  # A-7 is in April
    assert f.loc["c1", "recency_days"] == 12 and f.loc["c1", "tenure_days"] == 20
    assert f.loc["c3", "return_rate"] == 1.0 and f.loc["c2", "return_rate"] == 0.0
    assert set(t.categories) == {"Shoes", "Bags", "Socks"}
    assert f.loc["c1", t.categories["Shoes"]] == pytest.approx(120.5) and f.loc["c1", t.categories["Bags"]] == pytest.approx(45.25)


# ------------------------------------------------------------------------- files that cannot be used

@pytest.mark.parametrize(
    "name, cause",
    [
        ("bad_dates.csv", "not dates"),
        ("all_cancelled.csv", "cancellation"),
        ("no_ids.csv", "no line has a customer id"),
        ("one_customer.csv", "only 1 customer"),
        ("missing_date_column.csv", "no column for the order date"),
        ("ambiguous_dates.csv", "day/month or month/day"),
        ("mixed_date_order.csv", "day first on some lines"),
    ],
)
def test_bad_files_name_the_file_and_cause(name: str, cause: str) -> None:
    path = CASES / name
    with pytest.raises(DataError) as err:
        tx.load(settings(data=path, period="2011-12"))
    assert str(path) in err.value.message and cause in err.value.message
    assert "\n" not in str(err.value)


def test_declared_date_format_settles_the_order() -> None:
    t = tx.load(settings(data=CASES / "ambiguous_dates.csv", period="2011-12", transactions={"date_format": "%d/%m/%Y %H:%M"}))
    assert t.facts["last_purchase"] == "2011-11-12" and len(t.frame) == 4
    with pytest.raises(DataError, match="does not read as"):
        tx.load(settings(data=RETAIL, period="2011-12", transactions={"date_format": "%d/%m/%Y %H:%M"}))


def test_period_before_the_log_is_refused() -> None:
    with pytest.raises(DataError, match="no purchase on or before 2010-11-30"):
        tx.load(settings(data=RETAIL, period="2010-11"))


# ------------------------------------------------------------------------- the rfm rule pack

def _cuts(frame: pd.DataFrame, scale: Any) -> tuple[float, ...]:
    """A level's cuts computed here, independently of stages/label.py: rhythm cuts are buying cycles
    (the median over repeat customers of their days between first and last order per later order),
    bounded by the pack's floor and ceiling."""
    if scale.method == "absolute":
        return tuple(scale.cuts)
    if scale.method == "quantile":
        return tuple(frame[scale.role].quantile(list(scale.cuts)))
    repeat = frame[frame["frequency"] >= 2]
    cycle = float(((repeat["tenure_days"] - repeat["recency_days"]) / (repeat["frequency"] - 1)).median())
    return tuple(min(max(c * cycle, lo), hi) for c, lo, hi in zip(scale.cuts, scale.floor, scale.ceiling))


def _score(frame: pd.DataFrame, book: Any) -> pd.Series:
    """Each customer's segment under the pack (levels from this frame), first matching rule wins."""
    levels = {}
    for role, scale in book.levels.items():
        levels[role] = np.asarray(scale.names)[np.searchsorted(np.asarray(_cuts(frame, scale)), frame[role].to_numpy(), side="right")]
    names = []
    for i in range(len(frame)):
        mine = {r: levels[r][i] for r in levels}
        rule = next((r for r in book.rules if all(mine[k] in v for k, v in r.when.items())), book.fallback)
        names.append(rule.name)
    return pd.Series(names, index=frame.index)


def test_rfm_pack_loads_and_names_agree_with_numbers(december: Any) -> None:
    folder = bundled_path("rules", "rfm")
    assert settings(rules="auto").rules_dir("transactions") == folder
    book = load_segments(folder / "segments.yaml")
    campaigns = load_campaigns(folder / "campaigns.yaml", book)
    expected_names = {"Champions", "Loyal customers", "Potential loyalists", "New customers", "Promising", "Need attention",
                      "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost"}
    assert expected_names <= set(book.names) and set(book.names) == set(campaigns.by_segment)
    assert (folder / "segments.yaml").read_text().startswith("# ") and (folder / "campaigns.yaml").read_text().startswith("# ")
    assert {r.name for r in book.rules if r.lapsing} == {"About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost"}
    frame = december.frame
    segment = _score(frame, book)
    means = frame.groupby(segment)[["recency_days", "frequency", "monetary"]].mean()
    assert len(means) >= 8
    best = means.loc["Champions"]
    for low in ("Hibernating", "About to sleep", "New customers"):
        assert best["recency_days"] < means.loc[low, "recency_days"]
        assert best["frequency"] > means.loc[low, "frequency"] and best["monetary"] > means.loc[low, "monetary"]
    assert means.loc["New customers", "recency_days"] < means.loc["Promising", "recency_days"] < means.loc["About to sleep", "recency_days"]
    assert means.loc["About to sleep", "recency_days"] < means.loc["Hibernating", "recency_days"]
    # "recently" is recent for this shop: nobody called loyal or a champion last bought over half a year ago
    active = frame[segment.isin(["Champions", "Loyal customers", "Potential loyalists", "New customers", "Promising"])]
    assert active["recency_days"].max() <= 180


# ------------------------------------------------------------------------- synthetic logs

def test_sample_transactions_command(tmp_path: Path) -> None:
    out = tmp_path / "log.csv"
    result = CliRunner().invoke(cli, ["sample", "--kind", "transactions", "--rows", "20000", "--seed", "7", "--out", str(out), "--with-truth"])
    assert result.exit_code == 0, result.output
    again = tmp_path / "again.csv"
    CliRunner().invoke(cli, ["sample", "--kind", "transactions", "--rows", "20000", "--seed", "7", "--out", str(again), "--with-truth"])
    assert out.read_bytes() == again.read_bytes()
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(raw) == 20000 and list(raw.columns[:8]) == RETAIL_HEADER
    assert raw["InvoiceNo"].str.startswith("C").mean() > 0.01 and (raw["CustomerID"] == "").mean() > 0.1
    assert raw["CustomerID"].str.endswith(".0").any() and raw["InvoiceDate"].str.match(r"^\d{1,2}/\d{1,2}/\d{2} \d{1,2}:\d{2}$").all()
    table = tx.load(settings(data=out, period="2011-12"))
    assert table.facts["date_format"] == "%m/%d/%y %H:%M" and len(table.frame) > 100
    kind = raw[raw["CustomerID"] != ""].assign(customer_id=lambda d: d["CustomerID"].str[:-2]).groupby("customer_id")["customer_type"].first()
    by_kind = table.frame.set_index("customer_id").join(kind).groupby("customer_type")[["recency_days", "frequency", "monetary"]].median()
    assert by_kind.loc["Champions", "frequency"] > by_kind.loc["Lost", "frequency"]
    assert by_kind.loc["New customers", "recency_days"] < by_kind.loc["At risk", "recency_days"] < by_kind.loc["Lost", "recency_days"]


# ------------------------------------------------------------------------- Spark parity

@pytest.mark.spark
def test_spark_parity(december: Any, tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    from reportgen.engines import spark_read

    spark = (
        SparkSession.builder.master("local[2]").appName("reportgen-tx-test")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2").getOrCreate()
    )
    def spark_frame(location: str, period: str) -> tuple[pd.DataFrame, Any]:
        """The order log read and aggregated by the Spark engine (engines/spark_read.py), sorted by id."""
        with ExitStack() as copies:  # the UTF-8 copy of a local file lives while Spark reads it
            sdf, t = spark_read.order_frame(spark, settings(data=location, period=period), copies)
            return sdf.toPandas().sort_values("customer_id").reset_index(drop=True), t

    try:
        got, table = spark_frame(str(RETAIL), "2011-12")
        others = {}  # real exports: US short dates, Windows-1252 with ';' and decimal commas, a June re-run
        for path, period in ((_export(tmp_path, "us_short.csv", dates="us_short"), "2011-12"),
                             (_export(tmp_path, "web_shop.csv", dates="iso_zone", money=True), "2011-12"),
                             (_export(tmp_path, "ampm.csv", dates="ampm"), "2011-12"),
                             (CASES / "windows1252_semicolon.csv", "2010-12"), (RETAIL, "2011-06")):
            others[(path, period)] = spark_frame(str(path), period)
        semicolon = _export(tmp_path, "semicolon.csv", semicolon=True, dates="day_first")  # as a URL: no local sniffing
        by_url, _ = spark_frame(semicolon.as_uri(), "2011-12")
    finally:
        spark.stop()
    local = december.frame
    assert list(got.columns) == list(local.columns)
    assert list(got["customer_id"]) == list(local["customer_id"])
    assert (got["frequency"].to_numpy() == local["frequency"].to_numpy()).all()
    assert (got["recency_days"].to_numpy() == local["recency_days"].to_numpy()).all()
    np.testing.assert_allclose(got["monetary"], local["monetary"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got["return_rate"], local["return_rate"], rtol=0, atol=1e-12)
    assert table.facts == december.facts and table.issues == december.issues and table.categories == december.categories
    assert table.n_customers == len(local) and table.kind == "transactions"
    pd.testing.assert_frame_equal(by_url, local, check_dtype=False, check_exact=False, rtol=0, atol=1e-9)
    for (path, period), (spark_rows, t) in others.items():
        mine = tx.load(settings(data=path, period=period))
        pd.testing.assert_frame_equal(spark_rows, mine.frame, check_dtype=False, check_exact=False, rtol=0, atol=1e-9)
        assert t.facts == mine.facts and t.issues == mine.issues


def test_windows_1252_semicolon_decimal_comma_day_first() -> None:
    t = tx.load(settings(data=CASES / "windows1252_semicolon.csv", period="2010-12"))
    f = t.frame.set_index("customer_id")
    assert f.loc["17850", "monetary"] == pytest.approx(6 * 2.55) and f.loc["17851", "monetary"] == pytest.approx(8 * 3.39)
    assert f.loc["17851", "frequency"] == 2 and t.facts["as_of"] == "2010-12-15" and t.facts["date_format"] == "%d/%m/%Y %H:%M"
    assert "CAFÉ CRÈME" in t.categories and t.categories["CAFÉ CRÈME"] == "spend_cafe_creme"


def test_parquet_log_gives_the_same_numbers(tmp_path: Path, december: Any) -> None:
    path = tmp_path / "retail.parquet"
    pd.read_csv(RETAIL).to_parquet(path)  # CustomerID becomes a float (17850.0), dates text
    t = tx.load(settings(data=path, period="2011-12"))
    pd.testing.assert_frame_equal(t.frame, december.frame, check_exact=False, rtol=1e-12)


def test_a_log_without_order_ids_counts_a_customers_lines_at_one_time_as_one_order(tmp_path: Path) -> None:
    """Payments or tills often export no order id: declared without one, the lines a customer has at
    the same date and time are one order, a negative amount is a return, and the appendix says so."""
    path = tmp_path / "payments.csv"
    path.write_text(
        "customer,paid_at,amount\n"
        "c1,2025-01-01 10:00,10\nc1,2025-01-01 10:00,5\nc1,2025-02-01 09:30,20\n"
        "c2,2025-03-01 12:00,7\nc2,2025-03-02 12:00,-7\nc3,2025-03-03 08:00,4\n"
    )
    assert tx.is_order_log(path, settings())  # no order id, but a customer id that repeats
    t = tx.load(settings(data=path, period="2025-03", transactions={"customer_id": "customer", "date": "paid_at", "amount": "amount"}))
    f = t.frame.set_index("customer_id")
    assert f.loc["c1", "frequency"] == 2 and f.loc["c1", "monetary"] == pytest.approx(35.0)
    assert f.loc["c2", "frequency"] == 1 and f.loc["c2", "return_rate"] == pytest.approx(1.0)
    assert "no order id" in t.facts["definitions"] and "paid_at" in t.facts["definitions"]


def test_only_c_and_a_digit_cancels_an_order(tmp_path: Path) -> None:
    """Online Retail cancels with C536379; Superstore's order ids (CA-2016-152156) are orders."""
    path = tmp_path / "superstore.csv"
    path.write_text(
        "Row ID,Order ID,Order Date,Customer ID,Sales,Quantity,Category\n"
        "1,CA-2016-152156,11/8/2016,CG-12520,261.96,2,Furniture\n2,CA-2016-152157,11/9/2016,CG-12520,731.94,3,Furniture\n"
        "3,US-2015-108966,10/21/2015,SO-20335,957.58,5,Office Supplies\n4,C536379,12/1/2016,SO-20335,-27.50,-1,Office Supplies\n"
    )
    t = tx.load(settings(data=path, period="2016-12"))
    f = t.frame.set_index("customer_id")
    assert f.loc["CG-12520", "frequency"] == 2 and f.loc["CG-12520", "monetary"] == pytest.approx(993.90)
    assert f.loc["SO-20335", "frequency"] == 1 and f.loc["SO-20335", "return_rate"] == pytest.approx(27.50 / 957.58)


def test_service_lines_are_not_products() -> None:
    """Postage and manual adjustments count in monetary but are never a 'top product'; the list is a setting."""
    default = tx.load(settings(data=RETAIL, period="2011-12"))
    assert "POSTAGE" not in default.categories and "Manual" not in default.categories
    assert default.facts["item_spend"].startswith("The top 6 products by revenue") and "POSTAGE" in default.facts["item_spend"]
    everything = tx.load(settings(data=RETAIL, period="2011-12", transactions={"not_products": []}))
    assert "POSTAGE" in everything.categories and "service lines" not in everything.facts["item_spend"]
    pd.testing.assert_series_equal(default.frame["monetary"], everything.frame["monetary"])


def test_top_items_setting() -> None:
    t = tx.load(settings(data=RETAIL, period="2011-12", transactions={"top_items": 2}))
    assert len(t.categories) == 2 and [c for c in t.frame.columns if c.startswith("spend_")] == list(t.categories.values())
    none = tx.load(settings(data=RETAIL, period="2011-12", transactions={"top_items": 0}))
    assert none.categories == {} and list(none.frame.columns) == ["customer_id", *TRANSACTION_FEATURES]


# ------------------------------------------------------------------------- end to end, as a user runs it

RFM_ORDER = {"Champions": 0, "Loyal customers": 1, "Potential loyalists": 1, "New customers": 1, "Promising": 1,
             "Need attention": 2, "About to sleep": 3, "At risk": 3, "Can't lose them": 3, "Hibernating": 4, "Lost": 4}


@pytest.fixture(scope="module")
def order_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`reportgen run --data online_retail_sample.csv --period 2011-12`, no config, in a fresh process."""
    import subprocess

    out = tmp_path_factory.mktemp("orders")
    result = subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(RETAIL), "--period", "2011-12", "--out", str(out)], capture_output=True, text=True, cwd=out, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 0, result.stderr
    return out / "2011-12"


@pytest.mark.e2e
def test_order_log_run_without_config(order_run: Path) -> None:
    rows = pd.read_csv(order_run / "segments.csv", dtype={"customer_id": str})
    reference, as_of = expected(raw_retail(), "2011-12-31")
    _same_numbers(rows[["customer_id", "recency_days", "frequency", "monetary", "tenure_days", "return_rate"]], reference, atol=5e-7)
    summary = json.loads((order_run / "summary.json").read_text())
    assert summary["kind"] == "transactions" and summary["facts"]["as_of"] == str(as_of)
    named = [s for s in summary["segments"] if s["base_name"] in RFM_ORDER]
    assert len(named) >= 3
    medians = rows.groupby("segment")[["recency_days", "frequency", "monetary"]].median()
    for a in named:
        for b in named:
            if RFM_ORDER[a["base_name"]] == 0 and RFM_ORDER[b["base_name"]] >= 3:  # Champions against the lapsing
                ma, mb = medians.loc[a["name"]], medians.loc[b["name"]]
                assert ma["recency_days"] < mb["recency_days"] and ma["frequency"] >= mb["frequency"] and ma["monetary"] > mb["monetary"]


@pytest.mark.slow  # the retail log aggregated twice
def test_an_order_log_in_other_words_is_recognised_without_config(tmp_path: Path) -> None:
    """The retail sample with every column renamed into words no list holds gives the same
    customers and the same recency, frequency and monetary value, with no settings at all."""
    from reportgen.settings_file import load_settings
    from reportgen.pipeline import analyse

    renamed = tmp_path / "orders.csv"
    raw = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    raw.columns = ["Sales Order", "Item Code", "Item Description", "Pieces", "Ordered At", "Price Each", "Buyer Ref", "Country"]
    raw.to_csv(renamed, index=False)
    ours, theirs = (analyse(load_settings(None, {"data": str(path), "period": "2011-12", "out": str(tmp_path / "out")})) for path in (renamed, RETAIL))
    assert ours.table.kind == "transactions"
    cols = ["customer_id", "recency_days", "frequency", "monetary"]
    pd.testing.assert_frame_equal(ours.table.frame[cols].reset_index(drop=True), theirs.table.frame[cols].reset_index(drop=True))


@pytest.mark.e2e
def test_order_log_briefing_speaks_of_recency_and_frequency(order_run: Path) -> None:
    import subprocess

    text = subprocess.run(["pdftotext", str(order_run / "briefing.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    for word in ("Recency", "Frequency", "Days since last purchase", "Orders", "as of"):
        assert word.lower() in text.lower(), word
    assert "cancellation" in text.lower()  # Data quality counts the cancelled lines


@pytest.mark.e2e
def test_month_over_month_for_rfm_segments(tmp_path: Path) -> None:
    """Champions last month, At risk this month: the migration a marketer watches."""
    from reportgen.settings_file import load_settings
    from reportgen.pipeline import analyse, run

    for period in ("2011-11", "2011-12"):
        run(load_settings(None, {"data": str(RETAIL), "period": period, "out": str(tmp_path)}))
    changes = json.loads((tmp_path / "2011-12" / "summary.json").read_text())["changes"]
    assert changes["previous_period"] == "2011-11"
    kept = {s["name"] for s in changes["segments"] if s["status"] == "kept"}
    assert "Champions" in kept  # the same kind of customers keeps its name
    m = changes["migration"]
    assert m["from"][-1] == "Not a customer then" and m["to"][-1] == "Gone"
    champions = m["from"].index("Champions")
    assert sum(m["counts"][champions]) > 0 and m["counts"][champions][m["to"].index("Champions")] > 0
    assert changes["stayed"] + changes["moved"] > 0
    assert analyse(load_settings(None, {"data": str(RETAIL), "period": "2011-12", "out": str(tmp_path)})).changes is not None
