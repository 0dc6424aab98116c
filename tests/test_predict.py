"""The repeat-purchase models (stages/predict.py) against simulations of the models themselves:
parameters recovered, and predictions equal to what simulated customers then did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.stages import predict

R, ALPHA, A, B = 0.6, 30.0, 0.7, 3.0  # days


def _simulate(n: int, seed: int, horizon: float) -> tuple[pd.DataFrame, np.ndarray]:
    """MBG/NBD customers observed from their first purchase to day T, and their orders in the next
    `horizon` days: Poisson buying at a gamma-distributed rate, dropping out with a beta-distributed
    probability at the start and after every purchase."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(R, 1 / ALPHA, n)
    drop = rng.beta(A, B, n)
    T = np.floor(rng.uniform(30, 400, n))
    alive = rng.random(n) >= drop
    t = np.zeros(n)
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n)
    later = np.zeros(n, dtype=np.int64)
    while alive.any():
        t[alive] += rng.exponential(1 / rate[alive])
        inside = alive & (t <= T)
        beyond = alive & (t > T) & (t <= T + horizon)
        x[inside] += 1
        t_x[inside] = t[inside]
        later[beyond] += 1
        alive &= t <= T + horizon
        alive &= rng.random(n) >= drop
    frame = pd.DataFrame({"frequency": x + 1, "tenure_days": T, "recency_days": T - np.floor(t_x), "avg_order_value": 20.0})
    return frame, later


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    frame, _ = _simulate(60_000, 1, 0.0)
    model = predict.fit(predict.triples_of(frame), predict.inputs(frame), history_days=400)
    assert isinstance(model, predict.Model)
    assert model.r == pytest.approx(R, rel=0.1) and model.alpha == pytest.approx(ALPHA, rel=0.15)
    assert model.a == pytest.approx(A, rel=0.2) and model.b == pytest.approx(B, rel=0.25)


def test_expected_orders_and_activity_match_what_simulated_customers_did() -> None:
    frame, later = _simulate(60_000, 2, 90.0)
    model = predict.fit(predict.triples_of(frame), predict.inputs(frame), history_days=400)
    assert isinstance(model, predict.Model)
    scores = predict.predict(frame, model)
    assert scores["expected_orders_90d"].sum() == pytest.approx(later.sum(), rel=0.05)
    # by group: the quiet one-time buyers and the frequent buyers are each predicted right
    one = frame["frequency"] == 1
    assert scores.loc[one, "expected_orders_90d"].sum() == pytest.approx(later[one].sum(), rel=0.1)
    assert scores.loc[~one, "expected_orders_90d"].sum() == pytest.approx(later[~one].sum(), rel=0.1)
    # a one-time buyer silent for a year is less likely active than one who bought last week
    a = predict.p_active(model, np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([365.0, 7.0]))
    assert a[0] < a[1] < 1.0
    assert ((scores["p_active"] >= 0) & (scores["p_active"] <= 1)).all()
    # the share who order in the next 90 days, the figure a segment's page states, overall and by group
    assert scores["p_order_90d"].mean() == pytest.approx((later > 0).mean(), abs=0.01)
    assert scores.loc[one, "p_order_90d"].mean() == pytest.approx((later[one] > 0).mean(), abs=0.015)
    assert scores.loc[~one, "p_order_90d"].mean() == pytest.approx((later[~one] > 0).mean(), abs=0.015)
    assert (scores["p_order_90d"] <= scores["p_active"]).all() and (scores["p_order_90d"] < scores["p_active"]).mean() > 0.99


def test_a_fit_with_a_huge_shape_still_predicts() -> None:
    """Customers with near-identical buying rates fit r and alpha in the thousands, where scipy's
    hyp2f1 returns NaN: the expected orders then come from the series, equal to the Poisson rate
    r / alpha times the days for customers who are surely active."""
    model = predict.Model(r=12652.95, alpha=1632348.4, a=0.00326, b=303.05, gg=None, customers=66, repeat_customers=53)
    x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 150.0]), np.array([100.0, 200.0])
    orders = predict.expected_orders(model, 90.0, x, t_x, T)
    assert np.isfinite(orders).all()
    assert orders == pytest.approx((model.r + x) / (model.alpha + T) * 90 * predict.p_active(model, x, t_x, T), rel=0.01)


def test_gamma_gamma_recovers_order_values() -> None:
    rng = np.random.default_rng(3)
    p, q, v = 4.0, 3.0, 40.0
    n = 20_000
    nu = rng.gamma(q, 1 / v, n)  # each customer's own rate; their order values are gamma(p, nu)
    orders = rng.integers(2, 8, n)
    means = np.array([rng.gamma(p, 1 / nu[i], k).mean() for i, k in enumerate(orders)])
    frame = pd.DataFrame({"orders": orders, "m": means})
    triples = pd.DataFrame({"x": [1.0] * 30, "t_x": [10.0] * 30, "T": [100.0] * 30, "n": [1] * 30})
    model = predict.fit(triples, frame, history_days=400)
    assert isinstance(model, predict.Model) and model.gg is not None
    fp, fq, fv = model.gg
    # p and v trade off against each other (on this sample the likelihood is higher at p = 3.5 than at
    # the true 4); the mean order value they imply, p v / (q - 1), is pinned down
    assert fp == pytest.approx(p, rel=0.15) and fq == pytest.approx(q, rel=0.1)
    assert fp * fv / (fq - 1) == pytest.approx(p * v / (q - 1), rel=0.05)
    # each customer's expected order value is closer to their true mean p / nu than their own average is
    expected = predict.expected_value(model, orders.astype(float), means)
    assert np.abs(expected - p / nu).mean() < np.abs(means - p / nu).mean()
    # the expected value shrinks a customer's own average towards the population's: between the two
    expected = predict.expected_value(model, np.array([2.0]), np.array([500.0]))[0]
    population = fp * fv / (fq - 1)
    assert population < expected < 500.0


@pytest.mark.parametrize(
    ("history", "repeaters", "reason"),
    [(60.0, 500, "covers 60 days"), (400.0, 5, "only 5 customers ordered more than once")],
)
def test_no_model_where_it_cannot_be_fitted(history: float, repeaters: int, reason: str) -> None:
    triples = pd.DataFrame({"x": [0.0, 1.0], "t_x": [0.0, 10.0], "T": [50.0, 50.0], "n": [300, repeaters]})
    values = pd.DataFrame({"orders": [2.0] * repeaters, "m": [10.0] * repeaters})
    found = predict.fit(triples, values, history_days=history)
    assert isinstance(found, str) and reason in found


def test_the_value_model_repeats_exactly_when_money_totals_differ_in_their_last_bits() -> None:
    """A customer's money total is a float sum added in thread order, so two runs of one file can
    differ in its last bits; the fitted parameters (and every expected value) must not."""
    rng = np.random.default_rng(5)
    n = 3_000
    orders = rng.integers(2, 9, n).astype(float)
    totals = np.round(rng.gamma(2.0, 30.0, n) * orders, 2)
    frame = pd.DataFrame({"orders": orders, "m": totals / orders})
    noisy = frame.assign(m=np.where(rng.random(n) < 0.5, np.nextafter(frame["m"], np.inf), np.nextafter(frame["m"], -np.inf)))
    triples = pd.DataFrame({"x": [1.0] * 30, "t_x": [10.0] * 30, "T": [100.0] * 30, "n": [1] * 30})
    first, second = predict.fit(triples, frame, history_days=400), predict.fit(triples, noisy, history_days=400)
    assert isinstance(first, predict.Model) and isinstance(second, predict.Model) and first.gg is not None
    assert first.gg == second.gg
