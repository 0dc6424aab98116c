"""Thin command line: parse options, call the Python API, turn ReportgenError into one line + an exit code."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from .version import __version__
from .errors import ConfigError, ReportgenError


def _k(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    if value.isdigit():
        return int(value)
    raise click.BadParameter(f"'{value}' is not 'auto' or a whole number.", param_hint="--k")


def _csv(value: str | None) -> list[str] | None:
    return [f.strip() for f in value.split(",") if f.strip()] if value else None


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"), "level": record.levelname.lower(), "message": record.getMessage()}
        if record.exc_info:  # a traceback stays inside the one JSON object of its line
            event["traceback"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False)


def _say_error(ctx: click.Context, message: str, code: int) -> None:
    if ctx.obj and ctx.obj.get("json"):
        click.echo(json.dumps({"level": "error", "message": message, "exit_code": code}, ensure_ascii=False), err=True)
    else:
        click.echo(f"reportgen: {message}", err=True)
    sys.exit(code)


class _Errors(click.Group):
    """ReportgenError ends as one line on stderr and its exit code (2, or 3/75 for delivery); no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReportgenError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _say_error(ctx, str(exc), exc.exit_code)
        except OSError as exc:  # disk full, permission denied, ... while writing the report
            if ctx.obj and ctx.obj.get("debug"):
                raise
            where = exc.filename or "file system"
            _say_error(ctx, f"{where}: {exc.strerror or exc}. Check free space and permissions, then run again; the previous report is unchanged.", 2)
        except KeyboardInterrupt:
            _say_error(ctx, "interrupted; the previous report is unchanged.", 130)
        except Exception as exc:  # a bug: exit 1 with its traceback, as one JSON object for job runners
            if not (ctx.obj and ctx.obj.get("json")) or ctx.obj.get("debug"):
                raise
            import traceback

            click.echo(
                json.dumps(
                    {"level": "critical", "message": f"internal error: {type(exc).__name__}: {exc}", "exit_code": 1, "traceback": traceback.format_exc()},
                    ensure_ascii=False,
                ),
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Errors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("--quiet", "-q", is_flag=True, help="Only print warnings and errors.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="json: one JSON object per line, for job runners.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, log_format: str) -> None:
    """Monthly customer-segment briefings: PDF, HTML page, email and data files."""
    # A live status line for a person at a terminal; never in cron, with --quiet or --log-format json.
    progress = sys.stderr.isatty() and not quiet and not debug and log_format == "text"
    ctx.obj = {"debug": debug, "json": log_format == "json", "progress": progress}
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else logging.Formatter("reportgen: %(message)s"))
    log = logging.getLogger("reportgen")
    log.handlers[:] = [handler]
    log.propagate = False
    # Libraries' own logging (the browser driver, the PDF engine) is for --debug only.
    root = logging.getLogger()
    root.handlers[:] = [handler] if debug else [logging.NullHandler()]
    root.setLevel(logging.DEBUG if debug else logging.CRITICAL)
    # Progress for a person at a terminal; a scheduled job's stderr keeps warnings and errors
    # (and everything with --log-format json, where a job runner reads it).
    chatty = sys.stderr.isatty() or log_format == "json"
    log.setLevel(logging.DEBUG if debug else logging.WARNING if quiet or not chatty or progress else logging.INFO)


@cli.command()
@click.option("--data", help="Customer table (CSV or Parquet; with --engine spark also a folder or URL). Default: the bundled sample.")
@click.option("--config", "config", type=click.Path(path_type=Path), help="Settings file (YAML); flags override it.")
@click.option("--period", help="Month of the report, YYYY-MM. Default: the current month.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder that holds the period folders. Default: output.")
@click.option("--k", "k", help="Number of segments, or 'auto' (chosen from k_min..k_max by separation, stability and segment size).")
@click.option("--features", help="Comma-separated features to cluster on, e.g. income,spending or recency,spend,web_share (any configured feature).")
@click.option("--seed", type=int, help="Random seed for K-Means (default 42).")
@click.option("--compare-to", "compare_to", help="Compare with this period's report (default: last month's, if it was run).")
@click.option("--engine", type=click.Choice(["local", "spark"]), help="Where the data is processed (spark: pip install 'reportgen[spark]').")
@click.option("--spark-master", "spark_master", help="With --engine spark: local[2] (default), spark://host:7077, yarn, ...")
@click.option("--send", "send_after", is_flag=True, help="Email the report when it is done (see 'reportgen send').")
@click.option("--to", help="With --send: comma-separated recipients (default: email.recipients in the config).")
@click.option("--resend", is_flag=True, help="With --send: send even to recipients who already had this period's report.")
def run(
    data: str | None, config: Path | None, period: str | None, out: Path | None, k: str | None, features: str | None,
    seed: int | None, compare_to: str | None, engine: str | None, spark_master: str | None, send_after: bool, to: str | None, resend: bool,
) -> None:
    """Build the period's report folder: briefing.pdf, report.html, report.eml, segments.csv, summary.json."""
    from .settings_file import load_settings
    from .pipeline import run as run_pipeline

    settings = load_settings(config, {"data": data, "period": period, "out": out, "k": _k(k), "features": _csv(features), "seed": seed, "compare_to": compare_to, "engine": engine, "spark_master": spark_master})
    recipients = _recipients(to)  # checked before the work, not after it
    if send_after and not (recipients or settings.email.recipients):
        raise ConfigError("--send: no recipients to send the report to.", "Pass --to a@example.com or set email.recipients in the config.")
    report = run_pipeline(settings, progress=bool(click.get_current_context().obj.get("progress")))
    names = ", ".join(f"{s.name} ({s.size})" for s in report.segments)
    click.echo(f"{report.period}: {report.table.n_customers} customers, {report.clustering.k} segments: {names}")
    click.echo(f"Report: {report.folder}")
    if send_after:
        _send(settings, recipients, resend)


@cli.command()
@click.option("--period", help="Which month's report to send, YYYY-MM. Default: the current month.")
@click.option("--to", help="Comma-separated recipients (default: email.recipients in the config).")
@click.option("--config", "config", type=click.Path(path_type=Path), help="Settings file (YAML) with email.smtp and email.recipients.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder that holds the period folders. Default: output.")
@click.option("--resend", is_flag=True, help="Send even to recipients who already had this period's report.")
def send(period: str | None, to: str | None, config: Path | None, out: Path | None, resend: bool) -> None:
    """Email a period's report.eml over SMTP (login from REPORTGEN_SMTP_USER / REPORTGEN_SMTP_PASSWORD)."""
    from .settings_file import load_settings

    recipients = _recipients(to)
    _send(load_settings(config, {"period": period, "out": out}), recipients, resend)


def _recipients(to: str | None) -> list[str] | None:
    """--to as a list of addresses, each on one line (a line break would forge mail headers)."""
    from .mailcheck import check_address

    return [check_address(a, "--to") for a in _csv(to) or []] or None


def _send(settings: Any, to: list[str] | None, resend: bool) -> None:
    from .deliver import send as deliver

    result = deliver(settings.period_dir, settings.period, to or list(settings.email.recipients), settings.email.sender, settings.email.smtp, resend)
    if result.sent_to:
        click.echo(f"Sent the {settings.period} report to {', '.join(result.sent_to)}.")
    if result.skipped:
        click.echo(f"Already sent earlier, not sent again: {', '.join(result.skipped)} (use --resend to send anyway).")


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), help="Folder that holds the period folders. Default: output.")
@click.option("--config", "config", type=click.Path(path_type=Path), help="Settings file (YAML).")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON lines.")
def history(out: Path | None, config: Path | None, as_json: bool) -> None:
    """List past runs: period, status, time, customers, k, segment sizes, input checksum."""
    from . import history as hist
    from .settings_file import load_settings

    records = hist.read(load_settings(config, {"out": out}).out)
    if as_json:
        for line in hist.json_lines(records):
            click.echo(line)
    elif records:
        click.echo(hist.table(records))
    else:
        click.echo("No runs recorded yet.")


@cli.command()
@click.option("--kind", type=click.Choice(["customers", "transactions"]), default="customers", show_default=True, help="customers: a mall-like customer table; transactions: an order log (Online Retail columns).")
@click.option("--rows", type=int, help="How many customers (default 600), or order lines with --kind transactions (default 100000).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed; the same seed gives the same file.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write (.csv or .parquet).")
@click.option("--with-truth", is_flag=True, help="Add a planted_segment (customers) or customer_type (transactions) column, for tests and benchmarks.")
@click.option("--month", type=int, default=0, show_default=True, help="The same customers this many months later.")
@click.option("--migrate", type=float, default=0.1, show_default=True, help="Share of customers moving to another segment each month.")
@click.option("--churn", type=float, default=0.05, show_default=True, help="Share of customers leaving (and as many joining) each month.")
@click.option("--spread", type=float, default=1.0, show_default=True, help="Spread of the segments; below 1 separates them cleanly.")
def sample(kind: str, rows: int | None, seed: int, out: Path, with_truth: bool, month: int, migrate: float, churn: float, spread: float) -> None:
    """Generate mall-like customers with planted segments (the bundled sample is made with this), or an order log."""
    if kind == "transactions":
        from .sample import generate_transactions, write_transactions

        lines = rows if rows is not None else 100_000
        path = write_transactions(generate_transactions(lines, seed, with_truth), out)
        click.echo(f"Wrote {lines} order lines to {path}")
        return
    from .sample import generate, write

    rows = rows if rows is not None else 600
    path = write(generate(rows, seed, with_truth, month=month, migrate=migrate, churn=churn, spread=spread), out)
    click.echo(f"Wrote {rows} customers to {path}")


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), required=True, help="A customer table or an order log (CSV or Parquet) to draft settings for.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("reportgen.yaml"), show_default=True, help="The settings file to write.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def init(data: Path, out: Path, force: bool) -> None:
    """Look at a file and write a commented settings file for it that runs as is."""
    from .init import write

    path = write(data, out, force)
    click.echo(f"Wrote {path}; read it, then: reportgen run --config {path}")


def main() -> None:
    """The console entry point. A finished command leaves the process at once: tearing down the
    interpreter's modules (pandas, scikit-learn, SciPy, plotly) takes another 0.2-0.3 s that a user
    waits for and nothing needs. Exit handlers still run and output is flushed first; a bug's
    traceback leaves the ordinary way."""
    try:
        cli(prog_name="reportgen")
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: object) -> None:
    import atexit
    import os
    import threading

    if isinstance(code, str):  # sys.exit("message"): the message on stderr, exit 1, as Python does
        print(code, file=sys.stderr)
        code = 1
    shutdown = getattr(threading, "_shutdown", None)  # what the interpreter does first at exit: stop
    if shutdown is not None:  # idle executor threads, then wait for the other non-daemon threads
        shutdown()
    atexit._run_exitfuncs()  # also flushes and closes the logging handlers
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing left to say
            pass
    os._exit(code if isinstance(code, int) else 0)
