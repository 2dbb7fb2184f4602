"""The page list is the one place pages are declared: it names every script in pages/, and
st.navigation can build from it as it stands."""

from __future__ import annotations

from pathlib import Path

from explorer.page_list import PAGES, sections

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_script_is_listed_once_and_every_listed_page_exists():
    scripts = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
    assert sorted(p.path for p in PAGES) == scripts


def test_exactly_one_default_page_at_the_root_and_every_address_unique():
    assert [p.default for p in PAGES].count(True) == 1
    assert next(p for p in PAGES if p.default).address == ""
    addresses = [p.url_path for p in PAGES]
    assert len(set(addresses)) == len(addresses)
    assert all(a and "/" not in a and a == a.strip() for a in addresses)  # st.Page's rules
    assert len({p.title for p in PAGES}) == len(PAGES)


def test_icons_are_material_symbols():
    assert all(p.icon.startswith(":material/") and p.icon.endswith(":") for p in PAGES)


def test_sections_keep_the_navigation_order():
    # st.navigation shows sections in dict order: a section split by another would reorder pages.
    assert [p for group in sections().values() for p in group] == list(PAGES)
