"""All tables, imported together so metadata is complete for migrations."""

from bloodbank.adapters.db.models.appointments import Appointment, SlotCounter
from bloodbank.adapters.db.models.audit import AuditEntry, AuditHead
from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.models.donations import AdverseReaction, DinCounter, Donation
from bloodbank.adapters.db.models.donors import Deferral, Donor
from bloodbank.adapters.db.models.sites import Site
from bloodbank.adapters.db.models.visits import Consent, SelfExclusion, Visit

__all__ = [
    "AdverseReaction", "Appointment", "AuditEntry", "AuditHead", "Base", "Consent", "Deferral",
    "DinCounter", "Donation", "Donor", "SelfExclusion", "SlotCounter", "Site", "Visit",
]
