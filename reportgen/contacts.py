"""Contact lists: for every segment with a campaign, `audiences/<segment>.csv` in the period folder,
one row per customer of the segment with the measures a campaign tool needs (the features and, for
an order log, p_active and the expected orders and value). Per-customer data like segments.csv:
never in the PDF or the email; manifest.json lists the files with their checksums.

Cells a spreadsheet would run as formulas get a leading quote, as in segments.csv. One writer for both
engines: the rows come from the engine that holds them (stages/rows.py Rows.batches)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .model import Report, Segment
from .segments_file import csv_lines, csv_text, text_bytes, text_column, whole_number_text
from .vocabulary import words

if TYPE_CHECKING:
    from .stages.rows import Rows as Batches

FOLDER = "audiences"


def file_names(segments: tuple[Segment, ...]) -> dict[int, str]:
    """Segment id -> a file name made of its name's letters and digits ('Can't lose them' ->
    'cant-lose-them.csv'), unique within the run."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    for s in segments:
        if not s.campaigns:
            continue
        base = "-".join(words(s.name.replace("'", "").replace("\u2019", ""))) or f"segment-{s.id}"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        out[s.id] = f"{name}.csv"
    return out


def columns(report: Report) -> list[str]:
    t = report.table
    return ["customer_id", *t.numeric, *t.scores]


def write_audiences(report: Report, rows: Batches, folder: Path, chunk: int = 1_000_000) -> list[Path]:
    """Each audience from every customer of its segment, read a chunk at a time from the engine that
    holds them, in the table's order. A chunk's lines are built once, in Arrow, and each segment's
    share written from them: pandas' to_csv formatted every number in Python (about 2 s per million
    customers, the largest per-row cost of a run); the bytes are the same as it wrote."""
    names = file_names(report.segments)
    if not names:
        return []
    (folder / FOLDER).mkdir(exist_ok=True)
    keep = columns(report)
    paths = {seg_id: folder / FOLDER / name for seg_id, name in names.items()}
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(keep)
    handles = {seg_id: path.open("wb") for seg_id, path in paths.items()}
    try:
        for fh in handles.values():
            fh.write(header.getvalue().encode())
        for batch, labels in rows.batches(keep, chunk):
            lines = csv_lines([_id_text(batch["customer_id"]), *(_number_text(batch[c]) for c in keep[1:])])
            labels = np.asarray(labels)
            for seg_id, fh in handles.items():
                mine = labels == seg_id
                if mine.any():
                    fh.write(text_bytes(lines.filter(pa.array(mine))))
    finally:
        for fh in handles.values():
            fh.close()
    return list(paths.values())


def _quoted_by_csv() -> bytes:
    """The characters that make Python's csv writer (pandas' to_csv, which wrote these files first)
    quote a field, so that the ids are quoted as they always were (a comma, a quote, a newline)."""
    def quoted(char: str) -> bool:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(["a" + char, ""])
        return out.getvalue().startswith('"')

    return "".join(c for c in ',"\r\n' if quoted(c)).encode()


QUOTED = _quoted_by_csv()


def _id_text(ids: pd.Series) -> pa.Array:
    """Customer ids as CSV text: formula-like ids behind a leading quote, blank when missing."""
    return pc.fill_null(csv_text(text_column(ids), QUOTED), "")


def _number_text(values: pd.Series) -> pa.Array:
    """Numbers as '%.12g' writes them, blank when missing (pandas' to_csv(float_format='%.12g')):
    whole numbers, most of a customer table, through Arrow's integer text; the rest by Python's own
    formatting, one value at a time, as before."""
    v = values.to_numpy()
    if v.dtype.kind in "iu":  # pandas writes integers as they are
        return pc.cast(pa.array(v), pa.string())
    if v.dtype.kind != "f":
        return pc.fill_null(csv_text(text_column(values.astype("string")), QUOTED), "")
    v = v.astype(np.float64, copy=False)
    text, rest = whole_number_text(v, 1e12)  # %.12g writes whole numbers under 1e12 in full
    other = rest & ~np.isnan(v)
    if other.any():
        text = pc.replace_with_mask(text, pa.array(other), pa.array(["%.12g" % x for x in v[other].tolist()], type=pa.string()))
    missing = np.isnan(v)
    if missing.any():
        text = pc.if_else(pa.array(missing), pa.scalar(""), text)
    return text
