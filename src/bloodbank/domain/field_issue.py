"""May a unit not fully tested for infection be issued now, and may it ever join ordinary stock?

Fresh whole blood from an emergency collection goes into a patient before the
laboratory has tested it. That is done only while the emergency lasts (an
open incident, or a supply cut-off a medical director declared and has not
ended), under a physician's signature saying why they accept the risk, and
after the same bedside scans as any issue. The unit never becomes ordinary
stock: results that arrive later are for the recipients' follow-up, not for
a release.
"""

from __future__ import annotations

from dataclasses import dataclass

from bloodbank.domain.issue import Refusal
from bloodbank.domain.messages import N_

EMERGENCY_USE_BLOCKER = ("emergency_use_only", N_("Collected in an emergency and issued before full testing: "
                                                  "it never joins ordinary stock."))


@dataclass(frozen=True)
class FieldIssueFacts:
    not_fully_tested: bool
    emergency_active: bool  # an open incident or a supply cut-off in force, now
    signer_is_physician: bool  # holds the permission to sign this risk
    signed: bool  # the signer's password was checked for this very act
    reason: str  # the physician's "because …"


def field_issue_refusals(facts: FieldIssueFacts) -> list[Refusal]:
    """Every reason this not-fully-tested unit may not be issued now; empty when it may."""
    refusals = []
    if not facts.not_fully_tested:
        refusals.append(Refusal("fully_tested", "This unit is not an emergency collection: issue it the usual way."))
    if not facts.emergency_active:
        refusals.append(Refusal("no_emergency", "No incident is open and no supply cut-off is in force: blood not "
                                                "fully tested is issued only during one.", hard_stop=True))
    if not facts.signer_is_physician:
        refusals.append(Refusal("not_a_physician", "Only a physician (hospital transfusion staff or the medical "
                                                   "director) signs for blood not fully tested.", hard_stop=True))
    if not facts.signed:
        refusals.append(Refusal("unsigned", "The physician's electronic signature is missing.", hard_stop=True))
    if not (facts.reason or "").strip():
        refusals.append(Refusal("no_reason", "Say why the risk is accepted (\"because …\")."))
    return refusals


def may_issue(facts: FieldIssueFacts) -> bool:
    return not field_issue_refusals(facts)


def may_enter_stock(emergency_use: bool) -> bool:
    """Whatever the route (release, a return from the ward, a transfer received), blood not fully tested never
    becomes available stock."""
    return not emergency_use


def shelf_after_return(emergency_use: bool) -> str:
    """Where a unit returned unused and still fit goes: ordinary stock, or back to the emergency shelf."""
    return "available" if may_enter_stock(emergency_use) else "quarantined"
