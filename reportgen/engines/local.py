"""One machine: every customer in memory (the table's frame, read by DuckDB through stages/load.py
and stages/transactions.py), the per-customer work of stages/rows.py done with numpy and
scikit-learn. It only executes: what to compute is the analysis's (stages/)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model import CustomerTable, Features
from ..stages import compare, members, predict
from ..stages import features as feats
from ..stages.kmeans import InMemory
from ..stages.rows import LABEL, Aggregates, Cycle, Moments


class LocalEngine:
    """The one-machine engine: nothing to start; the customers come read (pipeline.load_table)."""

    def __enter__(self) -> "LocalEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def rows(self, table: CustomerTable) -> "LocalRows":
        return LocalRows(table)


def _sums(values: np.ndarray, labels: np.ndarray, k: int, complete: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster, the sum and the count of the values present (`complete`: the caller knows none is
    NaN, and 10M-row copies of the values and labels without them are skipped)."""
    if not complete:
        present = ~np.isnan(values)
        values, labels = values[present], labels[present]
    return np.bincount(labels, weights=values, minlength=k), np.bincount(labels, minlength=k)


def _means(values: np.ndarray, labels: np.ndarray, k: int, complete: bool = False) -> list[float | None]:
    """Per cluster, the mean of the values present."""
    sums, counts = _sums(values, labels, k, complete)
    return [float(sums[c] / counts[c]) if counts[c] else None for c in range(k)]


class LocalRows(InMemory):
    """Every customer held: the rows are the table's frame, the features matrix its rows."""

    def __init__(self, table: CustomerTable, labels: np.ndarray | None = None) -> None:
        super().__init__(np.zeros((len(table.frame), 0)))
        self._table = table
        self._sorted: dict[str, np.ndarray] = {}  # each numeric feature's values present, sorted (its quantiles)
        if labels is not None:
            self.labels[LABEL] = np.asarray(labels)

    @property
    def table(self) -> CustomerTable:
        return self._table

    def _values(self, name: str) -> np.ndarray:
        return self._table.frame[name].to_numpy(dtype=np.float64)

    # features
    def moments(self, names: Sequence[str]) -> dict[str, Moments]:
        out = {}
        for name in names:
            x = self._values(name)
            out[name] = Moments(feats.skewness(x), float(x.min()), float(x.max()))
        return out

    def transformed(self, names: Sequence[str], transforms: Sequence[str], offsets: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raw = np.column_stack([feats.transform(self._values(n), how, off) for n, how, off in zip(names, transforms, offsets)])
        mean = raw.mean(axis=0)
        scale = raw.std(axis=0)
        return raw, mean, scale

    def kmeans(self, features: Features, start: np.ndarray, seed: int, column: str) -> tuple[np.ndarray, np.ndarray]:
        self.matrix = features.matrix
        return super().kmeans(features, start, seed, column)

    # profile
    def _present(self, name: str) -> tuple[np.ndarray, np.ndarray, bool]:
        values = self._values(name)
        missing = np.isnan(values)
        complete = not missing.any()
        return values, (values if complete else values[~missing]), complete

    def aggregates(self, k: int, features: Features | None) -> Aggregates:
        labels = self.labels[LABEL]
        frame = self._table.frame
        mean: dict[str, float] = {}
        total: dict[str, float] = {}
        positive: dict[str, float] = {}
        others: dict[str, int] = {}
        varies: dict[str, bool] = {}
        cluster_mean: list[dict[str, float]] = [{} for _ in range(k)]
        cluster_total: list[dict[str, float]] = [{} for _ in range(k)]
        cluster_positive: list[dict[str, float]] = [{} for _ in range(k)]
        for name in self._table.numeric:
            values, present, complete = self._present(name)
            if not len(present):
                continue
            mean[name] = float(present.mean())
            total[name] = float(present.sum())
            self._sorted[name] = np.sort(present)
            others[name] = int(np.count_nonzero(~np.isin(present, (0.0, 1.0))))
            varies[name] = bool(present.min() != present.max())
            totals_c, counts_c = _sums(values, labels, k, complete)
            for c in range(k):
                if counts_c[c]:
                    cluster_mean[c][name] = float(totals_c[c] / counts_c[c])
                    cluster_total[c][name] = float(totals_c[c])
            above = np.where(np.isnan(values), np.nan, values > 0)  # a yes/no reading of any feature: has it at all
            positive[name] = float(np.count_nonzero(present > 0) / len(present))
            for c, share in enumerate(_means(above, labels, k, complete)):
                if share is not None:
                    cluster_positive[c][name] = share
        transformed: list[dict[str, float]] = [{} for _ in range(k)]
        for j, name in enumerate(features.roles if features is not None else ()):
            assert features is not None
            if (features.transforms[j] if features.transforms else "linear") == "linear":
                continue
            column = features.matrix[:, j] * features.scale[j] + features.mean[j]
            for c, m in enumerate(_means(column, labels, k, complete=True)):  # clustered rows have every value
                if m is not None:
                    transformed[c][name] = m
        category_total: list[dict[str, float]] = [{} for _ in range(k)]
        category_population: dict[str, float] = {}
        for label, column_name in self._table.categories.items():
            values = np.nan_to_num(frame[column_name].to_numpy(dtype=np.float64))
            category_population[label] = float(values.sum())
            for c, t in enumerate(np.bincount(labels, weights=values, minlength=k)):
                category_total[c][label] = float(t)
        attributes: dict[str, tuple[dict[str, int], ...]] = {}
        for attr in self._table.attributes:
            codes, found = pd.factorize(frame[attr], sort=True)
            counts = np.bincount(labels * len(found) + codes, minlength=k * len(found)).reshape(k, len(found))
            attributes[attr] = tuple({str(v): int(n) for v, n in zip(found, row) if n} for row in counts)
        return Aggregates(
            n=self._table.n_customers, mean=mean, total=total, positive=positive, others=others, varies=varies,
            cluster_mean=tuple(cluster_mean), cluster_total=tuple(cluster_total), cluster_positive=tuple(cluster_positive),
            cluster_transformed=tuple(transformed), category_total=tuple(category_total), category_population=category_population,
            attribute_counts=attributes,
        )

    def quantiles(self, points: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
        out = {}
        for name, shares in points.items():
            if name not in self._sorted:
                self._sorted[name] = np.sort(self._present(name)[1])
            out[name] = feats.sorted_quantiles(self._sorted[name], np.asarray(shares, dtype=np.float64))
        return out

    def cycle(self) -> Cycle | None:
        frame = self._table.frame
        if self._table.kind != "transactions" or not {"recency_days", "frequency", "tenure_days"} <= set(frame.columns):
            return None
        recency, frequency, tenure = (self._values(n) for n in ("recency_days", "frequency", "tenure_days"))
        repeat = frequency >= 2
        gaps = (tenure[repeat] - recency[repeat]) / (frequency[repeat] - 1)
        return Cycle(
            median_gap=float(np.median(gaps)) if len(gaps) else None,
            history=float(tenure.max()) if len(tenure) else 0.0,
            repeat=int(repeat.sum()),
        )

    # naming
    def _cells(self, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        return members.cell_numbers({f: self._values(f) for f in cells.features}, cuts, cells)

    def cell_counts(self, column: str, k: int, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> np.ndarray:
        return members.counts(self.labels[column], k, self._cells(cuts, cells), len(cells))

    def assign(self, fine: str, segment: np.ndarray, cuts: dict[str, tuple[float, ...]], cells: members.Cells) -> tuple[np.ndarray, np.ndarray]:
        mine = self._cells(cuts, cells)
        self.labels[LABEL] = segment[self.labels[fine], mine]
        return self.labels[LABEL], mine

    # value
    def triples(self) -> pd.DataFrame:
        return predict.triples_of(self._table.frame)

    def value_sample(self, limit: int, seed: int) -> pd.DataFrame:
        values = predict.inputs(self._table.frame)
        values = values[values["orders"] >= 2]
        return values.sample(limit, random_state=seed).sort_index() if len(values) > limit else values

    def score(self, model: predict.Model, k: int) -> dict[str, np.ndarray]:
        scores = predict.predict(self._table.frame, model)
        self._table = replace(self._table, frame=pd.concat([self._table.frame, scores], axis=1), scores=tuple(scores.columns))
        labels = self.labels[LABEL]
        return {c: np.bincount(labels, weights=scores[c].to_numpy(), minlength=k) for c in scores.columns}

    # month over month
    def migration(self, previous: Path) -> tuple[dict[tuple[str | None, int | None], int], bool]:
        ids, names = compare.read_assignments(previous)
        return compare.pairs_in_memory(self._table.frame["customer_id"], self.labels[LABEL], ids, names)

    # the written files
    def batches(self, columns: Sequence[str], size: int) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        frame, labels = self._table.frame, self.labels[LABEL]
        for start in range(0, len(labels), size):
            yield {c: frame[c].iloc[start : start + size] for c in columns}, labels[start : start + size]
