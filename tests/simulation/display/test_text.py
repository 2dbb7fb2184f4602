"""One text lookup: every key the engine and the analyses emit has English text, the catalog is
well formed, other languages fall back to English, and a catalog can be checked for gaps."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from simulation import Capability, Results, Scenario
from simulation.analysis.believe import hybrid_candidates
from simulation.core.capabilities import MECHANISMS
from simulation.core.kpis import KPIS, SUMMARY
from simulation.core.scenario import Channel
from simulation.core.segmentation import segment_role_parts
from simulation.core.tallies import LOSS_PREFIX, LossCause
from simulation.display import format as fmt
from simulation.display import labels, text, wording
from simulation.display.labels import kpi_header, kpi_label
from simulation.display.text import catalog, catalog_keys, has_text, placeholders, use_language

ROOT = Path(__file__).resolve().parents[3]


def test_every_registry_key_has_english_text():
    for capability in Capability:
        assert has_text(f"capability.{capability}.name") and has_text(f"capability.{capability}.meaning")
    for kpi in KPIS:
        assert has_text(f"kpi.{kpi.key}.label") and has_text(f"kpi.{kpi.key}.help"), kpi.key
        assert labels.kpi_unit(kpi.key, "USD") is not None
    for cause in LossCause:
        assert has_text(f"cause.{cause}")
    for mechanism in MECHANISMS:
        assert has_text(f"mechanism.{mechanism.key}")
        assert has_text(f"opportunity.{mechanism.opportunity_key}")


def test_every_key_a_run_emits_has_english_text(small_results: Results):
    r = small_results
    for plan in r.kpis.index:
        assert has_text(f"plan.{plan}.name")
    for cause in r.losses["cause"].unique():
        assert labels.cause_name(cause)
    for destination in r.flows["destination"].unique():
        if destination.startswith(LOSS_PREFIX):
            assert labels.destination_name(destination).startswith(("lost", "abandoned"))
    for stage in {*r.funnel["stage"], *r.customers["stage"]}:
        assert labels.stage_name(stage)
    for cause in r.customers["lapse_cause"].unique():
        assert cause == "" or has_text(f"lapse.{cause}")
    for key in r.extras["segments"]["segment"]:
        tier, _lead, _repeats = segment_role_parts(key)
        assert has_text(f"segment_tier.{tier}") and labels.segment_name(key)
    assert (labels.readable_columns(r.mechanisms)["Opportunity"] != "").all()


def test_every_plan_an_analysis_names_has_text():
    for plan in hybrid_candidates(Scenario()):
        assert ":" not in labels.plan_name(plan), plan
    assert labels.plan_name("alone:inventory") == "Shared inventory alone"
    assert labels.plan_name("all_but:context") == "all but Cart and journey continuity"


def test_keys_read_back_as_the_words_the_frames_used_to_hold():
    assert labels.cause_name(LossCause.STOCK_OUT) == "stock-out"
    assert labels.destination_name(f"{LOSS_PREFIX}{LossCause.CONFLICT}") == (
        "lost to conflicting prices or messages")
    lost_context = labels.destination_name(f"{LOSS_PREFIX}{LossCause.LOST_CONTEXT}")
    assert lost_context == "lost context on channel switch"
    assert labels.destination_name("web") == "buys in web"
    assert labels.mechanism_name("journey_conflict") == "conflict in journey"
    assert labels.segment_name("high_value:store") == "high-value store-led"
    assert labels.segment_name("lapsed+:") == "lapsed multi-channel +"


def test_placeholders_and_unknown_keys():
    assert text.text("capabilities.all", count="six") == "all six capabilities"
    assert placeholders(catalog()["kpi.npv_gain.label"]) == {"baseline"}
    with pytest.raises(KeyError):
        text.text("capability.teleportation.name")


def test_parameter_meanings_fall_back_to_their_declaration():
    keys = catalog_keys()
    meaning = keys["param.Channel.conversion.meaning"]
    assert meaning and meaning == Channel.model_fields["conversion"].description
    assert "param.CapabilityCost.ramp_weeks.source" in keys


def _translated(tmp_path: Path, lang: str, strings: dict[str, str]) -> None:
    """A gettext catalog for ``lang`` made the way a translator would: from the template, with
    ``strings`` (key -> translation) filled in."""
    (tmp_path / "en.toml").write_bytes((text.CATALOG_DIR / "en.toml").read_bytes())
    template = tmp_path / "messages.pot"
    assert text.write_template(template) == len(catalog_keys())
    with template.open("rb") as handle:
        po = read_po(handle, locale=lang)
    for message in po:
        if message.context in strings:
            message.string = strings[message.context]
    po.add("Old wording", string="Ancienne", context="capability.service.name")  # stale source
    with (tmp_path / f"{lang}.po").open("wb") as handle:
        write_po(handle, po)


def test_another_language_falls_back_to_english_and_its_gaps_are_found(tmp_path, monkeypatch):
    _translated(tmp_path, "fr", {"capability.inventory.name": "Stock partagé",
                                 "kpi.npv_gain.label": "Gain de VAN",  # placeholder dropped
                                 "param.Channel.conversion.meaning": "taux de conversion"})
    monkeypatch.setattr(text, "CATALOG_DIR", tmp_path)
    text.catalog.cache_clear()
    text._entries.cache_clear()
    try:
        assert text.languages() == ("en", "fr")
        with use_language("fr"):
            assert labels.capability_name("inventory") == "Stock partagé"
            assert labels.capability_name("identity") == "Unified customer ID"  # English fallback
            assert text.param_text(Channel, "conversion", "meaning", "declared") == "taux de conversion"
        assert labels.capability_name("inventory") == "Shared inventory"
        gaps = text.missing("fr")
        assert "capability.identity.name" in gaps and "capability.inventory.name" not in gaps
        assert "param.Channel.conversion.meaning" not in gaps and "param.Channel.conversion.source" in gaps
        assert text.broken_placeholders("fr") == ["kpi.npv_gain.label"]
        assert text.stale("fr") == ["capability.service.name"]
        assert text.missing("en") == [] and text.broken_placeholders("en") == [] and text.stale("en") == []
    finally:
        text.catalog.cache_clear()
        text._entries.cache_clear()


def test_the_cli_table_and_csv_headers_come_from_the_kpi_registry(small_results: Results):
    from simulation.cli.console import comparison_table

    table = comparison_table(small_results.kpis, "USD").splitlines()
    assert len(table) == 1 + len(SUMMARY)
    for line, key in zip(table[1:], SUMMARY, strict=True):
        assert line.startswith(kpi_label(key))
        value = fmt.kpi(key, float(small_results.kpis[key].iloc[-1]), "USD", exact=True)
        assert line.rstrip().endswith(value)
    headers = list(labels.readable_columns(small_results.kpis.reset_index(), "USD").columns)
    assert headers == ["Plan", *(kpi_header(k.key, "USD") for k in KPIS)]


_OLD_VARIANTS = ("NPV after cost", "Not lapsed 12 months on (model-only)", "NPV gain vs. multichannel",
                 "NPV gain over multichannel", "Conversion of newly reached people",
                 "Customer lifetime value (per customer)", "Context")


def test_no_kpi_or_capability_name_is_written_outside_the_catalog():
    """Every KPI label and capability name (and the variants they replaced) is read from the
    catalog: no Python string literal in the app or the library equals one."""
    names = {kpi_label(k.key) for k in KPIS} | set(labels.capability_names().values())
    names |= set(_OLD_VARIANTS)
    names -= {"Customers"}  # also a plain table heading
    found = []
    files = [*ROOT.joinpath("simulation").rglob("*.py"), *ROOT.joinpath("explorer").rglob("*.py"),
             *ROOT.joinpath("pages").rglob("*.py"), ROOT / "app.py"]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)


def test_findings_name_capabilities_by_their_one_business_name():
    import pandas as pd

    from simulation.analysis.shapley import CapabilityValue

    values = pd.DataFrame({"capability": ["inventory", "context", "service"],
                           "npv_value": [2e6, 0.5e6, -0.1e6], "alone": [1e6, 1.5e6, -0.2e6]})
    sentence = wording.fund_first(CapabilityValue(values=values, subsets=pd.DataFrame(),
                                                  total_npv_gain=2.4e6, total_clv_gain=0.0), "USD")
    assert sentence.startswith("Fund Shared inventory first")
    assert "on its own Cart and journey continuity is worth more ($1.50M against $1.00M)" in sentence
    assert "all six together: $2.40M" in sentence
    assert sentence.endswith("Not worth its cost here: Returns and service in any channel.")
