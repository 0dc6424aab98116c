import numpy as np
import pytest

from reportgen.config import Clustering as ClusteringSettings
from reportgen.errors import DataError
from reportgen.model import Features
from reportgen.stages.cluster import cluster
from reportgen.stages.features import build
from reportgen.stages.load import load

from .conftest import MALL, settings


def _features(roles: list[str]) -> Features:
    s = settings(data=MALL, features=roles)
    return build(load(s), s)


def test_standardised_features() -> None:
    f = _features(["income", "spending"])
    assert f.roles == ("income", "spending")
    assert np.allclose(f.matrix.mean(axis=0), 0) and np.allclose(f.matrix.std(axis=0), 1)


def test_mall_income_spending_gives_five_clusters_largest_first() -> None:
    c = cluster(_features(["income", "spending"]), ClusteringSettings())
    assert c.k == 5 and c.k_auto
    assert c.sizes == (81, 39, 35, 23, 22)
    assert [p.k for p in c.k_curve] == list(range(2, 11))
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
    assert auto.k == 3 and [p.k for p in auto.k_curve] == [2, 3]
