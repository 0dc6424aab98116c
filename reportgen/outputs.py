"""Write a period folder atomically: everything goes into a hidden staging folder beside the target,
which replaces the target only when complete. A failed or killed run leaves the previous report as
it was; leftovers of a killed run are cleared by the next run of that period.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from filelock import FileLock, Timeout

from .errors import ConfigError, ReportgenError
from .files import digest, dumps, sha256
from .model import Report
from .spreadsheet import FORMULA
from .summary_file import SCHEMA_VERSION
from .version import __version__

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .stages.rows import Rows as Batches  # every customer in the table's order, a chunk at a time

PACKAGES = ("pandas", "numpy", "scikit-learn", "jinja2", "weasyprint", "plotly", "kaleido", "pyyaml", "pydantic")


@contextmanager
def period_lock(target: Path) -> Iterator[None]:
    """One run per period folder at a time; a second run is refused with a clear message."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target.parent / f".{target.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ReportgenError(
            f"Another reportgen run is writing {target} right now.", "Wait for it to finish, then run again."
        ) from None
    try:
        yield
    finally:
        lock.release()


VERSION = "v-"  # .PERIOD.v-<id>: a complete report; OUT/PERIOD is a symlink to one of them


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where not available."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    return False  # EINVAL / ENOSYS (file system or kernel without it): the caller falls back


def _versions_of(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.{VERSION}*"), key=lambda p: p.stat().st_mtime_ns)


def _recover(target: Path) -> None:
    """A run killed while replacing an old-style folder may leave no OUT/PERIOD: point it at the
    newest complete version. Then clear every leftover except the version in use."""
    parent = target.parent
    if not target.exists() and not target.is_symlink():
        complete = [v for v in _versions_of(target) if v.is_dir() and not v.is_symlink()]
        if complete:
            os.symlink(complete[-1].name, target)
    if target.is_symlink() and not target.exists():  # dangling: its version was removed by hand
        complete = [v for v in _versions_of(target) if v.is_dir() and not v.is_symlink()]
        if complete:
            _point(target, complete[-1])
    # what the period shows, however its link is spelt (relative, absolute, './x', 'x/', re-made by hand)
    in_use = target.resolve() if target.exists() else None
    for stale in parent.glob(f".{target.name}.*"):  # left by a killed run; we hold the lock
        if stale.name.endswith(".lock"):
            continue
        if stale.is_symlink() or stale.is_file():
            stale.unlink(missing_ok=True)  # removes the link, never what it points at
        elif stale.is_dir() and stale.resolve() != in_use:
            shutil.rmtree(stale, ignore_errors=True)


def _point(target: Path, version: Path) -> None:
    """Make `target` a symlink to `version` in one atomic step (rename of a new link over it)."""
    link = target.parent / f".{target.name}.link-{uuid.uuid4().hex[:8]}"
    os.symlink(version.name, link)
    os.replace(link, target)


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """Yield an empty folder; on success it becomes what `target` shows, on failure it is removed.

    `target` (OUT/PERIOD) is a relative symlink to a hidden complete folder `.PERIOD.v-<id>`
    beside it. A finished run renames its staging folder to a new version and swaps the symlink
    with one rename, so at every instant OUT/PERIOD is either the old report or the new one,
    whatever moment a run is killed. The old version is removed afterwards (or by the next run).
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the output folder {parent} ({exc.strerror}).", "Choose another --out.") from None
    _recover(target)
    tmp = parent / f".{target.name}.staging-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    version = parent / f".{target.name}.{VERSION}{uuid.uuid4().hex[:8]}"
    os.rename(tmp, version)  # complete from here on
    old: Path | None = None
    if target.is_symlink():
        old = target.resolve() if target.exists() else None  # the folder it showed, by its real path
        _point(target, version)
    elif target.exists():  # a real folder written by an earlier reportgen
        link = parent / f".{target.name}.link-{uuid.uuid4().hex[:8]}"
        os.symlink(version.name, link)
        if _exchange(link, target):
            old = link  # now the old folder
        else:
            old = parent / f".{target.name}.{VERSION}old-{uuid.uuid4().hex[:8]}"
            os.rename(target, old)  # a kill here leaves no OUT/PERIOD; _recover restores the newest
            os.replace(link, target)
    else:
        _point(target, version)
    if old is None or old.name == version.name or not old.name.startswith(f".{target.name}."):
        return
    if old.is_symlink() or old.is_file():
        old.unlink(missing_ok=True)
    elif old.resolve().parent == parent.resolve() and old.resolve() != target.resolve():  # only a version of ours, never what is shown
        shutil.rmtree(old, ignore_errors=True)


def _csv_text(values: "pa.Array") -> "pa.Array":
    """Spreadsheet-safe, CSV-escaped text: a leading quote before = + - @ tab CR (OWASP), and
    quotes around values with a comma, quote or line break."""
    import pyarrow as pa
    import pyarrow.compute as pc

    quote, empty = pa.scalar('"'), pa.scalar("")
    if _may_hold(values, b"=+-@\t\r"):
        formula = pc.match_substring_regex(values, FORMULA)
        if pc.any(formula).as_py():  # else unchanged: building the joined copy costs more than the test
            values = pc.if_else(formula, pc.binary_join_element_wise(pa.scalar("'"), values, empty), values)
    if not _may_hold(values, b'",\r\n'):
        return values
    special = pc.match_substring_regex(values, '[",\r\n]')
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
    """_csv_text for a column of few distinct values (gender, region): each value escaped once."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    return pc.take(_csv_text(encoded.dictionary), encoded.indices)


def _text_column(values: "pd.Series") -> "pa.Array":
    import pyarrow as pa

    part = pa.array(values.array, type=pa.string(), from_pandas=True)
    return part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part  # ids read by pyarrow arrive in chunks


def _number_text(values: np.ndarray) -> "pa.Array":
    """Numbers as CSV text: up to 6 decimals, no trailing zeros, blank when missing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype=np.float64)
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

    names = _csv_text(pa.array([s.name for s in report.segments], type=pa.string()))
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

    part = _text_column(columns["customer_id"])
    cluster = pa.array(labels)
    cells = [_csv_text(part), pc.take(names, cluster), pc.cast(cluster, pa.string())]
    for c in extra:
        block = columns[c]
        cells.append(_number_text(block.to_numpy(dtype=np.float64)) if c in numeric else _csv_text_repeated(_text_column(block.astype("string"))))
    comma, newline, empty = pa.scalar(","), pa.scalar("\n"), pa.scalar("")
    joined: list[Any] = []
    for i, cell in enumerate(cells):
        joined += [cell] if i == 0 else [comma, cell]
    lines = pc.binary_join_element_wise(*joined, newline, empty)
    # the lines' text buffer is exactly the file's next bytes
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


def summary(report: Report) -> dict[str, Any]:
    """The numbers other tools read; no timestamps, so equal inputs give equal files."""
    c = report.clustering
    t = report.table
    return {
        "schema_version": SCHEMA_VERSION,  # summary_file.py reads it back: raise it there when a field read changes
        "period": report.period,
        "n_customers": t.n_customers,
        "n_read": t.n_read,
        "n_dropped": t.n_dropped,
        "row_issues": [
            {"column": i.column, "reason": i.reason, "rows": i.rows, "dropped": i.dropped, "example_lines": list(i.examples)}
            for i in t.issues
        ],
        "kind": t.kind,
        "facts": t.facts,
        "features": list(report.features.roles),
        "scaling": [
            {"feature": f, "transform": tr, "skew": sk, "automatic": auto}
            for f, tr, sk, auto in zip(report.features.roles, report.features.transforms, report.features.skew, report.features.automatic)
        ],
        "all_features": list(t.numeric),
        "attributes": list(t.attributes),
        "definitions": t.columns,
        "population": {f: round(v, 4) for f, v in report.population.items()},
        "k": c.k,
        "k_clusters": c.clusters_k,  # K-Means' own k; differs from k when the segments were formed by name
        "k_auto": c.k_auto,
        "metrics": {"silhouette": c.silhouette, "davies_bouldin": c.davies_bouldin, "calinski_harabasz": c.calinski_harabasz},
        "k_selection": [
            {"k": p.k, "silhouette": p.silhouette, "calinski_harabasz": p.calinski_harabasz, "davies_bouldin": p.davies_bouldin, "inertia": p.inertia, "min_share": p.min_share, "stability": p.stability}
            for p in c.k_curve
        ],
        "k_reasons": list(c.k_reasons),
        "confidence": _confidence(report),
        "alternatives": [{"method": a.method, "k": a.k, "silhouette": a.silhouette, "agreement": a.agreement} for a in report.trust.alternatives] if report.trust else [],
        "level_cuts": {role: [round(v, 4) for v in cuts] for role, cuts in report.level_cuts.items()},
        "naming": _naming(report),
        "forecast": _forecast(report),
        "responses": report.response_rates,
        "actions": [
            {
                "segment": a.segment, "campaign": a.campaign, "audience": a.audience, "value_at_stake": a.value_at_stake,
                "value_basis": a.basis or None, "expected_response": a.expected_response, "budget_share": a.budget_share,
            }
            for a in report.actions
        ],
        "largest_segment": report.largest.id,
        "most_valuable_segment": report.most_valuable.id,
        "segments": [
            {
                "id": s.id,
                "name": s.name,
                "size": s.size,
                "share": s.share,
                "centroid": {f: s.centroid[f] for f in report.features.roles if f in s.centroid},
                "levels": s.levels,
                "name_fit": s.name_fit,
                "revenue": s.revenue,
                "revenue_share": s.revenue_share,
                "p_active": s.p_active,
                "expected_orders_90d": s.expected_orders_90d,
                "expected_value_12m": s.expected_value_12m,
                "responses": s.responses,
                "description": s.profile,
                "profile": s.means,
                "mix": s.mix,
                "stability": report.trust.stability[s.id] if report.trust and s.id < len(report.trust.stability) else None,
                "category_index": s.category_index,
                "attributes": s.mixes,
                "rule": s.rule,
                "base_name": s.base_name,
                "colour": s.colour,
                "gender_mix": s.mixes.get("gender", {}),
                "campaigns": [
                    {
                        "name": cp.name,
                        "objective": cp.objective,
                        "channels": list(cp.channels),
                        "offer": cp.offer,
                        "kpi": cp.kpi,
                        "budget_share": cp.budget_share,
                        "tone": cp.tone,
                    }
                    for cp in s.campaigns
                ],
            }
            for s in report.segments
        ],
        "warnings": list(report.warnings),
        "changes": _changes(report),
    }


def _forecast(report: Report) -> dict[str, Any] | None:
    f = report.forecast
    if f is None:
        return None
    return {
        "fitted": f.fitted,
        "reason": f.reason or None,
        "bgnbd": dict(zip(("r", "alpha", "a", "b"), (round(v, 6) for v in f.bgnbd))) if f.bgnbd else None,
        "gamma_gamma": dict(zip(("p", "q", "v"), (round(v, 6) for v in f.gamma_gamma))) if f.gamma_gamma else None,
        "time_unit": "days",
        "customers": f.customers,
        "repeat_customers": f.repeat_customers,
    }


def _naming(report: Report) -> dict[str, Any] | None:
    n = report.naming
    if n is None:
        return None
    r = report.profile.rhythm
    return {
        "how": n.how,
        "rules": n.rules,
        "judged": list(n.judged),
        "unjudged": list(n.unjudged),
        "short_history": n.short_history,
        "fine_clusters": n.fine_k or None,
        "first_clusters": [{"name": name, "name_fit": fit} for name, fit in n.cluster_fits],
        "folded": [{"name": name, "customers": size} for name, size in n.folded],
        "value_feature": n.value_feature,
        "kept_cuts": list(n.kept_cuts),
        "rhythm": None if r is None else {"cycle_days": None if r.cycle_days is None else round(r.cycle_days, 2), "history_days": r.history_days, "repeat_customers": r.repeat_customers},
    }


def _confidence(report: Report) -> dict[str, Any] | None:
    if report.trust is None:
        return None
    c = report.trust.confidence
    return {
        "level": c.level,
        "statement": report.trust.confidence_sentence,
        "hopkins": c.hopkins,
        "silhouette": c.silhouette,
        "reference_silhouette": c.reference_silhouette,
        "stability": c.stability,
        "reasons": list(c.reasons),
        "alternatives_statement": report.trust.alternatives_sentence,
        "rows": report.trust.rows,
    }


def _changes(report: Report) -> dict[str, Any] | None:
    ch = report.changes
    if ch is None:
        return None
    return {
        "previous_period": ch.previous_period,
        "n_customers": {"then": ch.n_then, "now": ch.n_now},
        "segments": [
            {
                "name": s.name,
                "status": s.status,
                "previous_name": s.previous_name,
                "size": {"then": s.size_then, "now": s.size_now, "change": None if s.size_then is None else s.size_now - s.size_then},
                "share": {"then": s.share_then, "now": s.share_now, "change": None if s.share_then is None else round(s.share_now - s.share_then, 4)},
                "centroid_drift": s.drift,
            }
            for s in ch.segments
        ],
        "disappeared": [{"name": name, "size_then": size} for name, size in ch.disappeared],
        "migration": {"from": list(ch.rows), "to": list(ch.columns), "counts": [list(r) for r in ch.counts]},
        "new_customers": ch.new_customers,
        "gone_customers": ch.gone_customers,
        "stayed": ch.stayed,
        "moved": ch.moved,
    }


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "reportgen": __version__}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def manifest(report: Report, folder: Path, settings_dump: dict[str, Any]) -> dict[str, Any]:
    settings = settings_dump  # no secrets live in settings
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(report.table.source), "sha256": report.table.checksum},
        "settings": settings,
        "settings_sha256": digest(settings),
        "versions": _versions(),
        "timings_s": {k: round(v, 3) for k, v in report.timings.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "files": {str(p.relative_to(folder)): sha256(p) for p in files},
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(dumps(data, indent=2) + "\n", encoding="utf-8")


def write_segments(report: Report, rows: Batches, folder: Path, parquet: bool = False) -> None:
    write_segments_csv(report, rows, folder / "segments.csv")
    if parquet:
        write_segments_parquet(report, rows, folder / "segments.parquet")


def write_summary(report: Report, folder: Path) -> None:
    write_json(summary(report), folder / "summary.json")
