"""Time the default run (`reportgen run` on the bundled sample) in fresh processes, stage by stage.

Usage: .venv/bin/python benchmarks/run_default.py [--runs 5] [-- extra reportgen run options]
Prints wall time per run (process start to exit, browser start included), the per-stage timings the
run recorded in manifest.json (median over runs), and the peak RSS of the reportgen process.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("extra", nargs="*", help="options passed on to 'reportgen run'")
    args = parser.parse_args()
    walls: list[float] = []
    stages: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as out:
        for i in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "reportgen", "-q", "run", "--out", out, "--period", "2026-01", *args.extra], check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
            timings = json.loads((Path(out) / "2026-01" / "manifest.json").read_text())["timings_s"]
            for name, seconds in timings.items():
                stages.setdefault(name, []).append(seconds)
            print(f"run {i + 1}: {walls[-1]:.2f} s wall")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\nwall time, fresh process: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s over {len(walls)} runs")
    print("stages inside the run (median s):")
    for name, values in stages.items():
        print(f"  {name:<10} {statistics.median(values):6.3f}")
    print(f"peak RSS of the reportgen process: {peak_mb:.0f} MB (Chromium runs in its own processes)")


if __name__ == "__main__":
    main()
