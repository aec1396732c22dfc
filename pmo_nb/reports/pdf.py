"""Print a report page to PDF with headless Chromium, with no network.

The page is the self-contained HTML the runner wrote (charts are inline SVG,
so they stay vector in the PDF); its print style sheet (the ``report``
template) starts every section but the first on a new page. Chromium prints
a footer on every page with the report's title, period and data checksum and
"page X of Y". Every request the page makes that is not ``file:`` or
``data:`` is blocked and fails the print: a board pack must not depend on,
or call out to, anything outside the file.

Playwright drives Chromium; we use the system's Chromium
(``/usr/bin/chromium``, or ``$PMO_CHROMIUM``) rather than a browser build of
Playwright's own, so nothing is downloaded at install time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pmo_nb.formatting import html_text

#: Environment variable naming the Chromium executable to print with.
CHROMIUM_ENV = "PMO_CHROMIUM"
#: Debian's Chromium (``apt-get install chromium``).
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Only these URL schemes may load while printing.
ALLOWED_SCHEMES = ("file:", "data:")
#: Chromium flags: no sandbox (root in CI), and none of its own calls home.
CHROMIUM_ARGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)
#: Room for the footer (Chromium draws it inside the bottom margin).
MARGINS = {"top": "14mm", "bottom": "18mm", "left": "12mm", "right": "12mm"}
#: Milliseconds the page may take to load and to print.
TIMEOUT_MS = 120_000


class PdfError(RuntimeError):
    """The PDF could not be printed; the message is one line that says why."""


def chromium_executable() -> str:
    """The Chromium to print with: ``$PMO_CHROMIUM``, else Debian's, else ``chromium`` on PATH."""
    given = os.environ.get(CHROMIUM_ENV, "").strip()
    if given:
        return given
    if Path(DEFAULT_CHROMIUM).exists():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or DEFAULT_CHROMIUM


def check_pdf_support() -> str:
    """Return the Chromium executable, or raise :class:`PdfError` naming what to install."""
    try:
        import playwright.sync_api  # noqa: F401  # lazy: only PDF runs need Playwright
    except ImportError:
        raise PdfError("cannot print PDF: the Python package playwright is missing; "
                       "install it with: pip install playwright") from None
    executable = chromium_executable()
    if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
        raise PdfError(f"cannot print PDF: Chromium not found at {executable}; install it "
                       f"(Debian: apt-get install chromium) or set {CHROMIUM_ENV} to its path")
    return executable


def footer_template(*, title: str, period: str, checksum: str | None) -> str:
    """Chromium's footer: title, period and checksum on the left, "page X of Y" on the right.

    The texts come from the store and the notebook, so they are escaped.
    ``pageNumber`` and ``totalPages`` are filled in by Chromium.
    """
    facts = " · ".join([
        html_text(title),
        f"period {html_text(period)}",
        f"data checksum {html_text(checksum or 'unknown')}",
    ])
    return (
        '<div style="font-family: sans-serif; font-size: 8px; color: #424242; width: 100%;'
        ' margin: 0 12mm; display: flex; justify-content: space-between;">'
        f'<span class="pmo-pdf-facts">{facts}</span>'
        '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span>'
        '</div>'
    )


def _one_line(text: str, limit: int = 200) -> str:
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _outside_any_event_loop(call) -> None:
    """Run ``call()`` here, or in a thread of its own when this thread runs an asyncio loop.

    Playwright's sync API refuses to run inside a running event loop, which a
    Jupyter kernel (an analyst printing from a notebook) always has.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        call()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(call).result()


def print_pdf(html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, title: str,
              period: str, checksum: str | None, timeout_ms: int = TIMEOUT_MS) -> list[str]:
    """Print the page ``html_path`` to ``pdf_path`` (A4) with Chromium and no network.

    Collapsed sections (``<details>``) are opened first: a PDF cannot expand them.

    Returns
    -------
    list of str
        Every URL the page requested (all ``file:`` or ``data:``).

    Raises
    ------
    PdfError
        Playwright or Chromium missing, Chromium failed, or the page requested
        something outside the file (the URLs blocked are named; no PDF is left).
    """
    executable = check_pdf_support()
    from playwright.sync_api import (  # lazy: only PDF runs need Playwright
        Error as PlaywrightError,
    )
    from playwright.sync_api import sync_playwright  # lazy: as above

    pdf_path = Path(pdf_path)
    requested: list[str] = []
    blocked: list[str] = []

    def gate(route):
        url = route.request.url
        if url.startswith(ALLOWED_SCHEMES):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    def session() -> None:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
            try:
                context = browser.new_context(service_workers="block")
                page = context.new_page()
                page.on("request", lambda request: requested.append(request.url))
                page.route("**/*", gate)
                page.goto(Path(html_path).resolve().as_uri(), wait_until="load",
                          timeout=timeout_ms)
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                page.pdf(
                    path=str(pdf_path), format="A4", print_background=True,
                    display_header_footer=True, header_template="<span></span>",
                    footer_template=footer_template(title=title, period=period,
                                                    checksum=checksum),
                    margin=MARGINS,
                )
            finally:
                browser.close()

    try:
        _outside_any_event_loop(session)
    except PlaywrightError as exc:
        pdf_path.unlink(missing_ok=True)
        raise PdfError(f"Chromium could not print the page: {_one_line(exc.message)}") from None
    outside = sorted(set(blocked) | {u for u in requested if not u.startswith(ALLOWED_SCHEMES)})
    if outside:
        pdf_path.unlink(missing_ok=True)
        more = f" and {len(outside) - 1} more" if len(outside) > 1 else ""
        raise PdfError(f"the page requested {outside[0]}{more} while printing; network access "
                       "is blocked, so the report must be self-contained")
    return requested
