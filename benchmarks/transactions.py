"""Order-log benchmark (issue 24): reportgen's load stage, pass by pass, against one DuckDB query that
reads the file and aggregates recency, frequency and monetary per customer, measured in the same run;
and with --run, the whole report's added time over a small log against a bare pandas (pyarrow)
read + clean + groupby + K-Means fit of the same file.

Usage: python benchmarks/transactions.py [N ...] [--keep DIR] [--tree DIR] [--repeat R] [--run] [--no-pandas]
Default N: 1000000 5000000. Logs come from `reportgen sample --kind transactions --rows N --seed 7`,
generated once into /tmp/reportgen-transactions-bench (or --keep DIR) and reused. --tree DIR also
times another source tree (for example `git archive main | tar -x -C /tmp/base`), in turn with this
one (A B A B ...), so both see the same background load. Every figure is a fresh process (imports
included); medians of R repeats. Say the load average (printed) with any figure you quote: the
machine is shared, and wall times stretch under load.

Goals (issue 24), at 5M lines: load <= 1.5x the DuckDB query; added time of `reportgen run` over a
3,000-line log <= 1.2x the bare pandas pipeline; peak memory <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = 3000

# tx.load, each SQL statement timed by what it computes (the names are matched on the SQL's start, so a
# tree whose passes differ shows its own: `norm` before issue 24, `vals` and `lines` after it)
OURS = """
import json, resource, sys, time
start = time.perf_counter()
import duckdb
STEPS = (("CREATE OR REPLACE TEMP TABLE vals", "vals"), ("CREATE TEMP TABLE norm", "norm"), ("CREATE OR REPLACE TEMP TABLE lines", "lines"),
         ("SELECT sum(CASE WHEN t IS NULL", "date probe"), ("SELECT * FROM (SELECT sum(", "numbers probe"), ("SELECT 0 AS nothing", "numbers probe"),
         ("SELECT status, item", "counts"), ("SELECT cid AS customer_id", "customers"))
spent = {}
class Timed:
    def __init__(self, con): self.con = con
    def execute(self, sql, *a):
        t = time.perf_counter(); r = self.con.execute(sql, *a)
        name = next((n for p, n in STEPS if sql.startswith(p)), "other")
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
        return r
    def __getattr__(self, k): return getattr(self.con, k)
connect = duckdb.connect
duckdb.connect = lambda *a, **k: Timed(connect(*a, **k))
from reportgen.settings_file import load_settings
from reportgen.stages import transactions as tx
t = time.perf_counter()
table = tx.load(load_settings(None, {"data": sys.argv[1], "period": "2011-12"}))
load = time.perf_counter() - t
wall = time.perf_counter() - start
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": wall, "load": load, "steps": spent, "cpu": r.ru_utime + r.ru_stime, "customers": len(table.frame),
                  "peak_rss_mb": r.ru_maxrss / 1024}))
"""

# the least one DuckDB query does: read the file, keep purchase lines, recency/frequency/monetary per customer
DUCK = """
import json, resource, sys, time
start = time.perf_counter()
import duckdb
path = sys.argv[1].replace("'", "''")
con = duckdb.connect()
t = time.perf_counter()
rows = con.execute(f'''
WITH p AS (SELECT CustomerID AS cid, InvoiceNo AS inv, try_strptime(InvoiceDate, '%m/%d/%y %H:%M') AS ts, Quantity * UnitPrice AS v
           FROM read_csv('{path}', types={{'CustomerID': 'VARCHAR', 'InvoiceNo': 'VARCHAR', 'InvoiceDate': 'VARCHAR'}})
           WHERE CustomerID IS NOT NULL AND NOT starts_with(InvoiceNo, 'C') AND Quantity > 0 AND UnitPrice > 0)
SELECT cid, date_diff('day', CAST(max(ts) AS DATE), (SELECT CAST(max(ts) AS DATE) + 1 FROM p)) AS recency, count(DISTINCT inv) AS frequency, sum(v) AS monetary
FROM p GROUP BY cid''').fetchall()
load = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - start, "load": load, "cpu": r.ru_utime + r.ru_stime, "customers": len(rows), "peak_rss_mb": r.ru_maxrss / 1024}))
"""

# bare pandas: pyarrow read + clean + groupby (recency, frequency, monetary); with "fit", scaled and one K-Means fit
BARE = """
import json, resource, sys, time
start = time.perf_counter()
import pandas as pd
f = pd.read_csv(sys.argv[1], engine="pyarrow", dtype={"CustomerID": "string", "InvoiceNo": "string"},
                usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"])
f = f[f["CustomerID"].notna() & ~f["InvoiceNo"].str.startswith("C") & (f["Quantity"] > 0) & (f["UnitPrice"] > 0)]
f["CustomerID"] = f["CustomerID"].str.replace(r"\\.0$", "", regex=True)
f["ts"] = pd.to_datetime(f["InvoiceDate"], format="%m/%d/%y %H:%M")
f["value"] = f["Quantity"] * f["UnitPrice"]
as_of = f["ts"].max().normalize() + pd.Timedelta(days=1)
g = f.groupby("CustomerID").agg(last=("ts", "max"), frequency=("InvoiceNo", "nunique"), monetary=("value", "sum"))
g["recency_days"] = (as_of - g["last"].dt.normalize()).dt.days
if len(sys.argv) > 2:
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler
    x = StandardScaler().fit_transform(g[["recency_days", "frequency", "monetary"]].to_numpy(dtype=float))
    KMeans(int(sys.argv[2]), n_init=1, random_state=42).fit(x)
wall = time.perf_counter() - start
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": wall, "cpu": r.ru_utime + r.ru_stime, "customers": len(g), "peak_rss_mb": r.ru_maxrss / 1024}))
"""


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def _code(code: str, tree: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=_env(tree), cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _report(tree: Path, data: Path, out: Path) -> dict:
    """`reportgen run` on an order log in a fresh process: wall, its load stage, peak memory, k."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reportgen", "-q", "run", "--data", str(data), "--out", str(out), "--period", "2011-12"],
                   check=True, capture_output=True, env=_env(tree), cwd=out.parent)
    wall = time.perf_counter() - start
    manifest = json.loads((out / "2011-12" / "manifest.json").read_text())
    k = json.loads((out / "2011-12" / "summary.json").read_text())["k"]
    return {"seconds": wall, "stages": manifest["timings_s"], "peak_rss_mb": manifest.get("peak_rss_mb", 0), "k": k}


def _log(work: Path, n: int) -> Path:
    data = work / f"orders-{n}.csv"
    if not data.exists():
        subprocess.run([sys.executable, "-m", "reportgen", "sample", "--kind", "transactions", "--rows", str(n), "--seed", "7", "--out", str(data)],
                       check=True, capture_output=True, env=_env(ROOT), cwd=ROOT)
    return data


def _med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 5_000_000])
    parser.add_argument("--keep", type=Path, help="keep the generated logs here (reused on the next run)")
    parser.add_argument("--tree", type=Path, help="another source tree to time in turn with this one (the 'before')")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--run", action="store_true", help="also the whole report, against a 3,000-line log and the bare pandas pipeline + fit")
    parser.add_argument("--no-pandas", action="store_true", help="skip the bare pandas comparison of the load")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.gettempdir()) / "reportgen-transactions-bench"
    work.mkdir(parents=True, exist_ok=True)
    trees = {"this": ROOT} if args.tree is None else {"before": args.tree.resolve(), "after": ROOT}
    print(f"cores: {os.cpu_count()}, load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}; medians of {args.repeat}", flush=True)
    small = _log(work, SMALL)
    for n in args.sizes:
        data = _log(work, n)
        ours: dict[str, list[dict]] = {name: [] for name in trees}
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        smalls: dict[str, list[dict]] = {name: [] for name in trees}
        duck, bare, fit = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.repeat):
                duck.append(_code(DUCK, ROOT, str(data)))
                for name, tree in trees.items():
                    ours[name].append(_code(OURS, tree, str(data)))
                if not args.no_pandas:
                    bare.append(_code(BARE, ROOT, str(data)))
                if args.run:
                    for name, tree in trees.items():
                        runs[name].append(_report(tree, data, Path(tmp) / f"{name}-{n}-{i}"))
                        smalls[name].append(_report(tree, small, Path(tmp) / f"{name}-small-{i}"))
                    fit.append(_code(BARE, ROOT, str(data), str(runs[name][-1]["k"])))
                print(f"  round {i + 1}/{args.repeat} done, load {os.getloadavg()[0]:.1f}", flush=True)
        d = _med([r["load"] for r in duck])
        print(f"\n{n:,} lines ({data.stat().st_size / 1e6:.0f} MB), {ours[next(iter(trees))][0]['customers']:,} customers; load average now {os.getloadavg()[0]:.1f}")
        print(f"  DuckDB, one query (read + R/F/M per customer): {d:6.2f} s (process {_med([r['seconds'] for r in duck]):.2f} s, "
              f"CPU {_med([r['cpu'] for r in duck]):.1f} s, peak {_med([r['peak_rss_mb'] for r in duck]):.0f} MB)")
        if bare:
            print(f"  pandas (pyarrow) read + clean + groupby:       {_med([r['seconds'] for r in bare]):6.2f} s (CPU {_med([r['cpu'] for r in bare]):.1f} s, "
                  f"peak {_med([r['peak_rss_mb'] for r in bare]):.0f} MB)")
        steps = list(dict.fromkeys(s for name in trees for r in ours[name] for s in r["steps"]))
        print("  reportgen load stage, s (median)   " + " | ".join(f"{name:>8}" for name in trees))
        for step in steps:
            print(f"    {step:<31} " + " | ".join(f"{_med([r['steps'].get(step, 0.0) for r in ours[name]]):8.2f}" for name in trees))
        for label, key in (("load stage (tx.load)", "load"), ("process (imports included)", "seconds"), ("CPU s", "cpu"), ("peak MB", "peak_rss_mb")):
            print(f"    {label:<31} " + " | ".join(f"{_med([r[key] for r in ours[name]]):8.2f}" for name in trees))
        print("    load / DuckDB query (goal <= 1.5) " + " | ".join(f"{_med([r['load'] for r in ours[name]]) / d:7.2f}x" for name in trees))
        if args.run:
            f = _med([r["seconds"] for r in fit])
            print(f"  bare pandas read + clean + groupby + StandardScaler + KMeans(k, n_init=1): {f:.2f} s")
            print(f"  reportgen run, s (median)           " + " | ".join(f"{name:>8}" for name in trees))
            for name in trees:
                big, tiny = _med([r["seconds"] for r in runs[name]]), _med([r["seconds"] for r in smalls[name]])
                stages = {s: _med([r["stages"].get(s, 0.0) for r in runs[name]]) for s in runs[name][0]["stages"]}
                top = ", ".join(f"{s} {v:.2f}" for s, v in sorted(stages.items(), key=lambda kv: -kv[1]) if s != "total" and v >= 0.2)
                print(f"    {name}: {n:,} lines {big:.2f} s, {SMALL:,} lines {tiny:.2f} s, added {big - tiny:.2f} s = {(big - tiny) / f:.2f}x bare (goal <= 1.2); "
                      f"peak {_med([r['peak_rss_mb'] for r in runs[name]]):.0f} MB (goal <= 1536); stages: {top}")
    print(f"\nload average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}; logs in {work}")


if __name__ == "__main__":
    main()
