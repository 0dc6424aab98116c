"""Contact lists: for every segment with a campaign, `audiences/<segment>.csv` in the period folder,
one row per customer of the segment with the measures a campaign tool needs (the features and, for
an order log, p_active and the expected orders and value). Per-customer data like segments.csv:
never in the PDF or the email; manifest.json lists the files with their checksums.

Cells a spreadsheet would run as formulas get a leading quote, as in segments.csv. Both engines write
the same columns in the same order (the Spark engine through engines/spark.py write_audiences)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .model import Report, Segment
from .spreadsheet import FORMULA
from .vocabulary import words

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
    return [c for c in ("customer_id", *t.numeric, *t.scores) if c in t.frame.columns or c == "customer_id"]


def write_audiences(report: Report, folder: Path) -> list[Path]:
    """One machine: each audience from the table's rows."""
    names = file_names(report.segments)
    if not names:
        return []
    (folder / FOLDER).mkdir(exist_ok=True)
    frame = report.table.frame
    keep = columns(report)
    ids = frame["customer_id"].astype("string")
    safe = ids.where(~ids.str.match(FORMULA).fillna(False), "'" + ids)
    labels = np.asarray(report.clustering.labels)
    written = []
    for seg_id, name in names.items():
        rows = labels == seg_id
        part = pd.DataFrame({c: (safe[rows] if c == "customer_id" else frame.loc[rows, c]) for c in keep})
        path = folder / FOLDER / name
        part.to_csv(path, index=False, lineterminator="\n", float_format="%.12g")
        written.append(path)
    return written
