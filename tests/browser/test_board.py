"""The board-facing features in a real browser: the report PDF from the Overview, every page at
phone width without overlapping text, and two saved scenarios compared."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from explorer.page_list import PAGES
from simulation import Scenario
from tests.browser.conftest import FIRST_RENDER_TIMEOUT_MS, address

pypdf = pytest.importorskip("pypdf")
pytestmark = pytest.mark.browser

SMALL = Scenario.preset("fashion").replace(market__population=1000, market__horizon_weeks=52, seed=515)
ANALYSIS_TIMEOUT_MS = 600_000

# Text boxes (DOM text blocks and plotly SVG text) that overlap by more than a few pixels, and
# chart text cut off at the chart's edge (a title centred on a narrow plot ran off the screen).
OVERLAPS_JS = """
() => {
  const boxes = [];
  const add = (el, group) => {
    if (el.closest('details:not([open])')) return;  // inside a closed expander: not shown
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || +style.opacity === 0) return;
    boxes.push({group, text: (el.textContent || '').trim().slice(0, 40), x: r.left, y: r.top,
                w: r.width, h: r.height});
  };
  const out = [];
  document.querySelectorAll('[data-testid=stMain] .js-plotly-plot').forEach((plot, i) => {
    const edge = plot.getBoundingClientRect();
    plot.querySelectorAll('text').forEach(t => {
      if (!(t.textContent || '').trim()) return;
      add(t, 'chart' + i);
      const r = t.getBoundingClientRect();  // cut off at the chart's (the screen's) edge
      if (r.width >= 2 && (r.left < edge.left - 3 || r.right > edge.right + 3))
        out.push('chart' + i + ': "' + t.textContent.trim().slice(0, 40) + '" cut off');
    });
  });
  document.querySelectorAll('[data-testid=stMain] [data-testid=stMetricLabel], ' +
      '[data-testid=stMain] [data-testid=stMetricValue], [data-testid=stMain] h1, ' +
      '[data-testid=stMain] h2, [data-testid=stMain] h3, [data-testid=stMain] h4')
    .forEach(el => add(el, 'page'));
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.group !== b.group) continue;
    const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    if (dx > 3 && dy > 3) out.push(a.group + ': "' + a.text + '" / "' + b.text + '"');
  }
  return out;
}
"""

# Chart text drawn past its figure's edge (cut off): a long axis title or label at phone width.
CLIPPED_JS = """
() => {
  const out = [];
  document.querySelectorAll('[data-testid=stMain] .js-plotly-plot').forEach((plot, i) => {
    if (plot.closest('details:not([open])')) return;
    const svg = plot.querySelector('svg.main-svg');
    if (!svg) return;
    const f = svg.getBoundingClientRect();
    if (f.width < 2) return;
    plot.querySelectorAll('text').forEach(t => {
      const words = (t.textContent || '').trim();
      if (!words || t.closest('.hoverlayer')) return;
      if (t.checkVisibility && !t.checkVisibility({visibilityProperty: true, opacityProperty: true})) return;
      const r = t.getBoundingClientRect();
      if (r.width < 2 || r.height < 2) return;
      if (r.left < f.left - 2 || r.right > f.right + 2 || r.top < f.top - 2 || r.bottom > f.bottom + 2)
        out.push('chart' + i + ': "' + words.slice(0, 40) + '" ' + Math.round(r.left - f.left) + '..'
                 + Math.round(r.right - f.left) + ' of ' + Math.round(f.width) + ' px');
    });
  });
  return out;
}
"""


# Boxes that scroll sideways: the page itself and every static table (its own box and the
# scrolling box inside it). At 390 px a table that needs a sideways scroll hides its numbers.
SIDEWAYS_JS = """
() => {
  const out = [];
  const main = document.querySelector('[data-testid=stMain]');
  const wider = (box, name) => {
    if (box.scrollWidth > box.clientWidth + 1) out.push(name + ' ' + box.scrollWidth + '>' + box.clientWidth);
  };
  wider(main, 'page');
  document.querySelectorAll('[data-testid=stMain] [data-testid=stTable]').forEach((table, i) => {
    [table, ...table.querySelectorAll(':scope > div')].forEach(box => {
      wider(box, 'table' + i);
    });
  });
  return out;
}
"""


def _settle(page: Page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget] [data-testid=stSpinner],"
        " [data-testid=stStatusWidgetRunningIcon]')", timeout=FIRST_RENDER_TIMEOUT_MS)
    page.wait_for_timeout(800)


def test_report_pdf_from_the_overview_has_the_verdict(page: Page, app_url: str, artifacts: Path):
    page.goto(f"{app_url}/?s={SMALL.to_url_token()}")
    expect(page.locator(".st-key-verdict")).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    # The quick estimate, then the final verdict, arrive without a click (a progress bar polls).
    expect(page.get_by_text("Final:", exact=False)).to_be_visible(timeout=ANALYSIS_TIMEOUT_MS)
    sentence = page.locator(".st-key-verdict h4").inner_text()
    button = page.locator(".st-key-overview_report_pdf").get_by_role("button")
    with page.expect_download(timeout=FIRST_RENDER_TIMEOUT_MS * 2) as download:
        button.click()
    path = artifacts / "board_report.pdf"
    download.value.save_as(path)
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert " ".join(sentence.split()) in text


@pytest.mark.parametrize("lang", ["en", "th"])
def test_every_page_at_phone_width_has_no_overlapping_or_clipped_text(page: Page, app_url: str,
                                                                     artifacts: Path, lang: str):
    """At 390 px no chart text overlaps other text or runs past its figure's edge and nothing
    scrolls sideways; in Thai too, whose long phrases have no spaces to wrap at."""
    page.set_viewport_size({"width": 390, "height": 844})
    problems, sideways = {}, {}
    query = f"?s={SMALL.to_url_token()}" + ("" if lang == "en" else f"&lang={lang}")
    for listed in PAGES:
        page.goto(f"{app_url}/{listed.address}{query}")
        expect(page.locator("h1").first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
        _settle(page)
        found = page.evaluate(OVERLAPS_JS) + page.evaluate(CLIPPED_JS)
        if found:
            problems[listed.url_path] = found[:5]
        if listed.path == "pages/investment.py":  # its totals table: 4 columns, 15 rows
            expect(page.locator(".st-key-investment_totals [data-testid=stTable]")).to_be_visible()
        wide = page.evaluate(SIDEWAYS_JS)
        if wide:
            sideways[listed.url_path] = wide
        height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
        page.set_viewport_size({"width": 390, "height": max(844, min(int(height), 16000))})
        page.wait_for_timeout(500)
        page.screenshot(path=artifacts / f"phone-{lang}-{listed.url_path}.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
    # The channel flows of the default scenario (20k people) too: its loss names are longer
    # than the small scenario's nodes leave room for.
    page.goto(f"{app_url}/{address('pages/journey.py')}" + ("" if lang == "en" else f"?lang={lang}"))
    expect(page.locator("h1").first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    _settle(page)
    if overlaps := page.evaluate(OVERLAPS_JS) + page.evaluate(CLIPPED_JS):
        problems["journey at the default scenario"] = overlaps[:5]
    assert not problems, problems
    assert not sideways, sideways


def test_two_saved_scenarios_compared_in_the_browser(page: Page, app_url: str, artifacts: Path):
    """Save one scenario, reopen its link (a new session) on another, save that: both compared.

    The link is read as soon as "Saved as" shows, as a person copying it would: it must already
    carry the scenario (it used to arrive after the note; under load this test then reopened a
    link without it and compared only the second scenario)."""
    other = SMALL.replace(seed=516)
    page.goto(f"{app_url}/{address('pages/compare.py')}?s={SMALL.to_url_token()}")
    save = page.locator(".st-key-compare_save").get_by_role("button")
    expect(save).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    save.click()
    expect(page.get_by_text("Saved as", exact=False)).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    linked = parse_qs(urlsplit(page.url).query).get("c")
    assert linked, page.url
    page.goto(f"{app_url}/{address('pages/compare.py')}?s={other.to_url_token()}&c={linked[0]}")
    save = page.locator(".st-key-compare_save").get_by_role("button")
    expect(save).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    page.locator(".st-key-compare_name input").fill("Other seed")
    page.locator(".st-key-compare_name input").press("Enter")
    _settle(page)
    save.click()
    table = page.locator(".st-key-compare_table [data-testid=stTable]")
    expect(table).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    _settle(page)
    picked = page.locator(".st-key-compare_pick [data-tag]")
    expect(picked).to_have_count(2)
    assert [picked.nth(i).get_attribute("aria-label") for i in range(2)] == [SMALL.name, "Other seed"]
    assert len(parse_qs(urlsplit(page.url).query)["c"][0].split(".")) == 2
    page.screenshot(path=artifacts / "compare.png", full_page=True)
    # At phone width the comparison fits the screen (no sideways scroll) with no text overlapping.
    page.set_viewport_size({"width": 390, "height": 844})
    _settle(page)
    assert not page.evaluate(SIDEWAYS_JS) and not page.evaluate(OVERLAPS_JS)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 390, "height": max(844, min(int(height), 16000))})
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "phone-compare-two.png", full_page=True)


def _decisions_at_five_replications(page: Page, app_url: str, scenario: Scenario, query: str = "") -> None:
    """Open the Decisions page on ``scenario`` and turn the replications down from 30 to 5."""
    page.goto(f"{app_url}/{address('pages/decisions.py')}?s={scenario.to_url_token()}{query}")
    replications = page.locator(".st-key-dec_replications input[type=range]")
    expect(replications).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    replications.focus()
    for _ in range(5):
        replications.press("ArrowLeft")
        _settle(page)


def test_decisions_run_controls_go_and_the_budget_tab_stays(page: Page, app_url: str):
    """After a run the estimate, Run and Cancel are gone; finding the best plan keeps the Budget
    tab in view (it used to jump back to Uncertainty)."""
    _decisions_at_five_replications(page, app_url, SMALL.replace(market__population=600, seed=517))
    page.get_by_role("button", name="Run the analyses").click()
    budget_tab = page.get_by_role("tab", name="Budget")
    expect(budget_tab).to_be_visible(timeout=ANALYSIS_TIMEOUT_MS)
    _settle(page)
    assert page.get_by_role("button", name="Run the analyses").count() == 0
    assert page.get_by_role("button", name="Cancel").count() == 0
    budget_tab.click()
    _settle(page)
    page.get_by_role("button", name="Find the best plan within this budget").click()
    expect(page.get_by_text("Best plan within a one-off budget", exact=False)).to_be_visible(
        timeout=ANALYSIS_TIMEOUT_MS)
    _settle(page)
    expect(page.locator("[role=tab][aria-selected=true]")).to_have_text("Budget")


def test_decisions_in_thai_at_phone_width_every_tab_without_overlapping_or_clipped_text(
        page: Page, app_url: str, artifacts: Path):
    """Thai has no spaces to break long labels at: every tab of an analysed Decisions page, at
    390 px, keeps its chart text apart (the English pass above may find the page unanalysed)."""
    page.set_viewport_size({"width": 390, "height": 844})
    _decisions_at_five_replications(page, app_url, SMALL.replace(market__population=600, seed=518),
                                    "&lang=th")
    page.locator(".st-key-dec_run").get_by_role("button").click()
    tabs = page.get_by_role("tab")
    expect(tabs.first).to_be_visible(timeout=ANALYSIS_TIMEOUT_MS)
    _settle(page)
    problems = {}
    for i in range(tabs.count()):
        tabs.nth(i).click()
        _settle(page)
        for button in ("dec_best", "dec_believe"):
            found = page.locator(f".st-key-{button}").get_by_role("button")
            if found.count() and found.is_visible():
                found.click()
                # its table (the best plans, the thresholds) is drawn once the search is done
                expect(page.locator("[role=tabpanel] [data-testid=stTable]").locator("visible=true")
                       .first).to_be_visible(timeout=ANALYSIS_TIMEOUT_MS)
                _settle(page)
        overlaps = (page.evaluate(OVERLAPS_JS) + page.evaluate(CLIPPED_JS)
                    + page.evaluate(SIDEWAYS_JS))  # the intervals table too
        if overlaps:
            problems[tabs.nth(i).inner_text()] = overlaps[:5]
        height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
        page.set_viewport_size({"width": 390, "height": max(844, min(int(height), 16000))})
        page.wait_for_timeout(500)
        page.screenshot(path=artifacts / f"phone-decisions-th-tab{i}.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
    assert tabs.count() == 5
    assert not problems, problems


def test_open_sliders_leave_the_results_visible_on_a_phone(page: Page, app_url: str):
    """At 390 px the open sliders' drawer takes the top half of the screen, so the KPIs a slider
    moves stay in view below it (Streamlit's drawer would cover the whole screen)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(app_url)
    expect(page.locator(".st-key-kpis-custom [data-testid=stMetricValue]").first).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT_MS)
    _settle(page)
    sidebar = page.locator("section[data-testid=stSidebar]")
    if sidebar.get_attribute("data-collapsed") != "false":
        page.locator("[data-testid=stExpandSidebarButton]").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    page.wait_for_timeout(800)
    box = sidebar.bounding_box()
    assert box is not None and box["height"] <= 0.55 * 844, box
    # Below the drawer the screen shows the page, not the drawer's backdrop.
    below = page.evaluate(
        "(y) => { const e = document.elementFromPoint(195, y); return !!(e"
        " && e.closest('[data-testid=stMain]') && !e.closest('section[data-testid=stSidebar]')); }",
        box["y"] + box["height"] + 60)
    assert below
