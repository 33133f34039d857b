"""Donor eligibility: may this person give this kind of donation today, and if not, when?

Four regimes ship as data (WHO 2012, EU Directive 2004/33/EC, US FDA, UK
JPAC); `evaluate` applies one of them to a donor's facts and reports every
rule that fails, each with its source.
"""

from bloodbank.domain.eligibility.engine import (
    Decision,
    FailedRule,
    check_collection_volume,
    deferral_codes,
    evaluate,
    evaluate_in_advance,
    max_collection_volume_ml,
    next_eligible_date,
)
from bloodbank.domain.eligibility.facts import DeferralRecord, DonorFacts, PastDonation, facts_from_mapping
from bloodbank.domain.eligibility.rules import (
    DEFERRAL_VOCABULARY,
    RULE_SETS,
    DonationKind,
    RuleSet,
    RuleSetError,
    load_rule_set,
    rule_set_from_toml,
)

__all__ = [
    "DEFERRAL_VOCABULARY",
    "RULE_SETS",
    "Decision",
    "DeferralRecord",
    "DonationKind",
    "DonorFacts",
    "FailedRule",
    "PastDonation",
    "RuleSet",
    "RuleSetError",
    "check_collection_volume",
    "deferral_codes",
    "evaluate",
    "evaluate_in_advance",
    "facts_from_mapping",
    "load_rule_set",
    "max_collection_volume_ml",
    "next_eligible_date",
    "rule_set_from_toml",
]
