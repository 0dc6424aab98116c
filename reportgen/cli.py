"""Thin command line: parse options, call the Python API, turn ReportgenError into one line + exit 2."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import ReportgenError


def _k(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    if value.isdigit():
        return int(value)
    raise click.BadParameter(f"'{value}' is not 'auto' or a whole number.", param_hint="--k")


def _features(value: str | None) -> list[str] | None:
    return [f.strip() for f in value.split(",") if f.strip()] if value else None


class _Errors(click.Group):
    """Every ReportgenError ends as 'reportgen: <message>' on stderr and exit code 2, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReportgenError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"reportgen: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # disk full, permission denied, ... while writing the report
            if ctx.obj and ctx.obj.get("debug"):
                raise
            where = exc.filename or "file system"
            click.echo(f"reportgen: {where}: {exc.strerror or exc}. Check free space and permissions, then run again; the previous report is unchanged.", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("reportgen: interrupted; the previous report is unchanged.", err=True)
            sys.exit(130)


@click.group(cls=_Errors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("--quiet", "-q", is_flag=True, help="Only print errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """Monthly customer-segment briefings: PDF, HTML page, email and data files."""
    ctx.obj = {"debug": debug}
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("reportgen: %(message)s"))
    log = logging.getLogger("reportgen")
    log.handlers[:] = [handler]
    log.propagate = False
    # Libraries' own logging (the browser driver, the PDF engine) is for --debug only.
    root = logging.getLogger()
    root.handlers[:] = [handler] if debug else [logging.NullHandler()]
    root.setLevel(logging.DEBUG if debug else logging.CRITICAL)
    # Progress lines only for a person at a terminal; a scheduled job's stderr keeps warnings and errors.
    interactive = sys.stderr.isatty()
    log.setLevel(logging.DEBUG if debug else logging.WARNING if quiet or not interactive else logging.INFO)


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help="Customer table (CSV or Parquet). Default: the bundled sample.")
@click.option("--config", "config", type=click.Path(path_type=Path), help="Settings file (YAML); flags override it.")
@click.option("--period", help="Month of the report, YYYY-MM. Default: the current month.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder that holds the period folders. Default: output.")
@click.option("--k", "k", help="Number of segments, or 'auto' (best silhouette over k_min..k_max).")
@click.option("--features", help="Comma-separated roles to cluster on, e.g. income,spending or age,income,spending.")
@click.option("--seed", type=int, help="Random seed for K-Means (default 42).")
def run(data: Path | None, config: Path | None, period: str | None, out: Path | None, k: str | None, features: str | None, seed: int | None) -> None:
    """Build the period's report folder: briefing.pdf, report.html, report.eml, segments.csv, summary.json."""
    from .config import load_settings
    from .pipeline import run as run_pipeline

    settings = load_settings(config, {"data": data, "period": period, "out": out, "k": _k(k), "features": _features(features), "seed": seed})
    report = run_pipeline(settings)
    names = ", ".join(f"{s.name} ({s.size})" for s in report.segments)
    click.echo(f"{report.period}: {len(report.table.frame)} customers, {report.clustering.k} segments: {names}")
    click.echo(f"Report: {report.folder}")


@cli.command()
@click.option("--rows", type=int, default=600, show_default=True, help="How many customers.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed; the same seed gives the same file.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write (.csv or .parquet).")
@click.option("--with-truth", is_flag=True, help="Add a planted_segment column (for tests and benchmarks).")
def sample(rows: int, seed: int, out: Path, with_truth: bool) -> None:
    """Generate mall-like customers with planted segments (the bundled sample is made with this)."""
    from .sample import generate, write

    path = write(generate(rows, seed, with_truth), out)
    click.echo(f"Wrote {rows} customers to {path}")


def main() -> None:
    cli(prog_name="reportgen")
