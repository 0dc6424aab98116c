import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from reportgen.config import Clustering as ClusteringSettings
from reportgen.engines.local import LocalRows
from reportgen.errors import DataError
from reportgen.model import Features
from reportgen.stages.cluster import cluster
from reportgen.stages.features import build
from reportgen.stages.load import load

from .conftest import MALL, settings


def _features(roles: list[str]) -> Features:
    s = settings(data=MALL, features=roles)
    table = load(s)
    return build(LocalRows(table), table.clustered, s.scale)


def test_standardised_features() -> None:
    f = _features(["income", "spending"])
    assert f.roles == ("income", "spending")
    assert np.allclose(f.matrix.mean(axis=0), 0) and np.allclose(f.matrix.std(axis=0), 1)


def test_mall_income_spending_gives_five_clusters_largest_first() -> None:
    c = cluster(_features(["income", "spending"]), ClusteringSettings())
    assert c.k == 5 and c.k_auto
    assert c.sizes == (81, 39, 35, 23, 22)
    assert [p.k for p in c.k_curve] == list(range(3, 9))  # the useful range, k_min..k_max
    best = max(c.k_curve, key=lambda p: p.silhouette)
    assert best.k == 5 and c.silhouette == pytest.approx(0.5547, abs=1e-4)
    assert 0 < c.davies_bouldin < 1 and c.calinski_harabasz > 200


def test_same_seed_same_labels() -> None:
    f = _features(["age", "income", "spending"])
    a = cluster(f, ClusteringSettings())
    b = cluster(f, ClusteringSettings())
    assert np.array_equal(a.labels, b.labels) and a.k_curve == b.k_curve


def test_given_k() -> None:
    c = cluster(_features(["income", "spending"]), ClusteringSettings(k=3))
    assert c.k == 3 and not c.k_auto and c.k_curve == ()
    assert sum(c.sizes) == 200 and list(c.sizes) == sorted(c.sizes, reverse=True)


def _matrix(points: list[list[float]]) -> Features:
    x = np.asarray(points, dtype=float)
    return Features(x, ("income", "spending"), np.zeros(2), np.ones(2))


def test_identical_customers_are_refused() -> None:
    with pytest.raises(DataError, match="have the same income, spending"):
        cluster(_matrix([[1, 1]] * 20), ClusteringSettings())


def test_k_larger_than_distinct_points() -> None:
    pts = [[0, 0]] * 10 + [[1, 1]] * 10 + [[2, 2]] * 10
    with pytest.raises(DataError, match="k=5 segments were asked for, but 3 distinct customers allow at most 3"):
        cluster(_matrix(pts), ClusteringSettings(k=5))
    auto = cluster(_matrix(pts), ClusteringSettings())
    assert auto.k == 3 and [p.k for p in auto.k_curve] == [3]


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_planted_groups_are_found_with_their_number(k: int) -> None:
    from .test_trust import blobs

    f, truth = blobs(k, seed=k)
    c = cluster(f, ClusteringSettings())
    assert c.k == k and c.k_auto
    assert adjusted_rand_score(truth, c.labels) > 0.99


def test_bundled_sample_gives_its_five_planted_segments() -> None:
    from reportgen.sample import generate

    frame = generate(2000, seed=7, with_truth=True)
    x = frame[["Annual Income (k$)", "Spending Score (1-100)"]].to_numpy(dtype=float)
    c = cluster(Features((x - x.mean(axis=0)) / x.std(axis=0), ("income", "spending"), np.zeros(2), np.ones(2)), ClusteringSettings())
    assert c.k == 5
    assert adjusted_rand_score(frame["planted_segment"], c.labels) > 0.8


def test_every_k_scored_and_the_choice_explained() -> None:
    c = cluster(_features(["income", "spending"]), ClusteringSettings())
    for p in c.k_curve:
        assert p.calinski_harabasz > 0 and p.davies_bouldin > 0 and p.inertia > 0 and 0 < p.min_share <= 1 / p.k
    chosen = next(p for p in c.k_curve if p.k == c.k)
    assert chosen.stability is not None and chosen.stability >= 0.75
    assert c.k_reasons and all(isinstance(r, str) and r.endswith(".") for r in c.k_reasons)


def test_range_and_given_k_are_honoured() -> None:
    f = _features(["income", "spending"])
    narrow = cluster(f, ClusteringSettings(k_min=2, k_max=3))
    assert narrow.k in (2, 3) and [p.k for p in narrow.k_curve] == [2, 3]
    forced = cluster(f, ClusteringSettings(k=7))
    assert forced.k == 7 and forced.k_curve == () and "was set" in forced.k_reasons[0]


def test_fewer_distinct_customers_than_k_min() -> None:
    pts = [[0, 0]] * 10 + [[1, 1]] * 10
    with pytest.raises(DataError, match="Only 2 distinct customers; choosing k from 3 to 8 needs at least 3"):
        cluster(_matrix(pts), ClusteringSettings())


def test_settings_keep_the_range_in_order() -> None:
    from pydantic import ValidationError

    assert ClusteringSettings().k_min == 3 and ClusteringSettings().k_max == 8
    with pytest.raises(ValidationError, match="k_min \\(6\\) is larger than k_max \\(4\\)"):
        ClusteringSettings(k_min=6, k_max=4)
    with pytest.raises(ValidationError):
        ClusteringSettings(k=11)


def test_a_k_whose_segments_dissolve_gives_way_to_one_whose_segments_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """When every k close to the best silhouette has a segment that dissolves under resampling (a
    lattice of integer counts can do that), the best-separated k whose segments hold is taken."""
    from reportgen.stages import cluster as module

    real = module.bootstrap_stability

    def dissolving_five(x: np.ndarray, labels: np.ndarray, k: int, cfg: ClusteringSettings) -> np.ndarray:
        stability = real(x, labels, k, cfg)
        return np.minimum(stability, 0.3) if k == 5 else stability

    monkeypatch.setattr(module, "bootstrap_stability", dissolving_five)
    f = _features(["income", "spending"])
    c = cluster(f, ClusteringSettings())
    curve = {p.k: p for p in c.k_curve}
    assert c.k != 5 and curve[c.k].stability >= 0.5
    weighed = sorted((k for k in curve if curve[k].stability is not None and k != c.k), key=lambda k: -curve[k].silhouette)
    assert 5 in weighed and all(curve[k].stability < 0.5 for k in weighed if curve[k].silhouette > curve[c.k].silhouette)
    (why,) = [r for r in c.k_reasons if "whose segments hold" in r]
    assert why.startswith("k=5") and f"k={c.k} is the best-separated k whose segments hold" in why


def test_quantiles_of_a_sorted_array_equal_numpys_bit_for_bit():
    """profile.py takes its percentiles from the sorted values without np.quantile's partition;
    the figures in summary.json must not change, so the two must agree exactly."""
    from reportgen.stages.features import sorted_quantiles
    from reportgen.stages.profile import PERCENTILES

    rng = np.random.default_rng(3)
    for t in range(300):
        n = int(rng.integers(1, 3000)) if t % 10 else int(rng.integers(1, 4))
        x = np.sort(rng.integers(0, 100, n).astype(float) if t % 2 else rng.lognormal(0, 2, n) - 3)
        qs = [PERCENTILES, (0.2, 0.4, 0.6, 0.8), tuple(rng.random(5))][t % 3]
        assert np.array_equal(sorted_quantiles(x, qs), np.quantile(x, qs))
        s = float(rng.random())
        assert float(sorted_quantiles(x, s)[0]) == float(np.quantile(x, s))


def test_silhouettes_from_one_distance_matrix_equal_silhouette_score():
    """cluster.silhouettes scores every k on one shared distance matrix, with a customer's distance
    to each segment summed in one matrix product; the scores must be silhouette_score's on the same
    seeded sample (to rounding), singletons and duplicate customers included."""
    from sklearn.metrics import silhouette_score

    from reportgen.stages.cluster import silhouettes

    cfg = ClusteringSettings(silhouette_sample=500)
    rng = np.random.default_rng(4)
    for n in (200, 2000):
        x = rng.normal(size=(n, 2)) + rng.integers(0, 3, n)[:, None] * 2.0
        score = silhouettes(x, cfg)
        for k in (2, 3, 5):
            labels = rng.integers(0, k, n)
            size = cfg.silhouette_sample if n > cfg.silhouette_sample else None
            assert score(labels) == pytest.approx(float(silhouette_score(x, labels, sample_size=size, random_state=cfg.seed)), abs=1e-12)
    x = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [5.0, 5.1], [9.0, 0.0]])
    for labels in (np.array([0, 0, 0, 1, 1, 2]), np.array([7, 7, 3, 3, 3, 3]), np.array([0, 1, 0, 1, 0, 1])):
        assert silhouettes(x, cfg)(labels) == pytest.approx(float(silhouette_score(x, labels)), abs=1e-12)


def test_a_k_that_isolates_a_handful_of_customers_is_set_aside() -> None:
    """Three far-out customers beside the mall's 200: a k that gives them a segment of their own
    (1.5% of the customers) is not worth a campaign and is set aside, with the reason."""
    f = _features(["income", "spending"])
    x = np.vstack([f.matrix, [[0.0, 3.5], [0.1, 3.6], [0.1, 3.4]]])  # mid income, off the spending scale
    c = cluster(Features(x, f.roles, f.mean, f.scale), ClusteringSettings())
    assert c.k == 5 and min(c.sizes) / len(x) >= 0.02
    assert any(r.startswith("k=6, 7, 8 set aside: each leaves a segment under 2% of customers") for r in c.k_reasons), c.k_reasons


def test_the_same_customers_in_another_order_give_the_same_segments() -> None:
    """An export sorted differently (by name, by id, shuffled) changes nothing: K-Means sees the rows in
    one order fixed by their values, and so do the trust measures."""
    from reportgen.stages.trust import assess

    f = _features(["age", "income", "spending"])
    shuffled = np.random.default_rng(5).permutation(len(f.matrix))
    g = Features(f.matrix[shuffled], f.roles, f.mean, f.scale)
    a, b = cluster(f, ClusteringSettings()), cluster(g, ClusteringSettings())
    assert a.k == b.k and a.sizes == b.sizes and np.array_equal(a.labels[shuffled], b.labels)
    assert a.silhouette == b.silhouette and a.k_reasons == b.k_reasons
    assert assess(f, a, ClusteringSettings()) == assess(g, b, ClusteringSettings())
