"""How far the segments can be believed: confidence, stability per segment, other methods compared.

- **Confidence** combines three questions. Is there any grouping to find? The Hopkins statistic
  compares each customer's distance to its nearest neighbour with the distance from random points,
  spread evenly over the same box, to their nearest customer: about 0.5 when the customers are as
  structureless as those random points, towards 1 when they bunch into groups. Hopkins alone
  mistakes any bell-shaped or skewed cloud for groups, so the segments' silhouette is also set
  against a reference, as in the gap statistic: the silhouette K-Means with the same k reaches on
  structureless customers drawn like these (evenly over the box of their principal axes, and as one
  bell-shaped cloud with their covariance; the higher counts). Are the segments apart? Their
  silhouette. Do they come back? Their bootstrap stability.
  weak: tendency below 0.6, silhouette less than 0.05 above the reference, silhouette below 0.25,
  or stability below 0.6 on average. strong: tendency >= 0.75, silhouette >= 0.5 and at least 0.1
  above the reference, and every segment stable (>= 0.75). moderate otherwise.
- **Stability per segment**: Hennig's clusterboot — resample the customers with replacement
  (clustering.bootstrap times, seeded), refit K-Means with the same k, and take for each segment
  its best Jaccard match among the new clusters, averaged: >= 0.75 stable, below 0.5 it dissolves.
- **Alternatives**: a Gaussian mixture and Ward's hierarchical clustering on the same scaled
  features and k; agreement is the adjusted Rand index with the K-Means segments on the same rows.

Everything runs on seeded samples (clustering.stability_sample, clustering.alternatives_sample
rows), so it costs about the same at a million customers as at a few thousand, and the same inputs
give the same figures.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans
from scipy.spatial.distance import cdist
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from ..config import Clustering as ClusteringSettings
from ..model import STABLE, Alternative, Clustering, Confidence, Features, Grouping, Trust
from . import members
from .cluster import _fit, bootstrap_stability, canonical_order, mean_silhouette, sample_rows, silhouettes

MIN_RESAMPLED = 20  # customers of each segment at least in the stability sample
HOPKINS_POINTS = 1000  # customers probed, and as many random points
HOPKINS_SAMPLE = 10_000  # the nearest neighbours are looked for among at most this many customers
REFERENCE_POINTS = 1000  # structureless customers drawn for the reference silhouette
REFERENCE_DRAWS = 2  # draws of each reference, averaged
# silhouette excess = the segments' silhouette minus the reference's
STRONG = {"hopkins": 0.75, "silhouette": 0.5, "excess": 0.1, "stability": STABLE}  # all must hold
WEAK = {"hopkins": 0.6, "silhouette": 0.25, "excess": 0.05, "stability": 0.6}  # any one below makes it weak


def assess(features: Features, clustering: Clustering, cfg: ClusteringSettings) -> Trust:
    """Confidence, stability per cluster id and the other methods, for the clustering K-Means made."""
    x = features.matrix
    labels = np.asarray(clustering.labels)
    g = clustering.grouping
    cells = g.cells if g is not None else None
    if len(x) <= cfg.fit_sample:  # as cluster() does: the same customers give the same figures in any file order
        order = canonical_order(x)
        x, labels = x[order], labels[order]
        cells = cells[order] if cells is not None else None
    with threadpool_limits(limits=1):  # small samples: threads cost more than they give
        stable_rows = _stability_rows(labels, clustering.k, cfg)
        regroup = _regrouping(g, cells[stable_rows], cfg) if g is not None and cells is not None else None
        stability = bootstrap_stability(x[stable_rows], labels[stable_rows], clustering.k, cfg, regroup)
        stability = tuple(round(float(s), 4) for s in stability)
        tendency = round(hopkins(x, cfg.seed), 4)
        reference = reference_silhouette(x, clustering.k, cfg)
        confidence = _confidence(tendency, clustering.silhouette, reference, stability)
        alternatives = compare(x, labels, clustering.k, cfg)
    return Trust(
        confidence=confidence,
        stability=stability,
        alternatives=alternatives,
        rows=len(stable_rows),
    )


def _regrouping(g: Grouping, cells: np.ndarray, cfg: ClusteringSettings) -> Callable[[np.ndarray, np.ndarray, int], np.ndarray]:
    """Segments formed by name, formed again on a resample: fine clusters refitted, names taken anew,
    each drawn customer's segment id by name (-1 where the resample forms no segment of that name)."""
    segment_of = {r: i for i, r in enumerate(g.rules)}
    n_cells = len(g.own)

    def regroup(xb: np.ndarray, drawn: np.ndarray, seed: int) -> np.ndarray:
        k = members.fine_k(len(np.unique(xb.round(12), axis=0)), len(xb))
        fine = _fit(xb, k, cfg, n_init=min(cfg.n_init, 3), seed=seed).labels_
        mine = cells[drawn]
        by = members.by_name(members.counts(fine, k, mine, n_cells), g.own, g.n_rules, members.min_size(g.min_share, len(xb)), g.max_segments)
        ids = np.array([segment_of.get(r, -1) for r in by.rules] or [-1], dtype=np.int64)
        return ids[by.segment[fine, mine]]

    return regroup


def _stability_rows(labels: np.ndarray, k: int, cfg: ClusteringSettings) -> np.ndarray:
    """A seeded sample of the rows, topped up so even a tiny segment has a few customers to resample."""
    n = len(labels)
    rows = np.arange(n)[sample_rows(n, cfg.stability_sample, cfg.seed + 2)]
    rng = np.random.default_rng(cfg.seed + 4)
    extra = []
    counts = np.bincount(labels[rows], minlength=k)
    for c in np.flatnonzero(counts < MIN_RESAMPLED):
        members = np.setdiff1d(np.flatnonzero(labels == c), rows)
        extra.append(rng.choice(members, min(len(members), MIN_RESAMPLED - counts[c]), replace=False))
    return np.sort(np.concatenate([rows, *extra])) if extra else rows


FEW_POINTS = 20  # fewer distinct rows than this, each held by several customers: groups, not a coarse scale


def hopkins(x: np.ndarray, seed: int) -> float:
    """Hopkins statistic with the dimension as exponent (Wright 2022), on the distinct rows of a sample.

    About 0.5 for customers spread like uniform noise over their bounding box; towards 1 when they
    bunch into groups. Duplicates are dropped first, so a coarse scale (whole numbers) is not mistaken
    for tight groups; but customers that sit on a few exact points (fewer than FEW_POINTS distinct
    rows, each shared by several customers) are the tightest grouping there is, and every customer
    counts then (four groups of identical customers are not 'weak').
    """
    rng = np.random.default_rng(seed + 5)
    if len(x) > HOPKINS_SAMPLE:
        x = x[np.sort(rng.choice(len(x), HOPKINS_SAMPLE, replace=False))]
    distinct = np.unique(x.round(12), axis=0)
    if len(distinct) >= FEW_POINTS or len(x) < 2 * len(distinct):
        x = distinct
    n, d = x.shape
    if n < 3:
        return 0.5
    m = min(HOPKINS_POINTS, n)
    probes = x[rng.choice(n, m, replace=False)]
    low, high = x.min(axis=0), x.max(axis=0)
    random = rng.uniform(low, high, size=(HOPKINS_POINTS, d))
    nn = NearestNeighbors(n_neighbors=2).fit(x)
    w = nn.kneighbors(probes, n_neighbors=2, return_distance=True)[0][:, 1]  # nearest other customer
    u = nn.kneighbors(random, n_neighbors=1, return_distance=True)[0][:, 0]
    uw, ww = float(np.mean(u**d)), float(np.mean(w**d))
    return uw / (uw + ww) if uw + ww > 0 else 0.5


def reference_silhouette(x: np.ndarray, k: int, cfg: ClusteringSettings) -> float:
    """The silhouette K-Means reaches with the same k on structureless customers like these.

    Two references, as in the gap statistic: points spread evenly over the box of the customers'
    principal axes, and one bell-shaped cloud with the customers' means and covariance. The higher
    of the two is kept: segments are only natural groups if they beat both.
    """
    rng = np.random.default_rng(cfg.seed + 11)
    if len(x) > HOPKINS_SAMPLE:
        x = x[np.sort(rng.choice(len(x), HOPKINS_SAMPLE, replace=False))]
    mean = x.mean(axis=0)
    centred = x - mean
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    turned = centred @ axes.T
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    best = 0.0
    for kind in ("box", "cloud"):
        scores = []
        for draw in range(REFERENCE_DRAWS):
            if kind == "box":
                ref = rng.uniform(turned.min(axis=0), turned.max(axis=0), size=(REFERENCE_POINTS, x.shape[1])) @ axes + mean
            else:
                ref = rng.multivariate_normal(mean, cov, size=REFERENCE_POINTS, method="eigh")
            labels = KMeans(n_clusters=k, n_init=min(cfg.n_init, 3), random_state=cfg.seed + draw).fit(ref).labels_
            scores.append(mean_silhouette(cdist(ref, ref), labels) if len(np.unique(labels)) > 1 else 0.0)
        best = max(best, float(np.mean(scores)))
    return best


def _confidence(tendency: float, silhouette: float, reference: float, stability: tuple[float, ...]) -> Confidence:
    mean_stability = round(float(np.mean(stability)), 4) if stability else 0.0
    lowest = min(stability) if stability else 0.0
    excess = silhouette - reference
    reasons = []
    if tendency < WEAK["hopkins"]:
        reasons.append(f"the customers are spread almost as evenly as random points (clustering tendency {tendency:.2f}; 0.5 is none)")
    if excess < WEAK["excess"]:
        reasons.append(
            f"structureless customers cut into as many segments separate about as well (silhouette {silhouette:.2f} "
            f"against {reference:.2f})"
        )
    if silhouette < WEAK["silhouette"]:
        reasons.append(f"the segments overlap (silhouette {silhouette:.2f})")
    if mean_stability < WEAK["stability"]:
        reasons.append(f"the segments change when the customers are resampled (stability {mean_stability:.2f} on average)")
    if reasons:
        level = "weak"
    elif (
        tendency >= STRONG["hopkins"]
        and silhouette >= STRONG["silhouette"]
        and excess >= STRONG["excess"]
        and lowest >= STRONG["stability"]
    ):
        level = "strong"
    else:
        level = "moderate"
        if tendency < STRONG["hopkins"]:
            reasons.append(f"the grouping tendency is clear but not marked ({tendency:.2f})")
        if excess < STRONG["excess"]:
            reasons.append(f"the segments separate only a little better than structureless customers would ({silhouette:.2f} against {reference:.2f})")
        if silhouette < STRONG["silhouette"]:
            reasons.append(f"the segments touch (silhouette {silhouette:.2f})")
        if lowest < STRONG["stability"]:
            reasons.append(f"at least one segment is not stable under resampling (lowest {lowest:.2f})")
    return Confidence(level, tendency, silhouette, mean_stability, round(reference, 4), tuple(reasons))


def compare(x: np.ndarray, labels: np.ndarray, k: int, cfg: ClusteringSettings) -> tuple[Alternative, ...]:
    """A Gaussian mixture and Ward's method with the same k on a seeded sample, against K-Means."""
    rows = sample_rows(len(x), cfg.alternatives_sample, cfg.seed + 3)
    xs, ours = x[rows], labels[rows]
    if len(np.unique(xs.round(12), axis=0)) <= k:
        return ()
    found = {
        "Gaussian mixture": GaussianMixture(n_components=k, covariance_type="full", random_state=cfg.seed).fit(xs).predict(xs),
        "Ward hierarchical": AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(xs),
    }
    out = []
    silhouette = silhouettes(xs, cfg)  # one distance matrix for both methods
    for method, theirs in found.items():
        several = len(np.unique(theirs)) > 1
        sil = silhouette(theirs) if several else 0.0
        out.append(Alternative(method, k, round(sil, 4), round(float(adjusted_rand_score(ours, theirs)), 4)))
    return tuple(out)
