"""Learned offer targeting: what unified customer data is worth (docs/MODEL.md section 3, step 7).

The marketer never sees a person's hidden propensity to shop, only interaction histories, and
those reveal it only as well as the data is joined up (the capability ``identity``). The
package holds, one concern per module:

* :mod:`~simulation.core.personalization.features`: purchase records, siloed and unified
  features, which people's records are linked;
* :mod:`~simulation.core.personalization.models`: the standardized logistic regressions and the
  linear scorers they are folded into;
* :mod:`~simulation.core.personalization.lists`: the offer lists (unified; one per channel) and
  how they share the budget;
* :mod:`~simulation.core.personalization.quality`: held-out ROC AUC and top-decile precision;
* :mod:`~simulation.core.personalization.policy`: :class:`PersonalizedTargeting`, the policy
  that trains, ranks and sends offers round by round;
* :mod:`~simulation.core.personalization.report`: per-round report, pricing and summary.

The modules import one another directly, never this package, so re-exporting here adds no
import cycle.
"""

from simulation.core.personalization.features import (
    ChannelRecords,
    PurchaseHistory,
    channel_features,
    channel_records,
    linked,
    unified_features,
)
from simulation.core.personalization.lists import ListEntries, list_quotas, merged_priority
from simulation.core.personalization.models import LinearScorer, siloed_model, unified_model
from simulation.core.personalization.policy import PersonalizedTargeting, TargetingMode
from simulation.core.personalization.quality import roc_auc, top_decile_precision
from simulation.core.personalization.report import (
    DataRegime,
    personalization_summary,
    price_report,
    report_frame,
)

__all__ = [
    "ChannelRecords",
    "DataRegime",
    "LinearScorer",
    "ListEntries",
    "PersonalizedTargeting",
    "PurchaseHistory",
    "TargetingMode",
    "channel_features",
    "channel_records",
    "linked",
    "list_quotas",
    "merged_priority",
    "personalization_summary",
    "price_report",
    "report_frame",
    "roc_auc",
    "siloed_model",
    "top_decile_precision",
    "unified_features",
    "unified_model",
]
