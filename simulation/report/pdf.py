"""HTML to PDF by printing in Chromium through Playwright.

Why this route: the PDF is the same Chromium rendering as the HTML report and as kaleido's
charts (one browser, Debian's ``chromium``, already needed for chart export), it honours the
page's ``@page`` A4 rules and keeps inline SVG charts as vectors, and Playwright is already a
pinned dependency of the test suite. WeasyPrint would add a second layout engine (its own CSS
subset, Pango/Cairo system libraries, and Debian's 57.2 lags PyPI's 70), and render the charts
differently from the browser.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from simulation.display.text import text

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def footer() -> str:
    """The page footer: the document's title, and "page N of M" in the current language."""
    pages = text("board_report.page_of", page='<span class="pageNumber"></span>',
                 pages='<span class="totalPages"></span>')
    return ('<div style="font-size:8px;color:#6B6B6B;width:100%;padding:0 14mm;font-family:'
            "'Noto Sans','Noto Sans Thai',Loma,sans-serif;\"><span class=\"title\"></span>"
            f'<span style="float:right">{pages}</span></div>')


class PdfError(RuntimeError):
    """The PDF could not be printed (no Chromium or Playwright); the message says which."""


def chromium_path() -> str | None:
    """``$CHROMIUM``, else Debian's ``/usr/bin/chromium`` or a ``chromium`` on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def html_to_pdf(html: str, *, timeout_ms: int = 60_000) -> bytes:
    """Print ``html`` to an A4 PDF with page numbers in the footer.

    Runs on a thread of its own: Playwright's sync API refuses a thread with a running asyncio
    loop (as a web server's may be).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print, html, timeout_ms, footer()).result()


def _print(html: str, timeout_ms: int, footer_html: str) -> bytes:
    executable = chromium_path()
    if executable is None:
        raise PdfError("printing the PDF needs Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise PdfError("printing the PDF needs the playwright package "
                       "(pip install -r requirements.txt)") from None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
            try:
                page = browser.new_page()
                page.set_content(html, wait_until="load", timeout=timeout_ms)
                return page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                                display_header_footer=True, header_template="<span></span>",
                                footer_template=footer_html)
            finally:
                browser.close()
    except Error as error:
        raise PdfError(f"Chromium could not print the report: {str(error).splitlines()[0]}") from None
