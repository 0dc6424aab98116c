"""Cost of choosing k and of the trust measures, on synthetic planted customers (reportgen.sample).

Usage: .venv/bin/python benchmarks/trust.py [N ...] [--age] [--repeat R]
Default N: 200 100000 1000000. Prints, per N, the best of R wall times (seconds) of:
  cluster k=auto   the whole clustering stage, k chosen (what a default run pays)
  cluster k=given  the same with k given (--k 5): one fit on the sample, one pass over every row
  k choice         the difference: what choosing k costs
  old choice       for comparison, the rule this replaced: best silhouette over k=2..10 on the same sample
  trust            stages.trust.assess: confidence, stability per segment, alternatives
and the k, confidence and stabilities found, so the figures can be checked against each other.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout's reportgen

from reportgen.config import Clustering as ClusteringSettings
from reportgen.model import Features
from reportgen.sample import generate
from reportgen.stages.cluster import cluster
from reportgen.stages.trust import assess


def old_choice(x: np.ndarray, cfg: ClusteringSettings) -> int:
    """The former rule's work on the fitting sample: K-Means and silhouette for k = 2..10."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    if len(x) > cfg.fit_sample:
        x = x[np.sort(np.random.default_rng(cfg.seed).choice(len(x), cfg.fit_sample, replace=False))]
    size = cfg.silhouette_sample if len(x) > cfg.silhouette_sample else None
    with threadpool_limits(limits=1):
        scores = {
            k: silhouette_score(x, KMeans(k, n_init=cfg.n_init, random_state=cfg.seed).fit(x).labels_, sample_size=size, random_state=cfg.seed)
            for k in range(2, 11)
        }
    return max(scores, key=lambda k: scores[k])


def _best(fn, repeat: int):  # type: ignore[no-untyped-def]
    """Best wall time and best CPU time (all threads) of `repeat` calls, and the result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return (min(walls), min(cpus)), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 100_000, 1_000_000])
    parser.add_argument("--age", action="store_true", help="cluster on age, income and spending (default: income and spending)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    columns = (["Age"] if args.age else []) + ["Annual Income (k$)", "Spending Score (1-100)"]
    auto, given = ClusteringSettings(), ClusteringSettings(k=5)
    warm = generate(500, seed=1)[columns].to_numpy(dtype=np.float64)  # imports and first calls out of the timings
    f = Features((warm - warm.mean(axis=0)) / warm.std(axis=0), tuple(columns), warm.mean(axis=0), warm.std(axis=0))
    assess(f, cluster(f, auto), auto)

    print("seconds, wall / CPU (CPU counts every thread; on a busy machine wall time is the noisier one)")
    print(f"{'rows':>10} {'k=auto':>13} {'k=given':>13} {'k choice':>13} {'old choice':>13} {'trust':>13}  k  confidence  stability per segment")
    for n in args.sizes:
        raw = generate(n, seed=7)[columns].to_numpy(dtype=np.float64)
        mean, scale = raw.mean(axis=0), raw.std(axis=0)
        f = Features((raw - mean) / scale, tuple(columns), mean, scale)
        t_auto, c = _best(lambda: cluster(f, auto), args.repeat)
        t_given, _ = _best(lambda: cluster(f, given), args.repeat)
        t_old, _ = _best(lambda: old_choice(f.matrix, auto), args.repeat)
        t_trust, t = _best(lambda: assess(f, c, auto), args.repeat)
        stab = " ".join(f"{s:.2f}" for s in t.stability)
        choice = (t_auto[0] - t_given[0], t_auto[1] - t_given[1])
        cells = " ".join(f"{w:>6.3f}/{p:<6.3f}" for w, p in (t_auto, t_given, choice, t_old, t_trust))
        print(f"{n:>10,} {cells}  {c.k:>1}  {t.confidence.level:<10}  {stab}")


if __name__ == "__main__":
    main()
