"""HTML -> PDF with WeasyPrint; the only module that imports it.

The URL fetcher lets WeasyPrint read files inside the run's own folder and data: URIs, nothing
else: no network, no file elsewhere on disk (the default fetcher would embed any local file).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from ..errors import RenderError


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, root: Path) -> None:
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
            self.root = root.resolve()
            self.refused: list[str] = []

        def fetch(self, url: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
            parsed = urlparse(url)
            if parsed.scheme == "file":
                target = Path(unquote(parsed.path)).resolve()
                if target == self.root or self.root in target.parents:
                    return super().fetch(url, headers)
            elif parsed.scheme == "data":
                return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"reportgen does not fetch {url!r}: only the report's own files")

    return LocalOnlyFetcher


def warm_up() -> None:
    """Import WeasyPrint (~0.5 s) at a moment when the CPU would otherwise wait."""
    import weasyprint  # noqa: F401


def write_pdf(html: str, base_dir: Path, out: Path) -> list[str]:
    """Render `html` (relative links resolve inside base_dir) to `out`; returns refused URLs."""
    import weasyprint

    fetcher = _fetcher_class()(base_dir)
    try:
        # PDF/UA-1: tagged for screen readers, with the title and language from the HTML
        weasyprint.HTML(string=html, base_url=str(base_dir.resolve()) + "/", url_fetcher=fetcher).write_pdf(out, pdf_variant="pdf/ua-1")
    except Exception as exc:  # WeasyPrint raises a wide range of errors from fonts and layout
        raise RenderError(f"The PDF could not be rendered ({type(exc).__name__}: {exc}).", "Check the templates' HTML and CSS.") from None
    return list(fetcher.refused)
