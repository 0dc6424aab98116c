"""The one headless Chromium session of a run: found, started early, bounded by a timeout, always stopped.

``BrowserSession.start()`` returns at once. A thread runs an asyncio loop that imports kaleido and
boots the browser while the caller imports pandas and analyses the customers (Chromium's start is the
slowest single step of a run, and it runs in its own processes). ``export()`` queues a batch of images;
batches run one after another, in the order they were asked for, so the PDF's SVGs can come first and
the email's PNGs export while the PDF renders. ``close()`` stops the browser, and kills its whole
process group if it does not answer: no Chromium outlives a run.

The browser to use: ``BROWSER_PATH`` if set, else Debian's ``chromium-headless-shell`` (about a
second faster to start than the full browser), else ``chromium``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RenderError

BROWSER_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
INSTALL_HINT = (
    "Install Chromium (Debian: sudo apt-get install --no-install-recommends chromium-headless-shell, or chromium) or set BROWSER_PATH."
)
HANG_HINT = "Run again; if it keeps happening, check Chromium with 'chromium-headless-shell --dump-dom about:blank' or raise charts.timeout."
PER_IMAGE_S = 5.0  # allowance per image on top of the session's timeout


def find_browser(environ: dict[str, str] | None = None) -> str | None:
    """BROWSER_PATH if set (even if wrong: the user asked for it), else the first browser on PATH."""
    env = os.environ if environ is None else environ
    if env.get("BROWSER_PATH"):
        return env["BROWSER_PATH"]
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


BROWSER_NICE = 10  # added to the run's own nice value


def _behind_the_analysis() -> None:
    """Lower this thread's CPU priority, and so Chromium's, which this thread starts and which
    inherits it: the browser boots while a large table is loaded and clustered on the same cores,
    and the analysis is what the run waits for (a million rows: 0.45 s sooner); a core the analysis
    leaves idle still goes to Chromium. Linux keeps the nice value per thread; elsewhere a thread
    id is no process id, so nothing is changed."""
    if sys.platform.startswith("linux"):
        try:
            me = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + BROWSER_NICE))
        except OSError:
            pass


@dataclass(frozen=True)
class Image:
    """One figure to draw: a plotly figure (or its dict) written to `path` as svg or png."""

    figure: Any
    path: Path
    format: str
    width: int
    height: int
    scale: float = 1.0


class Pending:
    """A batch of images being drawn; ``wait()`` returns their paths or raises RenderError."""

    def __init__(self, job: Future[Any], paths: list[Path], timeout: float) -> None:
        self._job = job
        self.paths = paths
        self._timeout = timeout
        self.waited = 0.0  # seconds the caller spent waiting for the browser

    def wait(self) -> list[Path]:
        start = time.perf_counter()
        try:
            self._job.result(self._timeout)
        except FutureTimeout:
            self._job.cancel()
            raise RenderError(f"Chart export did not finish within {self._timeout:.0f} s; Chromium may be hung.", HANG_HINT) from None
        except RenderError:
            raise
        except Exception as exc:
            raise RenderError(f"Chart export failed in Chromium ({type(exc).__name__}: {exc}).", INSTALL_HINT) from None
        finally:
            self.waited += time.perf_counter() - start
        return self.paths


def _kaleido_class() -> type:
    import kaleido

    class Kaleido(kaleido.Kaleido):  # type: ignore[misc]
        async def _return_kaleido_tab(self, tab: Any) -> None:
            # kaleido reloads the page (plotly.js, 4.6 MB of script) after every image. Plotly.toImage
            # draws each figure into a fresh element and purges it, so the reload buys nothing here.
            await self.tabs_ready.put(tab)

    return Kaleido


def _shared_imports() -> None:
    """Modules both plotly (imported by the browser thread) and scikit-learn (imported by the analysis
    in the main thread at the same time) import: imported here first, in the calling thread, because
    two threads importing narwhals' interlinked modules at once can stop with a deadlock error
    (seen under load: `_DeadlockError ... narwhals.stable.v1`). About 0.08 s."""
    try:
        import narwhals.stable.v1  # noqa: F401
        import narwhals.stable.v2  # noqa: F401
    except ImportError:  # an older plotly or scikit-learn without narwhals: nothing shared to race on
        pass


class BrowserSession:
    """One headless Chromium (through kaleido) for all of a run's images, with a time limit.

    Use as a context manager; ``start()`` returns at once and the browser boots in the background.
    """

    def __init__(self, timeout: float = 60.0, path: str | None = None) -> None:
        self.timeout = timeout
        self.path = path
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._opening: Future[Any] | None = None
        self._lock: asyncio.Lock | None = None
        self._instance: Any = None  # the Kaleido browser, kept so a hung one can be killed
        self._gave_up = False
        self._imported = threading.Event()  # kaleido (and with it plotly) imported by the browser thread
        self.timings: dict[str, float] = {}  # browser_start and one entry per batch (seconds, browser thread)

    def start(self) -> "BrowserSession":
        requested = time.perf_counter()
        path = self.path or find_browser()
        _shared_imports()

        async def _open() -> Any:
            self._lock = asyncio.Lock()
            try:
                kaleido = _kaleido_class()
            finally:
                self._imported.set()
            _behind_the_analysis()  # after the import, which the caller waits for (imported())
            # 2-3 tabs were no faster on 2 cores; mathjax=False: no CDN request per page load
            k = self._instance = kaleido(n=1, timeout=self.timeout, mathjax=False, path=path)
            await k.open()
            self.timings["browser_start"] = time.perf_counter() - requested
            return k

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reportgen-browser", daemon=True)
        self._thread.start()
        self._opening = asyncio.run_coroutine_threadsafe(_open(), self._loop)
        return self

    def imported(self) -> None:
        """Wait until the browser thread has imported kaleido, which imports plotly: the caller
        imports plotly's modules only after that, because two threads importing plotly's
        interlinked modules at once can fail with a deadlock error."""
        if self._loop is not None:
            self._imported.wait(self.timeout)

    def __enter__(self) -> "BrowserSession":
        return self.start() if self._loop is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _browser(self) -> Any:
        assert self._opening is not None, "start() first"
        try:
            return self._opening.result(self.timeout)
        except FutureTimeout:
            self._gave_up = True
            raise RenderError(f"Chromium did not start within {self.timeout:.0f} s.", HANG_HINT) from None
        except Exception as exc:  # ChromeNotFoundError, BrowserFailedError, OSError ...
            raise RenderError(f"Chromium could not be started for chart export ({type(exc).__name__}).", INSTALL_HINT) from None

    def export(self, images: list[Image], name: str) -> Pending:
        """Queue `images` as one batch (timed as `name`); returns at once. Waits only for a browser
        that is still starting, so a missing or hung browser is reported here."""
        k = self._browser()
        for image in images:
            image.path.parent.mkdir(parents=True, exist_ok=True)
        specs = [  # figures as plain dicts: the browser thread then imports nothing of plotly's while this one may
            {"fig": i.figure.to_dict() if hasattr(i.figure, "to_dict") else i.figure, "path": i.path, "opts": {"format": i.format, "width": i.width, "height": i.height, "scale": i.scale}}
            for i in images
        ]

        async def _export() -> None:
            assert self._lock is not None
            async with self._lock:  # batches in the order they were asked for
                start = time.perf_counter()
                await k.write_fig_from_object(specs, cancel_on_error=True)
                self.timings[name] = time.perf_counter() - start

        assert self._loop is not None
        job = asyncio.run_coroutine_threadsafe(_export(), self._loop)
        return Pending(job, [i.path for i in images], self.timeout + PER_IMAGE_S * len(images))

    def close(self) -> None:
        """Stop the browser and the loop; safe to call twice and after a failure.

        A browser still starting is waited for and closed; one that does not answer is killed with
        its whole process group, so no Chromium is left behind.
        """
        if self._loop is None:
            return
        loop, self._loop = self._loop, None
        try:
            if self._opening is not None:
                browser = self._opening.result(0 if self._gave_up else self.timeout)
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(5)
        except Exception:  # it never started, hung, or is already gone
            pass
        finally:
            try:  # a failed run may leave chart batches in flight: end them now, not when they are garbage
                asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(5)
            except Exception:
                pass
            self._kill()
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(5)

    def _kill(self) -> None:
        process = getattr(self._instance, "subprocess", None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)  # Chromium runs in its own process group
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.wait(5)


async def _cancel_pending() -> None:
    """Cancel every other task on the browser's loop and wait for them to end (their errors, such as
    a chart file whose staging folder is already gone, are the failed run's, already reported)."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
