"""Contact lists (contacts.py): the audiences are written in Arrow, and must read byte for byte as
pandas' to_csv(float_format='%.12g') wrote them before (what campaign tools were set up against)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.contacts import write_audiences
from reportgen.spreadsheet import FORMULA

ODD_NUMBERS = [40.0, -0.0, 0.0, 1e-05, 0.1 + 0.2, 123456789012.5, 999999999999.0, 1e12, 1e15, -3.25, float("nan"), float("inf"), -float("inf"), 2.5e-300, 1.7976931348623157e308, 19.999999999999996]
ODD_IDS = ["0000001", "a,b", 'say "hi"', "two\nlines", "cr\rinside", "=SUM(A1)", "+44 20", "-5", "@home", "\tindent", " spaced ", "Zoë", "", "plain"]


class _Rows:
    """Rows.batches over a frame in memory, `size` customers at a time."""

    def __init__(self, frame: pd.DataFrame, labels: np.ndarray) -> None:
        self.frame, self.labels = frame, labels

    def batches(self, columns: list[str], size: int) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        for start in range(0, len(self.labels), size):
            yield {c: self.frame[c].iloc[start : start + size] for c in columns}, self.labels[start : start + size]


def _report(numeric: tuple[str, ...], scores: tuple[str, ...], k: int) -> Any:
    segments = tuple(SimpleNamespace(id=i, name=f"Segment {i}", campaigns=("offer",) if i != 1 else ()) for i in range(k))
    return SimpleNamespace(segments=segments, table=SimpleNamespace(numeric=numeric, scores=scores))


def _as_pandas_wrote(frame: pd.DataFrame, labels: np.ndarray, seg_id: int) -> bytes:
    """The old writer: the formula guard on the ids, then to_csv of the segment's rows."""
    ids = frame["customer_id"].astype("string")
    safe = ids.where(~ids.str.match(FORMULA).fillna(False), "'" + ids)
    part = frame[labels == seg_id].assign(customer_id=safe[labels == seg_id])
    return part.to_csv(index=False, lineterminator="\n", float_format="%.12g").encode()


def _check(tmp_path: Path, frame: pd.DataFrame, labels: np.ndarray, k: int, scores: tuple[str, ...] = (), chunk: int = 3) -> None:
    numeric = tuple(c for c in frame.columns if c != "customer_id" and c not in scores)
    written = write_audiences(_report(numeric, scores, k), _Rows(frame, labels), tmp_path, chunk=chunk)  # type: ignore[arg-type]
    assert len(written) == k - 1  # segment 1 has no campaign, so no list
    for path in written:
        seg_id = int(path.stem.split("-")[1])
        assert path.read_bytes() == _as_pandas_wrote(frame, labels, seg_id), path.name


def test_odd_numbers_and_ids_are_written_as_pandas_wrote_them(tmp_path: Path) -> None:
    n = max(len(ODD_NUMBERS), len(ODD_IDS)) * 2
    frame = pd.DataFrame({
        "customer_id": [ODD_IDS[i % len(ODD_IDS)] for i in range(n)],
        "income": [ODD_NUMBERS[i % len(ODD_NUMBERS)] for i in range(n)],
        "age": np.arange(n, dtype=np.float64) * 1.5,
        "orders": np.arange(n, dtype=np.int64) * 10**14,  # integers past %.12g's digits stay whole
        "p_active": np.linspace(0, 1, n).round(6),
    })
    labels = np.arange(n) % 4
    labels[:5] = 3  # segment 3's first chunk holds all of its first rows; segment 0 starts later
    _check(tmp_path, frame, labels, k=5, scores=("p_active",))  # segment 4 has nobody: a header alone


def test_missing_ids_are_blank(tmp_path: Path) -> None:
    frame = pd.DataFrame({"customer_id": pd.array(["a", None, "c"], dtype="string"), "income": [1.0, 2.0, np.nan]})
    _check(tmp_path, frame, np.zeros(3, dtype=np.int64), k=2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=30), st.lists(st.text(max_size=6), min_size=1, max_size=30))
def test_any_numbers_and_text_as_pandas_wrote_them(tmp_path_factory: Any, numbers: list[float], ids: list[str]) -> None:
    n = max(len(numbers), len(ids))
    frame = pd.DataFrame({"customer_id": [ids[i % len(ids)] for i in range(n)], "spend": [numbers[i % len(numbers)] for i in range(n)]})
    _check(tmp_path_factory.mktemp("lists"), frame, np.arange(n) % 3, k=3, chunk=4)
