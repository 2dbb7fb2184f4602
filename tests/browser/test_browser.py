"""The app in a real browser: open, move a slider, see a KPI change, download, screenshot;
cancel a running decision analysis.

Prints the measured time from a slider key press to the changed KPI on screen (reported in
the README, not asserted: timing depends on the machine).
"""

from __future__ import annotations

import csv
import io
import statistics
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from simulation import Scenario
from tests.browser.conftest import FIRST_RENDER_TIMEOUT_MS, address

pytestmark = pytest.mark.browser

CUSTOM_KPIS = ".st-key-kpis-custom [data-testid=stMetricValue]"
MULTICHANNEL_KPIS = ".st-key-kpis-multichannel [data-testid=stMetricValue]"
OMNICHANNEL_KPIS = ".st-key-kpis-omnichannel [data-testid=stMetricValue]"


KPIS_PER_PLAN = 5


def _texts(page: Page, selector: str) -> list[str]:
    """The plan's KPI values, once the page shows one card of them (a rerun that reshapes the
    page can show the stale cards beside the fresh ones for a moment: ten values, not five)."""
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length === n",
                           arg=[selector, KPIS_PER_PLAN], timeout=FIRST_RENDER_TIMEOUT_MS)
    return page.locator(selector).all_inner_texts()


def _move(page: Page, slider_key: str, kpis: str, key: str = "ArrowRight") -> float:
    """Press ``key`` on a slider and return seconds until the KPI texts differ."""
    before = _texts(page, kpis)
    thumb = page.locator(f".st-key-{slider_key} input[type=range]")
    thumb.focus()
    start = time.perf_counter()
    thumb.press(key)
    page.wait_for_function(
        "([selector, before]) => { const now = [...document.querySelectorAll(selector)]"
        ".map(e => e.innerText); return now.length === before.length && "
        "now.some((t, i) => t !== before[i]); }",
        arg=[kpis, before], timeout=FIRST_RENDER_TIMEOUT_MS, polling="raf",
    )
    return time.perf_counter() - start


def _settle(page: Page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget] [data-testid=stSpinner],"
        " [data-testid=stStatusWidgetRunningIcon]')", timeout=FIRST_RENDER_TIMEOUT_MS)
    page.wait_for_timeout(300)


def test_open_move_slider_download_and_screenshot(page: Page, app_url: str, artifacts: Path):
    started = time.perf_counter()
    page.goto(app_url)
    expect(page.locator(CUSTOM_KPIS).first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.locator("[data-testid=stPlotlyChart]").first).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT_MS)
    print(f"\ncold start to KPIs and chart: {time.perf_counter() - started:.1f} s")
    _settle(page)

    slider = page.locator(".st-key-p__custom_plan__inventory input[type=range]")
    expect(slider).to_have_value("0")
    multichannel_before = _texts(page, MULTICHANNEL_KPIS)
    times = []
    for step in range(1, 4):
        times.append(_move(page, "p__custom_plan__inventory", CUSTOM_KPIS))
        expect(slider).to_have_value(str(5 * step))
        _settle(page)
    assert _texts(page, MULTICHANNEL_KPIS) == multichannel_before
    margin = _move(page, "p__economics__gross_margin", MULTICHANNEL_KPIS)
    _settle(page)
    behavioural = []
    # The contact cap binds only where channels are orchestrated: omnichannel's KPIs move.
    for slider_key, kpis in (("p__market__horizon_weeks", MULTICHANNEL_KPIS),
                             ("p__market__horizon_weeks", MULTICHANNEL_KPIS),
                             ("p__behaviour__contact_cap_weekly", OMNICHANNEL_KPIS),
                             ("p__market__horizon_weeks", MULTICHANNEL_KPIS)):
        behavioural.append(_move(page, slider_key, kpis))
        _settle(page)
    print(f"capability slider -> custom KPI updated: {', '.join(f'{t:.2f}' for t in times)} s "
          f"(median {statistics.median(times):.2f} s; re-simulates the custom plan only)")
    print(f"margin slider -> all KPIs updated: {margin:.2f} s (cached runs valued again, no simulation)")
    print(f"horizon and contact-cap sliders -> all KPIs updated: "
          f"{', '.join(f'{t:.2f}' for t in behavioural)} s (median "
          f"{statistics.median(behavioural):.2f} s; re-simulates all three plans)")
    assert "s=" in page.url  # the scenario travels in the link

    chart = page.locator("[data-testid=stPlotlyChart]").first
    with page.expect_download() as html_download:
        page.locator(".st-key-html_change_vs_multichannel").get_by_role(
            "button", name="Chart (HTML)").click()
    html = html_download.value
    assert html.suggested_filename.endswith("-change_vs_multichannel-seed20261125.html")
    html.save_as(artifacts / html.suggested_filename)
    text = (artifacts / html.suggested_filename).read_text(encoding="utf-8")
    assert "plotly" in text and "Change vs. multichannel" in text

    with page.expect_download() as csv_download:
        page.locator(".st-key-csv_change_vs_multichannel").get_by_role(
            "button", name="Data (CSV)").click()
    data = csv_download.value
    data.save_as(artifacts / data.suggested_filename)
    rows = list(csv.DictReader(io.StringIO((artifacts / data.suggested_filename).read_text())))
    assert {r["Plan"] for r in rows} == {"Multichannel", "Omnichannel", "Your custom plan"}

    # Plotly's camera saved a PNG without the scenario, date and source: it is gone where the
    # server can draw images, and the PNG button's image carries that line.
    chart.hover()
    assert chart.locator(".modebar-btn[data-title^='Download plot']").count() == 0
    with page.expect_download(timeout=FIRST_RENDER_TIMEOUT_MS) as png_download:
        page.locator(".st-key-png_change_vs_multichannel").get_by_role("button", name="PNG").click()
    png = png_download.value
    assert png.suggested_filename == html.suggested_filename.replace(".html", ".png")
    png.save_as(artifacts / png.suggested_filename)
    assert (artifacts / png.suggested_filename).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, int(height))})
    page.wait_for_timeout(1000)
    page.screenshot(path=artifacts / "overview.png", full_page=True)
    assert (artifacts / "overview.png").stat().st_size > 10_000


def test_cancel_stops_the_decision_analyses_and_keeps_nothing(page: Page, app_url: str):
    """Start the decision analyses, press Cancel while they run: the page says nothing was
    kept and offers to run them again. A fresh seed keeps the on-disk task cache cold."""
    scenario = Scenario.preset("benchmark_retailer").replace(
        seed=time.time_ns() % 1_000_000_000, market__population=5000)
    page.goto(f"{app_url}/{address('pages/decisions.py')}?s={scenario.to_url_token()}")
    run = page.get_by_role("button", name="Run the analyses")
    expect(run).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    run.click()
    cancel = page.locator(".st-key-cancel_analyses").get_by_role("button", name="Cancel")
    expect(cancel).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.get_by_text("decision analyses:", exact=False).first).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT_MS)
    cancel.click()
    expect(page.get_by_text("Cancelled; nothing was kept.")).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Run the analyses")).to_be_visible()
    expect(page.get_by_text("P(omnichannel beats multichannel on NPV)")).to_have_count(0)


def test_overview_in_thai_renders_thai_text_and_charts(page: Page, app_url: str, artifacts: Path):
    """The link's ``lang=th`` opens the Overview in Thai: title, verdict, KPI cards and chart
    titles in Thai script (fonts from ``make browser``); screenshot for the README."""
    page.goto(app_url + "?lang=th")
    expect(page.locator(CUSTOM_KPIS).first).to_be_visible(timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(page.locator("[data-testid=stPlotlyChart]").first).to_be_visible(
        timeout=FIRST_RENDER_TIMEOUT_MS)
    _settle(page)
    expect(page.locator("h1").first).to_have_text("เครื่องมือวิเคราะห์กลยุทธ์ออมนิแชนแนล")
    expect(page.locator(".gtitle").first).to_contain_text("การเชื่อมต่อเปลี่ยนอะไรบ้าง")
    assert "lang=th" in page.url
    labels = page.locator(".st-key-kpis-custom [data-testid=stMetricLabel]").all_inner_texts()
    assert any("อัตรา" in label for label in labels), labels
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, int(height))})
    page.wait_for_timeout(1000)
    page.screenshot(path=artifacts / "overview-th.png", full_page=True)
    assert (artifacts / "overview-th.png").stat().st_size > 10_000
