"""Contact lists: for every segment with a campaign, `audiences/<segment>.csv` in the period folder,
one row per customer of the segment with the measures a campaign tool needs (the features and, for
an order log, p_active and the expected orders and value). Per-customer data like segments.csv:
never in the PDF or the email; manifest.json lists the files with their checksums.

Cells a spreadsheet would run as formulas get a leading quote, as in segments.csv. One writer for both
engines: the rows come from the engine that holds them (stages/rows.py Rows.batches)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .model import Report, Segment
from .spreadsheet import FORMULA
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
    holds them, in the table's order."""
    names = file_names(report.segments)
    if not names:
        return []
    (folder / FOLDER).mkdir(exist_ok=True)
    keep = columns(report)
    paths = {seg_id: folder / FOLDER / name for seg_id, name in names.items()}
    started: set[int] = set()
    handles = {seg_id: path.open("w", encoding="utf-8", newline="") for seg_id, path in paths.items()}
    try:
        for batch, labels in rows.batches(keep, chunk):
            ids = batch["customer_id"].astype("string")
            safe = ids.where(~ids.str.match(FORMULA).fillna(False), "'" + ids)
            labels = np.asarray(labels)
            for seg_id, fh in handles.items():
                mine = labels == seg_id
                if not mine.any() and seg_id in started:
                    continue
                part = pd.DataFrame({c: (safe[mine] if c == "customer_id" else batch[c][mine]) for c in keep})
                part.to_csv(fh, index=False, header=seg_id not in started, lineterminator="\n", float_format="%.12g")
                started.add(seg_id)
    finally:
        for fh in handles.values():
            fh.close()
    return list(paths.values())
