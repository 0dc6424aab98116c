"""Segments a marketer can trust: k, confidence, stability per segment, alternatives compared.

Real files (Mall, marketing_campaign) and data made here: uniform noise, planted groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import silhouette_score

from reportgen.config import Clustering as ClusteringSettings
from reportgen.model import STABLE, Clustering, Features, Trust
from reportgen.sample import generate
from reportgen.stages.cluster import cluster
from reportgen.render.wording import alternatives_sentence, confidence_sentence
from reportgen.stages.trust import assess

from .conftest import MALL, MARKETING


def features(x: np.ndarray) -> Features:
    x = np.asarray(x, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    return Features((x - mean) / scale, tuple(f"f{i}" for i in range(x.shape[1])), mean, scale)


def uniform(n: int, d: int, seed: int = 0) -> Features:
    return features(np.random.default_rng(seed).uniform(0, 100, size=(n, d)))


def blobs(k: int, n: int = 1000, seed: int = 0) -> tuple[Features, np.ndarray]:
    """k round groups of sd 1 on a circle of radius 10: far apart, so there is one right answer."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % k
    angle = 2 * np.pi * truth / k
    centres = np.column_stack([10 * np.cos(angle), 10 * np.sin(angle)])
    return features(centres + rng.normal(size=(n, 2))), truth


def mall() -> Features:
    frame = pd.read_csv(MALL)
    return features(frame[["Annual Income (k$)", "Spending Score (1-100)"]].to_numpy())


def marketing() -> Features:
    """Income, total spend, total purchases and recency; blank and implausible incomes dropped, log1p on counts."""
    frame = pd.read_csv(MARKETING, sep="\t")
    frame = frame[frame["Income"].notna() & (frame["Income"] <= 200_000)]
    spend = frame[["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]].sum(axis=1)
    purchases = frame[["NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases"]].sum(axis=1)
    return features(np.column_stack([frame["Income"], np.log1p(spend), np.log1p(purchases), frame["Recency"]]))


def both(f: Features, cfg: ClusteringSettings | None = None) -> tuple[Clustering, Trust]:
    cfg = cfg or ClusteringSettings()
    c = cluster(f, cfg)
    return c, assess(f, c, cfg)


def level_by_the_documented_rule(t: Trust) -> str:
    """The confidence level from its figures, as the module docstring and README state it: weak when
    the tendency is under 0.6, the silhouette under 0.25 or under 0.05 above the reference, or the
    mean stability under 0.6; strong when the tendency is 0.75 and up, the silhouette 0.5 and up and
    0.1 above the reference, and every segment stable; moderate otherwise."""
    c = t.confidence
    excess = c.silhouette - c.reference_silhouette
    if c.hopkins < 0.6 or c.silhouette < 0.25 or excess < 0.05 or c.stability < 0.6:
        return "weak"
    if c.hopkins >= 0.75 and c.silhouette >= 0.5 and excess >= 0.1 and min(t.stability) >= STABLE:
        return "strong"
    return "moderate"


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.slow  # k auto and trust on noise
def test_uniform_noise_is_weak(d: int) -> None:
    c, t = both(uniform(1000, d))
    assert t.confidence.level == "weak"
    assert 0.4 < t.confidence.hopkins < 0.6  # no tendency to group
    assert confidence_sentence(t.confidence).startswith("weak: ") and "continuum" in confidence_sentence(t.confidence)
    assert c.silhouette == max(p.silhouette for p in c.k_curve)  # still the slicing that separates best
    assert t.confidence.level == level_by_the_documented_rule(t)


def test_four_separated_groups_are_strong() -> None:
    f, truth = blobs(4)
    c, t = both(f)
    assert c.k == 4
    assert t.confidence.level == "strong" and t.confidence.hopkins > 0.9
    assert confidence_sentence(t.confidence).startswith("strong: ")
    assert len(t.stability) == 4 and all(s >= 0.9 for s in t.stability)
    assert {a.method for a in t.alternatives} == {"Gaussian mixture", "Ward hierarchical"}
    assert all(a.k == 4 and a.agreement >= 0.9 and a.silhouette > 0.6 for a in t.alternatives)
    assert "do not depend on the method" in alternatives_sentence(t.alternatives)


def test_mall_income_spending_is_five_segments_and_believable() -> None:
    c, t = both(mall())
    assert c.k == 5 and c.sizes == (81, 39, 35, 23, 22)
    assert c.silhouette == pytest.approx(0.5547, abs=1e-4)
    assert t.confidence.level != "weak"
    assert len(t.stability) == 5 and min(t.stability) >= 0.75
    assert all(a.agreement >= 0.75 for a in t.alternatives)
    assert c.k_reasons[0].startswith("k=5: best silhouette (0.55)")
    assert any(r.startswith("k=6 scores 0.54") for r in c.k_reasons)  # the close runner-up, and why not


def test_marketing_campaign_gives_a_useful_number_of_sizeable_segments() -> None:
    """Three segments of 28-41 %, each holding on resamples; 'moderate' because they separate only a
    little better than structureless customers would. Counts and silhouette checked against
    numpy and scikit-learn, the level against the documented rule."""
    f = marketing()
    c, t = both(f)
    counted = np.bincount(c.labels)
    assert c.k == 3 and c.sizes == tuple(counted) == (913, 672, 630)
    assert counted.min() / len(f.matrix) > 0.28  # no sliver segment
    assert c.silhouette == pytest.approx(silhouette_score(f.matrix, c.labels), abs=1e-4)
    assert c.silhouette == max(p.silhouette for p in c.k_curve)  # k=3 separates best of 3..8
    assert len(t.stability) == 3 and min(t.stability) >= STABLE
    assert t.confidence.level == level_by_the_documented_rule(t) == "moderate"
    assert t.confidence.reasons[0].startswith("the segments separate only a little better than structureless customers would")


def test_stability_tells_a_split_group_from_a_real_one() -> None:
    """Three groups forced into four segments: one group is cut in two, and those halves do not come back.

    (The whole groups score below 1 too: some resamples cut one of them instead.)"""
    f, _ = blobs(3)
    cfg = ClusteringSettings(k=4)
    c, t = both(f, cfg)
    assert c.k == 4 and not c.k_auto
    halves = [i for i, s in enumerate(c.sizes) if s < 250]
    assert len(halves) == 2
    assert all(t.stability[i] < 0.75 for i in halves)
    whole = [t.stability[i] for i in range(4) if i not in halves]
    assert min(whole) >= 0.8 and min(whole) > max(t.stability[i] for i in halves) + 0.15


@pytest.mark.slow  # the trust measures twice
def test_same_inputs_same_figures() -> None:
    f = marketing()
    a, ta = both(f)
    b, tb = both(f)
    assert np.array_equal(a.labels, b.labels)
    assert a.k_curve == b.k_curve and a.k_reasons == b.k_reasons
    assert ta == tb


@pytest.mark.slow  # trust on a large table
def test_large_table_runs_on_samples() -> None:
    frame = generate(30_000, seed=3)
    f = features(frame[["Annual Income (k$)", "Spending Score (1-100)"]].to_numpy())
    cfg = ClusteringSettings()
    c, t = both(f, cfg)
    assert c.k == 5 and len(c.labels) == 30_000
    assert t.rows == cfg.stability_sample and len(t.stability) == 5
    assert t.confidence.level in ("moderate", "strong")


def test_too_few_distinct_customers_for_alternatives_still_assesses() -> None:
    pts = np.array([[0, 0]] * 10 + [[1, 1]] * 10 + [[2, 2]] * 10 + [[9, 9]] * 10, dtype=float)
    f = Features(pts, ("a", "b"), np.zeros(2), np.ones(2))
    c, t = both(f, ClusteringSettings(k=4))
    assert c.k == 4 and t.alternatives == () and "too few distinct customers" in alternatives_sentence(t.alternatives)
    assert len(t.stability) == 4


@pytest.mark.parametrize(("k", "d", "copies"), [(4, 2, 10), (3, 2, 25), (6, 3, 8), (5, 2, 200)])
def test_groups_of_identical_customers_are_strong(k: int, d: int, copies: int) -> None:
    """k perfectly separated groups, every customer of a group identical: the tightest grouping there
    is (before: 'weak', the duplicates dropped left k points that looked evenly spread)."""
    corners = np.random.default_rng(k).uniform(0, 100, size=(k, d)) + 100 * np.arange(k)[:, None]
    f = features(np.repeat(corners, copies, axis=0))
    c, t = both(f, ClusteringSettings(k=k))
    assert t.confidence.level == "strong" and t.confidence.hopkins > 0.9, t.confidence


def test_a_coarse_scale_is_still_no_grouping() -> None:
    """Whole numbers repeat without forming groups: duplicates are dropped there, and uniform stays weak."""
    x = np.random.default_rng(3).integers(0, 60, size=(2000, 2)).astype(float)
    c, t = both(features(x))
    assert t.confidence.level == "weak" and t.confidence.hopkins < 0.6
