"""Backtest: do the segments' names promise what their customers then did?

Runs reportgen on an order log at a month end (`--period`, so only lines up to that month are used),
then reads the log's later lines itself (pandas, independently of reportgen's SQL) and prints, per
segment: customers, the share who bought again within the horizon, orders and revenue per customer
afterwards, and the segment's share of the later revenue. Champions and loyal customers must buy
again more than the lapsing names (About to sleep, At risk, Hibernating, Lost); the script says so
and exits 1 when they do not.

It also checks the predictions: the repeat-purchase models reportgen fitted (summary.json
`forecast`) predict each customer's orders and value over the same horizon (stages/predict.py), and
the script compares them with what happened, per segment and in total, and the ranking of the
segments by predicted and actual value (Spearman).

Usage:
  python benchmarks/backtest.py [--data FILE] [--period YYYY-MM ...] [--months N] [--keep DIR]
Default: ../shared/data/online_retail_sample.csv at 2011-06 and 2011-08, horizon 3 months.

The later lines are cleaned the way the README defines a purchase line (a customer id, quantity and
price above zero, an order id not starting with C and a digit); dates are read by pandas.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.settings_file import load_settings  # noqa: E402
from reportgen.pipeline import run  # noqa: E402
from reportgen.stages import read  # noqa: E402
from reportgen.stages import predict  # noqa: E402
from reportgen.stages.transactions import resolve  # noqa: E402

ACTIVE = ("Champions", "Loyal customers")
LAPSING = ("About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost")


def later_purchases(path: Path, period: str, months: int) -> pd.DataFrame:
    """Per customer: orders and revenue in the `months` after the period's end."""
    settings = load_settings(None, {"data": str(path)})
    cols = resolve(read.header(path), settings, str(path))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    ids = raw[cols.customer_id].str.strip().str.replace(r"\.0$", "", regex=True)
    when = pd.to_datetime(raw[cols.date], errors="coerce", format="mixed")
    if cols.amount:
        value = pd.to_numeric(raw[cols.amount], errors="coerce")
        ok = value > 0
    else:
        qty, price = pd.to_numeric(raw[cols.quantity], errors="coerce"), pd.to_numeric(raw[cols.price], errors="coerce")
        value = qty * price
        ok = (qty > 0) & (price > 0)
    order = raw[cols.order_id].astype(str) if cols.order_id else when.dt.strftime("%Y-%m-%d %H:%M:%S")
    ok &= ids.ne("") & ids.ne("NA") & ~order.str.match(r"^[Cc][0-9]")
    start = pd.Period(period, "M").end_time.normalize() + pd.Timedelta(days=1)
    end = (pd.Period(period, "M") + months).end_time
    ok &= (when >= start) & (when <= end)
    later = pd.DataFrame({"customer_id": ids[ok], "order": order[ok], "value": value[ok]})
    return later.groupby("customer_id").agg(orders=("order", "nunique"), revenue=("value", "sum"))


def _predicted(summary: dict, segments: pd.DataFrame, joined: pd.DataFrame, days: float) -> pd.DataFrame:
    """Orders and value each segment's customers were predicted to place over `days`, beside what they did."""
    f = summary.get("forecast") or {}
    if not f.get("fitted") or not f.get("bgnbd"):
        return pd.DataFrame(columns=["predicted_bought_again", "predicted_orders", "actual_orders", "predicted_value", "actual_value"])
    bg, gg = f["bgnbd"], f.get("gamma_gamma")
    model = predict.Model(bg["r"], bg["alpha"], bg["a"], bg["b"], (gg["p"], gg["q"], gg["v"]) if gg else None, f["customers"], f["repeat_customers"])
    d = predict.inputs(segments)
    x, t_x, T = (d[c].to_numpy() for c in ("x", "t_x", "T"))
    orders = predict.expected_orders(model, days, x, t_x, T)
    value = orders * predict.expected_value(model, d["orders"].to_numpy(), d["m"].to_numpy()) if gg else orders * float("nan")
    frame = pd.DataFrame({"segment": segments["segment"], "predicted_bought_again": predict.p_order(model, days, x, t_x, T), "predicted_orders": orders,
                          "predicted_value": value, "actual_orders": joined["orders"].to_numpy(), "actual_value": joined["revenue"].to_numpy()})
    grouped = frame.groupby("segment")
    return grouped[["predicted_orders", "actual_orders", "predicted_value", "actual_value"]].sum().join(grouped[["predicted_bought_again"]].mean())


def backtest(path: Path, period: str, months: int, out: Path) -> tuple[pd.DataFrame, bool]:
    logging.disable(logging.WARNING)
    run(load_settings(None, {"data": str(path), "period": period, "out": str(out)}))
    folder = out / period
    segments = pd.read_csv(folder / "segments.csv", dtype={"customer_id": str}).set_index("customer_id")
    summary = json.loads((folder / "summary.json").read_text())
    later = later_purchases(path, period, months).reindex(segments.index).fillna(0.0)
    joined = segments[["segment"]].join(later)
    total = joined["revenue"].sum()
    rows = []
    for seg in summary["segments"]:
        mine = joined[joined["segment"] == seg["name"]]
        rows.append({
            "segment": seg["name"],
            "customers": len(mine),
            "name_fit": seg["name_fit"],
            "bought_again": (mine["orders"] > 0).mean(),
            "orders_per_customer": mine["orders"].mean(),
            "revenue_per_customer": mine["revenue"].mean(),
            "share_of_later_revenue": mine["revenue"].sum() / total if total else 0.0,
        })
    table = pd.DataFrame(rows)
    days = ((pd.Period(period, "M") + months).end_time - pd.Period(period, "M").end_time).days
    table = table.join(_predicted(summary, segments, joined, days), on="segment")
    table = table.sort_values("bought_again", ascending=False)
    if "predicted_bought_again" in table:  # beside what it predicts
        table.insert(table.columns.get_loc("bought_again") + 1, "predicted_bought_again", table.pop("predicted_bought_again"))
    by_name = table.set_index("segment")["bought_again"]
    active = [by_name[n] for n in ACTIVE if n in by_name]
    lapsing = [by_name[n] for n in LAPSING if n in by_name]
    promise_kept = not active or not lapsing or min(active) > max(lapsing)
    return table, promise_kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "online_retail_sample.csv")
    parser.add_argument("--period", nargs="+", default=["2011-06", "2011-08"])
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="backtest-"))
    kept = True
    for period in args.period:
        if not re.fullmatch(r"\d{4}-\d{2}", period):
            parser.error(f"--period {period}: a month like 2011-06")
        table, ok = backtest(args.data, period, args.months, out)
        kept &= ok
        print(f"\n{args.data.name}, report for {period}; what the customers did in the next {args.months} months:")
        print(table.to_string(index=False, formatters={
            "name_fit": "{:.0%}".format, "bought_again": "{:.0%}".format, "predicted_bought_again": "{:.0%}".format, "orders_per_customer": "{:.2f}".format,
            "revenue_per_customer": "{:,.0f}".format, "share_of_later_revenue": "{:.0%}".format,
            "predicted_orders": "{:,.0f}".format, "actual_orders": "{:,.0f}".format, "predicted_value": "{:,.0f}".format, "actual_value": "{:,.0f}".format,
        }))
        if "predicted_orders" in table and table["predicted_orders"].notna().any():
            po, ao, pv, av = (table[c].sum() for c in ("predicted_orders", "actual_orders", "predicted_value", "actual_value"))
            rank = table[["predicted_value", "actual_value"]].rank().corr(method="pearson").iloc[0, 1]
            print(f"predicted orders {po:,.0f} against {ao:,.0f} actual ({po / ao - 1:+.0%}); value {pv:,.0f} against {av:,.0f} ({pv / av - 1:+.0%}); "
                  f"segments ranked by value: Spearman {rank:.2f}")
        print("promise kept: champions and loyal customers bought again more than lapsing ones" if ok else "PROMISE BROKEN: a lapsing segment bought again as often as an active one")
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
