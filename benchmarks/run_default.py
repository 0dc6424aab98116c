"""Time the default run (`reportgen run` on the bundled sample) in fresh processes, stage by stage.

Usage:
  python benchmarks/run_default.py [--runs 7] [--compare DIR] [-- extra reportgen run options]

Each run is a new process (interpreter start, imports, browser start: everything a user waits for).
Prints the wall time per run, the median, min and max, the per-stage timings the run recorded in
manifest.json (medians), the peak RSS, and the machine's load average before and after (the machine
is shared: say what the load was when you quote a figure).

--compare DIR runs another source tree (for example `git archive main | tar -x -C /tmp/base`) in
alternation with this one (A B A B ...), so both see the same background load, and prints both side
by side. Stages that exist in only one of them show as '-'.

--notebook also runs benchmarks/notebook.py (the seed notebooks' pipeline: a browser per image, and
with --one-browser one for all) in turn with the runs, and prints the run's median over the
notebook's (issue 24: the default briefing stays <= 0.45x the notebook pipeline, in the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _one(tree: Path, out: Path, extra: list[str]) -> tuple[float, float, dict[str, float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cpu = _cpu()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reportgen", "-q", "run", "--out", str(out), "--period", "2026-01", *extra], check=True, capture_output=True, env=env, cwd=out.parent)
    wall = time.perf_counter() - start
    return wall, _cpu() - cpu, json.loads((out / "2026-01" / "manifest.json").read_text())["timings_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--compare", type=Path, help="another source tree to run in alternation (the 'before')")
    parser.add_argument("extra", nargs="*", help="options passed on to 'reportgen run'")
    parser.add_argument("--notebook", action="store_true", help="also time benchmarks/notebook.py in turn, and the ratio to it")
    args = parser.parse_args()
    trees = {"this": HERE} if args.compare is None else {"before": args.compare.resolve(), "after": HERE}
    notebooks: dict[str, list[float]] = {"notebook (a browser per image)": [], "notebook --one-browser": []}
    walls: dict[str, list[float]] = {name: [] for name in trees}
    cpus: dict[str, list[float]] = {name: [] for name in trees}
    stages: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        for i in range(args.runs):
            for name, tree in trees.items():
                wall, cpu, timings = _one(tree, Path(work) / f"out-{name}-{i}", args.extra)
                walls[name].append(wall)
                cpus[name].append(cpu)
                for stage, seconds in timings.items():
                    stages[name].setdefault(stage, []).append(seconds)
                print(f"run {i + 1} {name:<6}: {wall:5.2f} s wall, {cpu:5.2f} s CPU, load {os.getloadavg()[0]:.1f}", flush=True)
            if args.notebook:
                for label, extra in zip(notebooks, ([], ["--one-browser"])):
                    start = time.perf_counter()
                    subprocess.run([sys.executable, str(HERE / "benchmarks" / "notebook.py"), "--out", str(Path(work) / f"nb-{i}-{len(extra)}"), *extra],
                                   check=True, capture_output=True, cwd=work)
                    notebooks[label].append(time.perf_counter() - start)
                    print(f"run {i + 1} {label}: {notebooks[label][-1]:5.2f} s wall, load {os.getloadavg()[0]:.1f}", flush=True)
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nload average (1, 5, 15 min): before {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, after {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}; {os.cpu_count()} cores")
    for name in trees:
        w = walls[name]
        print(f"wall time, fresh process, {name}: median {statistics.median(w):.2f} s, min {min(w):.2f} s, max {max(w):.2f} s over {len(w)} runs;"
              f" CPU (user+sys of the processes it waited for; less sensitive to other load) median {statistics.median(cpus[name]):.2f} s")
    if args.notebook:
        for label, w in notebooks.items():
            print(f"{label}: median {statistics.median(w):.2f} s over {len(w)} runs; "
                  + ", ".join(f"{name} / notebook = {statistics.median(walls[name]) / statistics.median(w):.2f}x" for name in trees)
                  + (" (goal <= 0.45x)" if "per image" in label else ""))
    names = list(dict.fromkeys(s for name in trees for s in stages[name]))
    print("\nstages inside the run, median s" + ("" if len(trees) == 1 else " (" + " | ".join(trees) + ")") + ":")
    for stage in names:
        cells = [f"{statistics.median(stages[n][stage]):7.3f}" if stage in stages[n] else "      -" for n in trees]
        print(f"  {stage:<18} " + " | ".join(cells))
    print(f"\npeak RSS of a reportgen process: {peak_mb:.0f} MB (Chromium and the PDF worker run in their own processes)")


if __name__ == "__main__":
    main()
