"""Decision analytics on top of the engine: uncertainty, sensitivity, capability value, investment.

Every analysis is a set of independent :class:`~simulation.analysis.runs.PlanTask` runs of
:func:`simulation.simulate_plans`, executed in parallel through joblib or a runner installed
with :func:`~simulation.analysis.parallel.use_runner` (:mod:`simulation.analysis.parallel`),
and returns tidy frames.

* :func:`uncertainty`: replications with independent seeds and Latin-hypercube draws of the
  assumptions' ranges; 90% intervals of every KPI, P(plan beats multichannel), fan charts.
* :func:`tornado`: one-at-a-time sensitivity of the NPV and CLV gain to each assumption.
* :func:`capability_value`: exact Shapley split of the gain across the six capabilities.
* :func:`break_even`, :func:`best_plan_under_budget`: what integration may cost.
* :func:`decision_analysis`: the default set in one parallel batch.
"""

from simulation.analysis.decisions import (
    DecisionAnalysis,
    DecisionRequest,
    decision_analysis,
    estimate_decision_seconds,
)
from simulation.analysis.investment import BestPlan, BreakEven, best_plan_under_budget, break_even
from simulation.analysis.parallel import AnalysisCancelled
from simulation.analysis.ranges import MAIN_ASSUMPTIONS, RangeSpec, resolve_ranges
from simulation.analysis.runs import Execution
from simulation.analysis.sensitivity import TornadoResult, tornado
from simulation.analysis.shapley import CapabilityValue, SwitchedOn, capability_value, shapley_values
from simulation.analysis.uncertainty import UncertaintyResult, uncertainty

__all__ = [
    "MAIN_ASSUMPTIONS",
    "AnalysisCancelled",
    "BestPlan",
    "BreakEven",
    "CapabilityValue",
    "DecisionAnalysis",
    "DecisionRequest",
    "Execution",
    "RangeSpec",
    "SwitchedOn",
    "TornadoResult",
    "UncertaintyResult",
    "best_plan_under_budget",
    "break_even",
    "capability_value",
    "decision_analysis",
    "estimate_decision_seconds",
    "resolve_ranges",
    "shapley_values",
    "tornado",
    "uncertainty",
]
