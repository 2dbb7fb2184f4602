"""The sidebar's currency box converts the scenario (never a relabel); a link or file naming a
currency without a rate is refused with one clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from explorer.sidebar import COST_KEY
from simulation import Scenario
from simulation.core import currency as fx
from simulation.inputs import json_input

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open(scenario: Scenario) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["s"] = scenario.to_url_token()
    return at.run()


@pytest.fixture(scope="module")
def small() -> Scenario:
    return Scenario.preset("fashion").replace(market__population=1000, market__horizon_weeks=52)


def test_switching_currency_in_the_sidebar_converts_every_money_parameter(small: Scenario):
    at = _open(small)
    at.session_state["group_market"] = True  # open the expander (lazy content)
    at.run()
    at.selectbox(key="p__market__currency").set_value("THB").run()
    assert not at.exception
    converted = at.session_state["scenario"]
    assert converted == small.in_currency("THB")
    factor = fx.rate("USD", "THB")
    assert converted.segments[0].order_value == pytest.approx(small.segments[0].order_value * factor)
    # the money widgets show converted values from the next draw, and stay converted
    at.run()
    assert at.session_state["scenario"] == converted
    assert at.number_input(key="p__market__reach_cost").value == pytest.approx(
        small.market.reach_cost * factor)
    cost = at.select_slider(key=COST_KEY)
    assert cost.options[-1] == "THB 1.66bn"  # the steps are converted too (50M USD at 33.275)
    facts = " ".join(c.value for c in at.caption)
    assert "money in THB" in facts and "33.275" in facts and "2024-09-17" in facts


def test_a_link_with_a_currency_without_a_rate_is_refused_in_one_message():
    at = AppTest.from_file(APP, default_timeout=60)
    data = Scenario().model_dump(mode="json")
    data["market"]["currency"] = "XYZ"
    at.query_params["s"] = json_input.link_token(json.dumps(data))
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "'XYZ' has no exchange rate" in errors
