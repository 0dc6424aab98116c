"""Where the order-log load's time goes against the one-query yardstick (issue 24): the same file read
by a ladder of DuckDB queries, each adding one thing the report needs, timed in one process (wall and
CPU seconds of each query, medians of R rounds), so the floor of a load that reads untrusted shop
exports safely can be told from what the code adds over it.

  yardstick      benchmarks/transactions.py's DuckDB query: ids, order ids and dates as text,
                 try_strptime, quantity x price; recency/frequency/monetary per customer
  typed read     the fast path's typed read (stages/order_typed.py), aggregated per customer with
                 the ids as written (no cleaning)
  + cleaning     ... with ids, order ids and products cleaned as the report cleans them (trim, null
                 words, '17850.0' = '17850', e-mail case) and every line's status, still one query
  + kept lines   the fast path's `lines` table (the query above, materialised in file order), which
                 the line counts and the per-customer query then read
  + counts       the line counts by status and product (top products, the report's line figures)
  + customers    the per-customer table over the kept lines, fetched into pandas
The last three summed are the fast path's DuckDB work (the load stage adds the first 100,000 lines'
probe, the checksum in a thread and the frame's typing in pandas).

Usage: python benchmarks/order_floor.py [CSV] [--repeat R]   (default: the 5M-line benchmark log)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportgen.sql import DUCKDB, quote_text  # noqa: E402
from reportgen.stages.order_sql import Columns, counts_sql, customers_sql, lines_sql, norm_sql  # noqa: E402
from reportgen.stages.order_typed import source_sql  # noqa: E402

COLS = Columns("CustomerID", "InvoiceNo", "InvoiceDate", "Quantity", "UnitPrice", None, "Description")
HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
FMT = "%m/%d/%y %H:%M"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _ladder(path: str) -> list[tuple[str, str]]:
    where = quote_text(path)
    yardstick = f"""
WITH p AS (SELECT CustomerID AS cid, InvoiceNo AS inv, try_strptime(InvoiceDate, '{FMT}') AS ts, Quantity * UnitPrice AS v
           FROM read_csv({where}, types={{'CustomerID': 'VARCHAR', 'InvoiceNo': 'VARCHAR', 'InvoiceDate': 'VARCHAR'}})
           WHERE CustomerID IS NOT NULL AND NOT starts_with(InvoiceNo, 'C') AND Quantity > 0 AND UnitPrice > 0)
SELECT cid, date_diff('day', CAST(max(ts) AS DATE), (SELECT CAST(max(ts) AS DATE) + 1 FROM p)) AS recency, count(DISTINCT inv) AS frequency, sum(v) AS monetary
FROM p GROUP BY cid"""
    rfm = "SELECT cid, max(ts) AS last, count(DISTINCT inv) AS frequency, sum(pv) AS monetary FROM ({}) l WHERE status = 0 GROUP BY cid"
    raw = (
        'SELECT "CustomerID" AS cid, "InvoiceNo" AS inv, "InvoiceDate" AS ts, "Quantity" * "UnitPrice" AS pv, '
        "CASE WHEN \"CustomerID\" IS NULL THEN 1 WHEN starts_with(\"InvoiceNo\", 'C') THEN 4 WHEN \"Quantity\" <= 0 OR \"UnitPrice\" <= 0 THEN 7 ELSE 0 END AS status "
        "FROM src_typed"
    )
    lines = lines_sql(COLS, DUCKDB, (FMT,), "2011-12-31", typed=True)
    assert "FROM src_typed" in norm_sql(COLS, DUCKDB, typed=True)
    return [
        ("yardstick (one DuckDB query)", yardstick),
        ("typed read, ids as written", rfm.format(raw)),
        ("+ cleaning and status, one query", rfm.format(lines)),
        ("+ kept lines (table, file order)", f"CREATE OR REPLACE TEMP TABLE lines AS {lines}"),
        ("+ counts over the kept lines", counts_sql("SELECT * FROM lines")),
        ("+ customers over the kept lines", customers_sql("SELECT * FROM lines", DUCKDB, "2011-12-10", {}) + " ORDER BY customer_id"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", nargs="?", default=str(Path(tempfile.gettempdir()) / "reportgen-transactions-bench" / "orders-5000000.csv"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import duckdb
    import pandas  # noqa: F401  (imported before the clock runs, as the load stage finds it)

    con = duckdb.connect(config={"preserve_insertion_order": True})
    con.execute("SET enable_progress_bar = false")
    con.execute(source_sql(quote_text(args.csv), ",", "utf-8", HEADER, COLS, FMT))
    steps = _ladder(args.csv)
    print(f"cores: {os.cpu_count()}, load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}; {args.csv}; medians of {args.repeat}", flush=True)
    spent: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in steps}
    for _ in range(args.repeat):
        for name, sql in steps:
            wall, cpu = time.perf_counter(), _cpu()
            result = con.execute(sql)
            if name.startswith("+ customers"):
                result.df()
            else:
                result.fetchall()
            spent[name].append((time.perf_counter() - wall, _cpu() - cpu))
    base = statistics.median(w for w, _ in spent[steps[0][0]])
    print(f"  {'query':<36} {'wall s':>7} {'CPU s':>7} {'wall / yardstick':>17}")
    for name, _ in steps:
        w, c = statistics.median(w for w, _ in spent[name]), statistics.median(c for _, c in spent[name])
        print(f"  {name:<36} {w:7.2f} {c:7.2f} {w / base:16.2f}x")
    kept = [name for name, _ in steps[3:]]
    w, c = (sum(statistics.median(x[i] for x in spent[name]) for name in kept) for i in (0, 1))
    print(f"  {'the fast path (last three summed)':<36} {w:7.2f} {c:7.2f} {w / base:16.2f}x")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
