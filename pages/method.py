"""Method and assumptions: the model in plain language, every parameter, the limits."""

from pathlib import Path

import streamlit as st

from explorer import downloads, state, tables, ui
from simulation import APP_VERSION
from simulation.display.labels import capability_count
from simulation.display.text import text

ui.page_header(text("nav.method"), text("question.method"))
scenario = state.current_scenario()

st.subheader("How the model works")
st.markdown(f"""
The explorer simulates **{scenario.market.population:,} people** standing for a market of
**{scenario.market.market_size:,}**, week by week for **{scenario.market.horizon_weeks} weeks**.
Each week:

1. **Marketing reaches** some people who did not know the business yet.
2. **Channels send messages.** Run separately, each channel contacts the people it knows at its
   own pace; *one contact policy* caps and de-duplicates them. A few messages remind people to
   shop; too many annoy them, and some unsubscribe or leave.
3. **People start shopping journeys** in the channel they prefer (store, web, app, ...). A
   journey takes a few steps and may **switch channel**. Without *cart and journey continuity*
   a switch can lose the cart, and the customer may give up. Without *the same prices and
   messages everywhere* the customer may meet a conflicting offer and walk away. A purchase
   needs the item in stock; *shared inventory* lets the rest of the network fill the order.
4. **Orders** have random values around the segment's typical order; some are returned, and
   returns made in another channel meet friction unless *returns and service in any channel*
   is integrated. A *unified customer ID* lets targeted offers use all of a person's history.
5. **Satisfaction** follows each week's experience, and less satisfied customers lapse sooner;
   loyal customers (several purchases) lapse less.

The three plans differ **only** in the {capability_count()} integration levels (0% = siloed,
100% = integrated); there is no parameter that says "omnichannel is X% better". All three run
on the same people with the same random draws, so a difference between them is caused by
integration, not luck.
Each capability costs a fixed amount plus a part per store, per order or per customer profile,
so costs scale with the business ({scenario.business.stores:,} stores here); one-off costs are
spread over the implementation delay and ramp-up and can overrun (the uncertainty analysis draws
both), and the effect phases in over the ramp-up. Integration also changes the cost of serving
an order (ship-from-store costs more, click-and-collect saves delivery) and harmonised prices give
up margin where channels priced differently. Plans start from the integration already in place
and pay one-off costs only for what they add. Money is scaled from the simulated people to the
market size; NPV discounts weekly at the annual rate given. **Customer lifetime value** runs past
the horizon: each customer still active at the end keeps their weekly contribution and churn
hazard (a geometric tail); *value within the horizon* is reported beside it. Prices, costs and
market size only value what the simulated people do, so changing them re-values the same run
instantly.

**Reproducibility:** seed {scenario.seed}, app version {APP_VERSION}. The scenario JSON (sidebar,
*Save, share, reproduce*) carries both, so a saved scenario gives the same numbers again.
""")

with st.expander("The full model: every step, equation, source and what is left out (docs/MODEL.md)"):
    st.markdown((Path(__file__).resolve().parents[1] / "docs" / "MODEL.md").read_text(encoding="utf-8"))

st.subheader("Every parameter, its value and its source")
table = tables.parameter_table(scenario)
st.dataframe(table, width="stretch", hide_index=True, height=420, column_config={
    "Meaning": st.column_config.TextColumn(width="large"),
    "Source": st.column_config.TextColumn(width="medium"),
})
st.download_button(
    "Parameters (CSV)", lambda: downloads.data_csv(table), key="csv_parameters",
    file_name=downloads.file_stem(scenario.name, "parameters", scenario.seed) + ".csv",
    mime="text/csv", on_click="ignore", icon=":material/download:",
)
st.caption("*assumption (see sensitivity)* marks a modelling choice rather than a published "
           "figure: test how much the decision depends on it before relying on it.")

st.subheader("Glossary")
st.dataframe(tables.glossary_table(), hide_index=True, width="stretch", key="glossary",
             column_config={"Meaning": st.column_config.TextColumn(width="large")})

st.subheader("Limits of the model")
st.markdown("""
- **It is a model, not a forecast.** It shows what follows from the assumptions above; most
  are assumptions, not measurements of your business. Replace them with your own data.
- **One run is one draw.** Small differences (a fraction of a percentage point) can be noise;
  re-run with other seeds or more simulated people before trusting them.
- **Mechanisms left out:** competitors' reactions, price elasticity, assortment changes,
  capacity limits in stores and fulfilment, seasonality, customers learning channels over time,
  and the organisational change that integration needs beyond its stated cost (docs/MODEL.md,
  "What is not modelled").
- **Integration levels are abstract** (0% to 100%). Mapping a real project (a CRM, an order
  management system) to a level is a judgement.
- **Costs and ramp-ups are estimates** from public price lists or stated assumptions; IT
  programmes overrun often (the Decisions page shows where integration stops paying).
- **Market scaling is linear**: money figures assume the simulated people are a fair sample of
  the real market.
""")
