"""Scale benchmark: generate N customers with `reportgen sample`, run the whole report, print the
wall time per stage and peak memory, and a bare scikit-learn fit on the same matrix for comparison.

Usage: .venv/bin/python benchmarks/scale.py [N ...] [--format csv|parquet] [--keep DIR]
Default N: 200 100000 1000000 10000000. Each run is a fresh process (browser start included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import sys, time, json
import numpy as np, pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
path, k = sys.argv[1], int(sys.argv[2])
cols = ["Annual Income (k$)", "Spending Score (1-100)"]
start = time.perf_counter()
frame = pd.read_parquet(path, columns=cols) if path.endswith(".parquet") else pd.read_csv(path, usecols=cols, engine="pyarrow")
x = frame.to_numpy(dtype=np.float64)
x = (x - x.mean(axis=0)) / x.std(axis=0)
out = {"load": time.perf_counter() - start}
for name, model in (("kmeans_n_init_1", KMeans(k, n_init=1, random_state=42)),
                    ("kmeans_n_init_10", KMeans(k, n_init=10, random_state=42)),
                    ("minibatch", MiniBatchKMeans(k, n_init=3, random_state=42, batch_size=4096))):
    if name == "kmeans_n_init_10" and len(x) > 2_000_000:
        continue  # minutes at 10M: the point is made at 1M
    start = time.perf_counter(); model.fit(x); out[name] = time.perf_counter() - start
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--keep", type=Path, help="keep the generated data and reports here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reportgen-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        data = work / f"customers-{n}.{args.format}"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reportgen", "sample", "--rows", str(n), "--seed", "7", "--out", str(data)], check=True, capture_output=True)
        generated = time.perf_counter() - start
        out = work / f"out-{n}"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reportgen", "run", "--data", str(data), "--out", str(out), "--period", "2026-01"], check=True, capture_output=True)
        wall = time.perf_counter() - start
        manifest = json.loads((out / "2026-01" / "manifest.json").read_text())
        summary = json.loads((out / "2026-01" / "summary.json").read_text())
        t = manifest["timings_s"]
        bare = json.loads(subprocess.run([sys.executable, "-c", BARE, str(data), str(summary["k"])], check=True, capture_output=True, text=True).stdout)
        folder = out / "2026-01"
        rows.append((n, generated, wall, t, manifest["peak_rss_mb"], bare, summary["k"], (folder / "briefing.pdf").stat().st_size, _email_html_size(folder)))
        print(f"N={n:>10,}: {wall:6.2f} s wall, peak RSS {manifest['peak_rss_mb']} MB", flush=True)
    print()
    print("N           | wall s | load  | cluster | profile | charts+pdf+html | email | write | browser start | peak RSS MB | k | PDF KB | email HTML KB | bare KMeans n_init=1 | n_init=10 | MiniBatch")
    for n, _, wall, t, rss, bare, k, pdf, html in rows:
        render = t["charts"] + t["pdf"] + t.get("html", 0)
        n10 = f"{bare['kmeans_n_init_10']:.2f}" if "kmeans_n_init_10" in bare else "skipped"
        print(
            f"{n:>11,} | {wall:6.2f} | {t['load']:5.2f} | {t['cluster']:7.2f} | {t.get('profile', 0):7.2f} | {render:15.2f} | {t['email']:5.2f} | {t['write']:5.2f} |"
            f" {t.get('browser_start', 0):13.2f} | {rss:11} | {k} | {pdf // 1024:6} | {html // 1024:13} | {bare['kmeans_n_init_1']:20.2f} | {n10:>9} | {bare['minibatch']:9.2f}"
        )
    # The marginal cost of N customers: the run's wall time above the smallest run's (process start,
    # browser, fixed-size documents), against the least any tool must do: read the two columns and
    # fit K-Means once (n_init=1) at the k the run chose.
    smallest = min(rows, key=lambda r: r[0])
    print("\nmarginal cost against a bare load + K-Means fit (n_init=1):")
    for n, _, wall, t, rss, bare, k, pdf, html in rows:
        if n == smallest[0]:
            continue
        bare_s = bare["load"] + bare["kmeans_n_init_1"]
        marginal = wall - smallest[2]
        print(f"  N={n:>11,}: marginal {marginal:6.2f} s (wall {wall:.2f} - {smallest[2]:.2f} at N={smallest[0]:,}); bare {bare_s:5.2f} s (load {bare['load']:.2f} + fit {bare['kmeans_n_init_1']:.2f}); ratio {marginal / bare_s:4.1f}x")
        stages = {name: s for name, s in t.items() if name != "total" and s >= 0.2}
        print("     stages over 0.2 s: " + ", ".join(f"{name} {s:.2f}" for name, s in sorted(stages.items(), key=lambda kv: -kv[1])))
    print(f"\ndata and reports in {work}")


def _email_html_size(folder: Path) -> int:
    import email
    import email.policy

    msg = email.message_from_bytes((folder / "report.eml").read_bytes(), policy=email.policy.default)
    return len(msg.get_body(("html",)).get_content().encode())  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
