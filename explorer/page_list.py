"""The explorer's pages, declared once.

``app.py`` builds its ``st.navigation`` from :data:`PAGES`; ``tests/app`` renders every entry
and ``tests/browser`` opens every entry's address, so a page added here is tested everywhere.
Plain data: no Streamlit import, so the tests and the layer check can read it on its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    """One page of the explorer.

    Attributes
    ----------
    path : str
        The page script, relative to the repository root (``pages/<name>.py``).
    title : str
        Its name in the navigation and the browser tab.
    icon : str
        A Material Symbols icon (``":material/<name>:"``).
    section : str
        The navigation group it is listed under.
    url_path : str
        Its address after the app's root (``/<url_path>``; the default page also opens at
        the root itself, see :attr:`address`).
    default : bool
        Whether it opens at the root address; exactly one page is.
    """

    path: str
    title: str
    icon: str
    section: str
    url_path: str
    default: bool = False

    @property
    def key(self) -> str:
        """Its catalog key (``nav.<url_path>``): the navigation shows ``text(page.key)``."""
        return f"nav.{self.url_path}"

    @property
    def address(self) -> str:
        """Its canonical address after the app's root: ``""`` for the default page."""
        return "" if self.default else self.url_path


RESULTS = "Results"
DECIDE = "Decide"
DATA = "Data and method"
SECTION_KEYS = {RESULTS: "nav.results", DECIDE: "nav.decide", DATA: "nav.data"}
"""Catalog key of each section's name."""

PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:", RESULTS, "overview",
             default=True),
    PageSpec("pages/journey.py", "Journey and funnel", ":material/route:", RESULTS, "journey"),
    PageSpec("pages/value.py", "Retention and value", ":material/favorite:", RESULTS, "value"),
    PageSpec("pages/investment.py", "Investment", ":material/payments:", RESULTS, "investment"),
    PageSpec("pages/decisions.py", "Decisions", ":material/insights:", DECIDE, "decisions"),
    PageSpec("pages/compare.py", "Compare scenarios", ":material/compare_arrows:", DECIDE, "compare"),
    PageSpec("pages/calibrate.py", "Calibrate to your business", ":material/tune:", DATA,
             "calibrate"),
    PageSpec("pages/evidence.py", "Evidence", ":material/fact_check:", DATA, "evidence"),
    PageSpec("pages/method.py", "Method and assumptions", ":material/menu_book:", DATA, "method"),
)
"""Every page, in navigation order (sections appear in the order of their first page)."""


def sections() -> dict[str, list[PageSpec]]:
    """The pages grouped by :attr:`PageSpec.section`, in navigation order."""
    grouped: dict[str, list[PageSpec]] = {}
    for page in PAGES:
        grouped.setdefault(page.section, []).append(page)
    return grouped
