"""segments.csv and segments.parquet: every customer with their segment, written a chunk at a time
from the rows of whichever engine holds them (stages/rows.py `batches`), so one writer formats the
numbers and neutralises formula-like text for both engines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .model import Report
from .spreadsheet import FORMULA

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .stages.rows import Rows as Batches  # every customer in the table's order, a chunk at a time


def csv_text(values: "pa.Array", quoted: bytes = b'",\r\n') -> "pa.Array":
    """Spreadsheet-safe, CSV-escaped text: a leading quote before = + - @ tab CR (OWASP), and
    quotes around values with one of `quoted` (a comma, quote or line break)."""
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    quote, empty = pa.scalar('"'), pa.scalar("")
    if _may_hold(values, b"=+-@\t\r"):
        formula = pc.match_substring_regex(values, FORMULA)
        if pc.any(formula).as_py():  # else unchanged: building the joined copy costs more than the test
            values = pc.if_else(formula, pc.binary_join_element_wise(pa.scalar("'"), values, empty), values)
    if not _may_hold(values, quoted):
        return values
    special = pc.match_substring_regex(values, "[" + re.escape(quoted.decode()) + "]")
    if not pc.any(special).as_py():
        return values
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(values, '"', '""'), quote, empty)
    return pc.if_else(special, quoted, values)


def _may_hold(values: "pa.Array", chars: bytes) -> bool:
    """False when none of `chars` occurs anywhere in the text buffer behind `values`: then no value
    can need the regular expression's work. A byte search of the buffer takes milliseconds where a
    regex over 10M values takes ~0.3 s; a buffer shared with other values only errs on the side of
    looking closer."""
    import pyarrow as pa

    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return True
    data = values.buffers()[2]
    if data is None:  # no text at all (empty or every value missing)
        return False
    raw = data.to_pybytes()
    return any(raw.find(bytes([c])) >= 0 for c in chars)


def _csv_text_repeated(values: "pa.Array") -> "pa.Array":
    """csv_text for a column of few distinct values (gender, region): each value escaped once."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    return pc.take(csv_text(encoded.dictionary), encoded.indices)


def text_column(values: "pd.Series") -> "pa.Array":
    import pyarrow as pa

    part = pa.array(values.array, type=pa.string(), from_pandas=True)
    return part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part  # ids read by pyarrow arrive in chunks


def whole_number_text(values: np.ndarray, below: float) -> tuple["pa.Array", np.ndarray]:
    """Whole numbers under `below` (not -0) as integer text, through Arrow's integer cast (about ten
    times faster than its float cast; most of a customer table's numbers are whole), and the mask of
    the other values, which the caller writes in its own format (every value's text is a placeholder
    there)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    with np.errstate(invalid="ignore"):
        whole = (np.abs(values) < below) & (values == np.trunc(values)) & ~((values == 0) & np.signbit(values))
    return pc.cast(pa.array(np.where(whole, values, 0).astype(np.int64)), pa.string()), ~whole


def _number_text(values: np.ndarray) -> "pa.Array":
    """Numbers as CSV text: up to 6 decimals, no trailing zeros, blank when missing. Whole numbers
    under 1e9 read the same as integers (Arrow writes 1e10 and over with an exponent)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype=np.float64)
    text, rest = whole_number_text(values, 1e9)
    if not rest.any():
        return text
    return pc.replace_with_mask(text, pa.array(rest), _decimal_text(values[rest]))


def _decimal_text(values: np.ndarray) -> "pa.Array":
    import pyarrow as pa
    import pyarrow.compute as pc

    small = np.abs(values) < 1e15  # rounding 1e308 to 6 decimals multiplies it by 1e6: inf
    rounded_values = values.copy()
    rounded_values[small] = np.round(values[small], 6)
    rounded = pa.array(rounded_values, from_pandas=True)
    text = pc.cast(rounded, pa.string())
    if pc.any(pc.ends_with(text, ".0")).as_py():  # Arrow writes 40.0 as "40"; the regex is for other versions
        text = pc.replace_substring_regex(text, r"\.0$", "")
    return pc.fill_null(text, "")


CHUNK = 250_000  # rows of segments.csv built at a time


def written_columns(report: Report) -> list[str]:
    """segments.csv's columns after customer_id, segment and cluster: every feature, the predictions, the attributes."""
    t = report.table
    return [*t.numeric, *t.scores, *t.attributes]


def write_segments_csv(report: Report, rows: Batches, path: Path, chunk: int = CHUNK) -> None:
    """customer_id,segment,cluster, then every feature under its own name, for every customer.

    Built `chunk` rows at a time, two chunks at once (Arrow's kernels release the GIL, so both
    cores work), and written in order; the rows come from the engine that holds them."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    names = csv_text(pa.array([s.name for s in report.segments], type=pa.string()))
    extra = written_columns(report)
    numeric = {*report.table.numeric, *report.table.scores}
    header = ",".join(["customer_id", "segment", "cluster", *extra]) + "\n"
    with path.open("wb") as fh, ThreadPoolExecutor(2, thread_name_prefix="reportgen-csv") as pool:
        fh.write(header.encode())
        pending: list[Any] = []
        for columns, labels in rows.batches(["customer_id", *extra], chunk):
            pending.append(pool.submit(_csv_lines, names, extra, numeric, columns, labels))
            if len(pending) > 2:  # at most three chunks in memory
                fh.write(pending.pop(0).result())
        for job in pending:
            fh.write(job.result())


def _csv_lines(names: "pa.Array", extra: list[str], numeric: set[str], columns: dict[str, "pd.Series"], labels: np.ndarray) -> memoryview:
    """One chunk of segments.csv's rows, as the bytes to write."""
    import pyarrow as pa
    import pyarrow.compute as pc

    part = text_column(columns["customer_id"])
    cluster = pa.array(labels)
    cells = [csv_text(part), pc.take(names, cluster), pc.cast(cluster, pa.string())]
    for c in extra:
        block = columns[c]
        cells.append(_number_text(block.to_numpy(dtype=np.float64)) if c in numeric else _csv_text_repeated(text_column(block.astype("string"))))
    return text_bytes(csv_lines(cells))


def csv_lines(cells: list["pa.Array"]) -> "pa.Array":
    """Cells of CSV text joined into lines, one per row, each ending in a newline."""
    import pyarrow as pa
    import pyarrow.compute as pc

    comma, newline, empty = pa.scalar(","), pa.scalar("\n"), pa.scalar("")
    joined: list[Any] = []
    for i, cell in enumerate(cells):
        joined += [cell] if i == 0 else [comma, cell]
    return pc.binary_join_element_wise(*joined, newline, empty)


def text_bytes(lines: "pa.Array") -> memoryview:
    """The text of a string array's values, back to back: of CSV lines, the file's next bytes."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def write_segments_parquet(report: Report, rows: Batches, path: Path, chunk: int = 1_000_000) -> None:
    """segments.parquet: the same columns, the segment as a dictionary of names, written a chunk at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = pa.array([s.name for s in report.segments], type=pa.string())
    extra = written_columns(report)
    writer = None
    try:
        for columns, labels in rows.batches(["customer_id", *extra], chunk):
            cluster = pa.array(np.asarray(labels).astype("int16"))
            table = pa.table({
                "customer_id": pa.array(columns["customer_id"].array, type=pa.string(), from_pandas=True),
                "segment": pa.DictionaryArray.from_arrays(cluster, names),
                "cluster": cluster,
                **{c: pa.array(columns[c].array, from_pandas=True) for c in extra},
            })
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def write_segments(report: Report, rows: Batches, folder: Path, parquet: bool = False) -> None:
    write_segments_csv(report, rows, folder / "segments.csv")
    if parquet:
        write_segments_parquet(report, rows, folder / "segments.parquet")
