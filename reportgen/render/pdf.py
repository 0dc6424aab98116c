"""HTML -> PDF with WeasyPrint; the only module that imports it.

The URL fetcher lets WeasyPrint read files inside the run's own folder and data: URIs, nothing
else: no network, no file elsewhere on disk (the default fetcher would embed any local file).

A run renders its PDF in a `PdfWorker`: a child process started with the run, which imports
WeasyPrint (~0.6 s) while the parent analyses, and renders while the parent exports the email's
PNGs and builds the other documents. The child only reads (the HTML from a pipe, the chart files);
the parent writes briefing.pdf. The child dies with its parent (Linux PR_SET_PDEATHSIG) and is
killed on timeout or when the run ends.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlparse

from ..errors import RenderError

log = logging.getLogger("reportgen")
PDF_TIMEOUT_S = 120.0
CSS_HINT = "Check the templates' HTML and CSS."


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, root: Path, gate: Callable[[], object] | None = None, late: dict[str, tuple[int, int]] | None = None) -> None:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
            self.root = root.resolve()
            self.refused: list[str] = []
            self._gate = gate  # called once, before the first file is read: waits until the charts are written
            # SVGs still being drawn (path -> width, height): answered with a blank one of that size until open()
            self.late = {(self.root / name).resolve(): size for name, size in (late or {}).items()}
            self.stood_in: list[str] = []

        def open(self) -> None:
            """Wait for the files (once), then serve them as they are."""
            if self._gate is not None:
                gate, self._gate = self._gate, None
                gate()
            self.late = {}

        def fetch(self, url: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
            parsed = urlparse(url)
            if parsed.scheme == "file":
                target = Path(unquote(parsed.path)).resolve()
                if target in self.late:
                    self.stood_in.append(url)
                    width, height = self.late[target]
                    blank = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"/>'
                    return URLFetcherResponse(url, blank.encode(), {"Content-Type": "image/svg+xml"})
                if target == self.root or self.root in target.parents:
                    self.open()
                    return super().fetch(url, headers)
            elif parsed.scheme == "data":
                return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"reportgen does not fetch {url!r}: only the report's own files")

    return LocalOnlyFetcher


def warm_up() -> None:
    """Import WeasyPrint (~0.5 s) at a moment when the CPU would otherwise wait."""
    import weasyprint  # noqa: F401


def render_pdf(
    html: str, base_dir: Path, gate: Callable[[], object] | None = None, late: dict[str, tuple[int, int]] | None = None
) -> tuple[bytes, list[str]]:
    """Render `html` (relative links resolve inside base_dir); returns the PDF and the refused URLs.

    `gate` is called before the first file in base_dir is read (the charts may still be drawing).
    `late` names SVG files of base_dir (relative path -> width, height) that are still being drawn:
    the pages are laid out around blank pictures of that size first, then `gate` is called and the
    real pictures are put in their place before the pages are drawn. Laying out is about half of
    WeasyPrint's time, and it now runs while the browser draws the charts."""
    import weasyprint

    options: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}  # PDF/UA-1: tagged for screen readers
    fetcher = _fetcher_class()(base_dir, gate, late)
    try:
        source = weasyprint.HTML(string=html, base_url=str(base_dir.resolve()) + "/", url_fetcher=fetcher)
        cache: dict[str, Any] = {}
        document = source.render(cache=cache, **options)
        fetcher.open()
        if fetcher.stood_in and not _put_in_place(cache, fetcher.stood_in, fetcher):
            log.debug("A chart was not the size announced (or did not load); the PDF was laid out again.")
            document = source.render(**options)
        pdf = document.write_pdf(**options)
    except Exception as exc:  # WeasyPrint raises a wide range of errors from fonts and layout
        raise RenderError(f"The PDF could not be rendered ({type(exc).__name__}: {exc}).", CSS_HINT) from None
    return pdf, list(fetcher.refused)


def _put_in_place(cache: dict[str, Any], urls: list[str], fetcher: Any) -> bool:
    """Swap each blank stand-in for its real SVG; False if one cannot take its place unchanged
    (it failed to load, or its size differs, which would change the layout).

    This reaches into WeasyPrint 70's SVGImage (its `_context`, and replacing its state), which
    pyproject pins; a version without them takes the False path: a correct, slower second layout."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.images import SVGImage, get_image_from_uri

    swaps = []
    for url in dict.fromkeys(urls):
        blank = cache.get(url)
        if not isinstance(blank, SVGImage) or not hasattr(blank, "_context"):
            return False
        real = get_image_from_uri({}, fetcher, DEFAULT_OPTIONS, url, context=blank._context)
        if type(real) is not type(blank) or real.get_intrinsic_size(1, 16) != blank.get_intrinsic_size(1, 16):
            return False
        swaps.append((blank, real))
    for blank, real in swaps:
        vars(blank).update(vars(real))
    return True


def write_pdf(html: str, base_dir: Path, out: Path) -> list[str]:
    """Render `html` to `out` in this process; returns refused URLs."""
    pdf, refused = render_pdf(html, base_dir)
    out.write_bytes(pdf)
    return refused


class PendingPdf:
    """A PDF being rendered; ``wait()`` writes it and returns the refused URLs, or raises RenderError."""

    def __init__(self, job: Future[tuple[bytes, list[str]]], out: Path, timeout: float) -> None:
        self._job = job
        self.out = out
        self._timeout = timeout
        self._refused: list[str] | None = None
        self.waited = 0.0

    def wait(self) -> list[str]:
        if self._refused is None:
            start = time.perf_counter()
            try:
                pdf, refused = self._job.result(self._timeout)
            except FutureTimeout:
                raise RenderError(f"The PDF did not render within {self._timeout:.0f} s.", CSS_HINT) from None
            finally:
                self.waited += time.perf_counter() - start
            self.out.write_bytes(pdf)
            self._refused = refused
        return list(self._refused)


class PdfWorker:
    """WeasyPrint in a child process, started early; one PDF per worker. Use as a context manager."""

    def __init__(self, timeout: float = PDF_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}

    def start(self) -> "PdfWorker":
        root = str(Path(__file__).resolve().parents[2])
        code = f"import sys; sys.path.insert(0, {root!r}); from reportgen.render.pdf import _serve; _serve({os.getpid()})"
        self._proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return self

    def __enter__(self) -> "PdfWorker":
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def render(
        self, html: str, base_dir: Path, out: Path, ready: Callable[[], object] | None = None, late: dict[str, tuple[int, int]] | None = None
    ) -> PendingPdf:
        """Send the HTML to the child and return at once; the PDF is written to `out` on wait().

        With `ready` (e.g. waiting for the chart files), the child parses the HTML and CSS and lays
        out what comes before the first image while `ready()` runs (in a thread of this process);
        it reads no file of base_dir until `ready()` has returned. With `late` as well (the SVGs
        `ready()` waits for, and their sizes), it lays out every page around blank stand-ins and
        only draws them once `ready()` has returned (render_pdf). An exception from `ready()`
        stops the child and is raised by wait()."""
        assert self._proc is not None, "start() first"
        proc = self._proc
        job: Future[tuple[bytes, list[str]]] = Future()
        payload = pickle.dumps((html, str(base_dir), ready is not None, late if ready is not None else None))
        sent = time.perf_counter()

        def _talk() -> None:
            try:
                if ready is not None:
                    assert proc.stdin is not None
                    proc.stdin.write(payload)
                    proc.stdin.flush()
                    try:
                        ready()
                    except BaseException as exc:  # noqa: BLE001 - the charts failed: no PDF
                        self.close()
                        job.set_exception(exc)
                        return
                    stdout, stderr = proc.communicate(timeout=self.timeout)  # closing stdin lets the child read the files
                else:
                    stdout, stderr = proc.communicate(payload, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.close()
                job.set_exception(RenderError(f"The PDF did not render within {self.timeout:.0f} s.", CSS_HINT))
                return
            except Exception as exc:  # noqa: BLE001 - a broken pipe: the child died
                job.set_exception(RenderError(f"The PDF renderer stopped ({type(exc).__name__}).", CSS_HINT))
                return
            self.timings["pdf_render"] = time.perf_counter() - sent
            try:
                status, *rest = pickle.loads(stdout)
            except Exception:  # noqa: BLE001 - it crashed before answering
                last = (stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
                job.set_exception(RenderError(f"The PDF could not be rendered ({last}).", CSS_HINT))
                return
            if status == "ok":
                job.set_result((rest[0], rest[1]))
            else:
                job.set_exception(RenderError(rest[0], rest[1]))

        threading.Thread(target=_talk, name="reportgen-pdf", daemon=True).start()
        return PendingPdf(job, out, self.timeout + 5)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the parent dies (a no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


def _serve(parent: int) -> None:
    """The child: import WeasyPrint at once, then render the one job read from stdin."""
    import logging

    _die_with_parent(parent)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the parent's --debug shows nothing of ours here
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    warm_up()
    html, base_dir, gated, late = pickle.load(sys.stdin.buffer)  # one object; the parent closes stdin when the charts are written
    try:
        pdf, refused = render_pdf(html, Path(base_dir), sys.stdin.buffer.read if gated else None, late)
        answer = ("ok", pdf, refused)
    except RenderError as exc:
        answer = ("error", exc.message, exc.hint)
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()
    os._exit(0)  # the parent reads until this process ends: skip the interpreter's teardown (~0.1 s)
