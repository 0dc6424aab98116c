"""K-Means with a k that serves a briefing, and clusters numbered the same way on every run.

Rule for k (when clustering.k is 'auto'): fit K-Means for every k from k_min to k_max (3 to 8 by
default, capped at the number of distinct customers) and score each k by silhouette (separation),
Davies-Bouldin and Calinski-Harabasz, the knee of the inertia curve, and the share of its smallest
segment. Then, in order:

1. a k that leaves a segment smaller than clustering.min_share of the customers is set aside (a
   segment of a handful of customers is not worth a campaign);
2. the k whose silhouette is within clustering.silhouette_tolerance of the best are the shortlist
   (differences that small are noise); the best three of them are resampled (bootstrap, as in
   Hennig's clusterboot) and a k in which a segment dissolves under resampling (its stability,
   the mean best Jaccard match, below 0.5) is set aside while a k without one remains; when every
   k of the shortlist dissolves, up to three more k are resampled in order of silhouette and the
   first whose segments hold is taken (a lattice of integer counts can give many tiny, crisp but
   arbitrary clusters the best silhouette);
3. of what is left, each criterion votes for its favourite — best silhouette, best Davies-Bouldin,
   best Calinski-Harabasz, the knee, the most stable — and the k with most votes wins; a tie goes
   to the higher silhouette, then to the smaller k (fewer segments are easier to act on).

The reasons are kept in words (Clustering.k_reasons) for the appendix. Silhouette is scored on a
seeded sample of at most clustering.silhouette_sample rows, because its cost grows with the square
of the rows; stability on at most clustering.stability_sample rows.

Large tables: k and the starting centres are chosen on a seeded sample of clustering.fit_sample
rows (with n_init starts per k); then one K-Means pass over every row starts from those centres
(n_init=1), which converges in a few iterations because the centres are already close. See
benchmarks/scale.py for the measurements behind this (and against MiniBatchKMeans), and
benchmarks/trust.py for the cost of choosing k and of the trust measures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from sklearn.cluster import KMeans
from scipy.spatial.distance import cdist
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ..config import Clustering as ClusteringSettings
from ..errors import DataError
from ..model import DISSOLVES, STABLE, Clustering, Features, KScore
from .kmeans import FINE, LABEL, SINGLE_THREAD_BELOW, InMemory, PassRows, finish

SHORTLIST = 3  # at most this many k are resampled for stability


def _fit(x: np.ndarray, k: int, cfg: ClusteringSettings, n_init: int | None = None, seed: int | None = None) -> KMeans:
    return KMeans(n_clusters=k, n_init=n_init or cfg.n_init, random_state=cfg.seed if seed is None else seed).fit(x)


def silhouettes(x: np.ndarray, cfg: ClusteringSettings) -> Callable[[np.ndarray], float]:
    """Silhouette of any labelling of `x`: silhouette_score(x, labels, sample_size=
    clustering.silhouette_sample when x has more rows, random_state=clustering.seed), for scoring many
    labellings of the same rows: silhouette_score draws the same seeded rows for each of them, so
    their distance matrix is computed once (six k cost one matrix, not six)."""
    n = len(x)
    rows = check_random_state(cfg.seed).permutation(n)[: cfg.silhouette_sample] if n > cfg.silhouette_sample else np.arange(n)
    distances = cdist(x[rows], x[rows])

    def score(labels: np.ndarray) -> float:
        return mean_silhouette(distances, labels[rows])

    return score


def mean_silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Rousseeuw's mean silhouette from a square distance matrix, as silhouette_score(metric=
    "precomputed") defines it (a customer alone in its segment scores 0), equal to it up to rounding
    (1e-16). Each customer's summed distance to every segment is one matrix product here, not a
    loop over chunks of rows: about 5x faster, and the k choice scores up to 13 labellings."""
    ids, inverse = np.unique(labels, return_inverse=True)
    n = len(inverse)
    members = np.zeros((n, len(ids)))
    members[np.arange(n), inverse] = 1.0
    sums = distances @ members
    counts = members.sum(axis=0)
    own = counts[inverse]
    within = sums[np.arange(n), inverse] / np.maximum(own - 1, 1)
    means = sums / counts
    means[np.arange(n), inverse] = np.inf
    nearest = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        each = (nearest - within) / np.maximum(within, nearest)
    each[own == 1] = 0.0
    return float(np.nan_to_num(each, posinf=0.0, neginf=0.0).mean())


def sample_rows(n: int, size: int, seed: int) -> slice | np.ndarray:
    """Every row, or a seeded sample of `size` rows in file order."""
    if n <= size:
        return slice(None)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def canonical_order(x: np.ndarray) -> np.ndarray:
    """The rows sorted by their values (first feature, then the next...): K-Means' random starts
    then see the same customers in the same order however the file was sorted, so the same
    customers give the same segments whichever way they were exported."""
    return np.lexsort(x.T[::-1])


def _score_rows(n: int, cfg: ClusteringSettings) -> slice | np.ndarray:
    return sample_rows(n, cfg.fit_sample, cfg.seed + 1)


def bootstrap_stability(
    x: np.ndarray, labels: np.ndarray, k: int, cfg: ClusteringSettings, regroup: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None
) -> np.ndarray:
    """Per cluster id, its mean best Jaccard match over clustering.bootstrap resamples (Hennig's clusterboot).

    Each resample draws the rows of `x` with replacement and refits K-Means with the same k (or, for
    segments formed otherwise, `regroup(x_drawn, drawn, seed)`, which returns each drawn row's
    segment id, -1 for none); the original cluster, restricted to the drawn rows, is compared with
    every new cluster on those rows. 1 = the segment comes back every time; below 0.5 it dissolves.
    Seeded, so the same inputs give the same figures. `x` should already be a sample of manageable
    size (clustering.stability_sample).
    """
    n = len(x)
    rng = np.random.default_rng(cfg.seed + 7)
    n_init = min(cfg.n_init, 3)
    found = np.zeros(k)
    for b in range(cfg.bootstrap):
        drawn = rng.integers(0, n, n)
        original = labels[drawn]
        xb = x[drawn]
        if regroup is not None:
            boot = regroup(xb, drawn, cfg.seed + 1000 + b)
        else:
            distinct = len(np.unique(xb.round(12), axis=0))
            if distinct < k:  # too few distinct customers drawn to refit: count as not found
                continue
            boot = _fit(xb, k, cfg, n_init=n_init, seed=cfg.seed + 1000 + b).labels_
        both = np.zeros((k, k))
        placed = boot >= 0
        np.add.at(both, (original[placed], boot[placed]), 1)
        union = np.bincount(original, minlength=k)[:, None] + np.bincount(boot[placed], minlength=k)[None, :] - both
        jaccard = np.divide(both, union, out=np.zeros_like(both), where=union > 0)
        found += jaccard.max(axis=1)
    return found / cfg.bootstrap


def _knees(inertia: dict[int, float]) -> dict[int, float]:
    """For each k with both neighbours fitted: how much more the step to k gained than the step after it."""
    out = {}
    for k in inertia:
        if k - 1 in inertia and k + 1 in inertia:
            after = inertia[k] - inertia[k + 1]
            before = inertia[k - 1] - inertia[k]
            out[k] = before / after if after > 1e-12 else float("inf")
    return out


@dataclass
class _Candidate:
    k: int
    model: KMeans
    score: KScore


def _choose(x: np.ndarray, k_low: int, k_high: int, most: int, cfg: ClusteringSettings) -> tuple[KMeans, list[KScore], list[str]]:
    """The k rule of the module docstring: returns the chosen model, the curve and the reasons."""
    fitted = {k: _fit(x, k, cfg) for k in range(k_low, k_high + 1)}
    inertia = {k: float(m.inertia_) for k, m in fitted.items()}
    if k_low - 1 == 1:
        inertia[1] = float(((x - x.mean(axis=0)) ** 2).sum())
    elif k_low - 1 >= 2:
        inertia[k_low - 1] = float(_fit(x, k_low - 1, cfg).inertia_)
    if k_high + 1 <= most:
        inertia[k_high + 1] = float(_fit(x, k_high + 1, cfg).inertia_)
    knees = _knees(inertia)
    knee = max(sorted(knees), key=lambda k: knees[k]) if knees else None

    cands: dict[int, _Candidate] = {}
    silhouette = silhouettes(x, cfg)
    for k, model in fitted.items():
        labels = model.labels_
        sizes = np.bincount(labels, minlength=k)
        several = int((sizes > 0).sum()) > 1
        cands[k] = _Candidate(
            k,
            model,
            KScore(
                k,
                round(silhouette(labels), 4) if several else 0.0,
                calinski_harabasz=round(float(calinski_harabasz_score(x, labels)), 2) if several else 0.0,
                davies_bouldin=round(float(davies_bouldin_score(x, labels)), 4) if several else 0.0,
                inertia=round(inertia[k], 4),
                min_share=round(float(sizes.min() / len(x)), 4),
            ),
        )
    reasons: list[str] = []

    # 1. segments big enough to act on
    big = [c for c in cands.values() if c.score.min_share >= cfg.min_share]
    small = [c for c in cands.values() if c.score.min_share < cfg.min_share]
    if small and big:
        reasons.append(
            f"{_ks(small)} set aside: {'it leaves' if len(small) == 1 else 'each leaves'} a segment under "
            f"{cfg.min_share:.0%} of customers (smallest {min(c.score.min_share for c in small):.1%})."
        )
    elif not big:
        reasons.append(f"Every k from {k_low} to {k_high} leaves a segment under {cfg.min_share:.0%} of customers; all were weighed.")
        big = list(cands.values())

    # 2. separation, then stability of the close contenders
    best_sil = max(c.score.silhouette for c in big)
    close = sorted(
        (c for c in big if c.score.silhouette >= best_sil - cfg.silhouette_tolerance - 1e-9),
        key=lambda c: (-c.score.silhouette, c.k),
    )[:SHORTLIST]
    rows = sample_rows(len(x), cfg.stability_sample, cfg.seed + 2)
    for c in close:
        lowest = bootstrap_stability(x[rows], c.model.labels_[rows], c.k, cfg).min()
        c.score = replace(c.score, stability=round(float(lowest), 4))
    steady = [c for c in close if c.score.stability is not None and c.score.stability >= DISSOLVES]
    fallback = not steady
    if fallback:  # every close k dissolves: the next best-separated k whose segments hold
        further = sorted((c for c in big if c not in close), key=lambda c: (-c.score.silhouette, c.k))[:SHORTLIST]
        for c in further:
            lowest = bootstrap_stability(x[rows], c.model.labels_[rows], c.k, cfg).min()
            c.score = replace(c.score, stability=round(float(lowest), 4))
            if lowest >= DISSOLVES:
                reasons.append(
                    f"{_ks(close)} {'scores' if len(close) == 1 else 'score'} best on silhouette, but "
                    f"{'one of its segments dissolves' if len(close) == 1 else 'each has a segment that dissolves'} when the customers are "
                    f"resampled (stability {', '.join(f'{d.score.stability:.2f}' for d in close)}); k={c.k} is the best-separated k whose segments hold."
                )
                steady = [c]
                break
    curve = [cands[k].score for k in sorted(cands)]
    if steady and len(steady) < len(close) and not fallback:
        for c in close:
            if c not in steady:
                reasons.append(
                    f"k={c.k} scores {c.score.silhouette:.2f} but one of its segments dissolves when the customers "
                    f"are resampled (stability {c.score.stability:.2f})."
                )
    pool = steady or close

    # 3. the criteria vote
    votes: dict[int, list[str]] = {c.k: [] for c in pool}
    sil = max(pool, key=lambda c: (c.score.silhouette, -c.k))
    votes[sil.k].append(f"best silhouette ({sil.score.silhouette:.2f})")
    db = min(pool, key=lambda c: (c.score.davies_bouldin, c.k))
    votes[db.k].append(f"best Davies-Bouldin ({db.score.davies_bouldin:.2f})")
    ch = max(pool, key=lambda c: (c.score.calinski_harabasz, -c.k))
    votes[ch.k].append(f"best Calinski-Harabasz ({ch.score.calinski_harabasz:.0f})")
    if knee is not None and knee in votes:
        votes[knee].append("the knee of the inertia curve")
    if len(pool) > 1:
        st = max(pool, key=lambda c: (c.score.stability or 0.0, -c.k))
        votes[st.k].append("the most stable segments")
    chosen = max(pool, key=lambda c: (len(votes[c.k]), c.score.silhouette, -c.k))
    if fallback and len(pool) == 1:  # one k left: the criteria did not weigh it against others
        votes[chosen.k] = []
    lead = f"k={chosen.k}: " + _and(votes[chosen.k]) if votes[chosen.k] else f"k={chosen.k}: silhouette {chosen.score.silhouette:.2f}"
    if len(close) == 1 and chosen in close:
        lead += f"; no other k weighed comes within {cfg.silhouette_tolerance:.2f} of its silhouette"
    if chosen.score.stability is not None:
        lowest = chosen.score.stability
        if lowest >= STABLE:
            lead += f"; every segment holds when the customers are resampled (lowest stability {lowest:.2f})"
        elif lowest >= DISSOLVES:
            lead += f"; its least stable segment only partly holds when the customers are resampled (stability {lowest:.2f})"
        else:
            lead += f"; but one of its segments dissolves when the customers are resampled (stability {lowest:.2f})"
    reasons.insert(0, lead + ".")
    for c in pool:
        if c is not chosen:
            if votes[c.k]:
                reasons.append(f"k={c.k} scores {c.score.silhouette:.2f}, close, but fewer criteria favour it: {_and(votes[c.k])}.")
            else:
                reasons.append(f"k={c.k} scores {c.score.silhouette:.2f}, close, but no other criterion favours it.")
    return chosen.model, curve, reasons


def _ks(cands: list[_Candidate]) -> str:
    ks = sorted(c.k for c in cands)
    return "k=" + ", ".join(str(k) for k in ks)


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def cluster(features: Features, cfg: ClusteringSettings, rows: PassRows | None = None) -> Clustering:
    """k and the starting centres from the held rows (every row, or a seeded sample of a large
    table), then one K-Means pass over every customer from those centres, executed by `rows` (by
    default the features matrix in memory); clusters numbered largest first."""
    # Small tables (and the sample k is chosen on, at most fit_sample rows) cluster faster on one
    # thread than with OpenMP threads spinning against the chart browser that boots at the same
    # time; the pass over every row of a large table uses every core (kmeans_pass).
    with threadpool_limits(limits=1):
        x, model, curve, reasons = _on_sample(features, cfg)
    labels, sizes = finish(rows or InMemory(features.matrix), features, model.cluster_centers_, cfg.seed, LABEL)
    held = features.matrix
    k = int(model.n_clusters)
    scored = _score_rows(len(held), cfg)  # the quality measures on a seeded sample of large tables
    with threadpool_limits(limits=1 if len(held) < SINGLE_THREAD_BELOW else None):
        return Clustering(
            k=k,
            k_auto=cfg.k == "auto",
            labels=labels,
            silhouette=round(silhouettes(held[scored], cfg)(labels[scored]), 4),
            davies_bouldin=round(float(davies_bouldin_score(held[scored], labels[scored])), 4),
            calinski_harabasz=round(float(calinski_harabasz_score(held[scored], labels[scored])), 2),
            k_curve=tuple(curve),
            sizes=sizes,
            k_reasons=tuple(reasons),
        )


def _on_sample(features: Features, cfg: ClusteringSettings) -> tuple[np.ndarray, KMeans, list[KScore], list[str]]:
    """k (by the rule above) and the model, fitted on every row or a seeded sample of a large table."""
    x = _fit_rows(features.matrix, cfg)
    distinct = len(np.unique(x.round(12), axis=0))
    if distinct < 2:
        raise DataError(
            f"All {len(x)} customers have the same {', '.join(features.roles)}; there is nothing to segment.",
            "Check the export, or cluster on other --features.",
        )
    most = min(distinct, len(x) - 1)
    curve: list[KScore] = []
    if cfg.k == "auto":
        k_high = min(cfg.k_max, most)
        if k_high < cfg.k_min:
            raise DataError(
                f"Only {distinct} distinct customers; choosing k from {cfg.k_min} to {cfg.k_max} needs at least {cfg.k_min}.",
                "Give more customers, or set --k to a smaller number.",
            )
        model, curve, reasons = _choose(x, cfg.k_min, k_high, most, cfg)
    else:
        if cfg.k > most:
            raise DataError(
                f"k={cfg.k} segments were asked for, but {distinct} distinct customers allow at most {most}.",
                f"Use --k {most} or fewer, or --k auto.",
            )
        model = _fit(x, cfg.k, cfg)
        reasons = [f"k={cfg.k} was set in the settings (clustering.k / --k), not chosen from the data."]
    return x, model, curve, reasons


def _fit_rows(full: np.ndarray, cfg: ClusteringSettings) -> np.ndarray:
    """The rows K-Means' starts are fitted on: a seeded sample of a large table, else every row in
    canonical order."""
    if len(full) > cfg.fit_sample:
        return full[np.sort(np.random.default_rng(cfg.seed).choice(len(full), cfg.fit_sample, replace=False))]
    return full[canonical_order(full)]


def fine_start(features: Features, k: int, cfg: ClusteringSettings) -> np.ndarray:
    """The centres of K-Means with a fixed, larger k (segments formed by name from fine clusters, see
    stages/members.py), fitted as `cluster` fits: on the rows in canonical order or on a seeded
    sample of a large table. Both engines then run K-Means over every row from these centres."""
    with threadpool_limits(limits=1):
        return _fit(_fit_rows(features.matrix, cfg), k, cfg).cluster_centers_


def fine(features: Features, k: int, cfg: ClusteringSettings, rows: PassRows, column: str = FINE) -> np.ndarray:
    """Fine clusters over every customer from `fine_start`'s centres, kept as `column`; the held rows' ids."""
    held, _ = finish(rows, features, fine_start(features, k, cfg), cfg.seed, column)
    return held


def regroup(features: Features, labels: np.ndarray, k: int, base: Clustering, reason: str, cfg: ClusteringSettings) -> Clustering:
    """The clustering of segments formed otherwise than by K-Means' own partition (by name): the same
    k curve and reasons, plus why, and quality measures of the segments as they are."""
    x = features.matrix
    scored = _score_rows(len(x), cfg)
    several = len(np.unique(labels[scored])) > 1
    return Clustering(
        k=k,
        k_auto=base.k_auto,
        labels=labels,
        silhouette=round(silhouettes(x[scored], cfg)(labels[scored]), 4) if several else 0.0,
        davies_bouldin=round(float(davies_bouldin_score(x[scored], labels[scored])), 4) if several else 0.0,
        calinski_harabasz=round(float(calinski_harabasz_score(x[scored], labels[scored])), 2) if several else 0.0,
        k_curve=base.k_curve,
        sizes=tuple(int(n) for n in np.bincount(labels, minlength=k)),
        k_reasons=(*base.k_reasons, reason),
        chosen_k=base.clusters_k,
    )
