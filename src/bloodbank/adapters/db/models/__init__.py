"""All tables, imported together so metadata is complete for migrations."""

from bloodbank.adapters.db.models.appeals import Appeal, AppealInvitation, OutboxMessage
from bloodbank.adapters.db.models.appointments import Appointment, SlotCounter
from bloodbank.adapters.db.models.audit import AuditEntry, AuditErasure, AuditHead, AuditPayload
from bloodbank.adapters.db.models.base import Base
from bloodbank.adapters.db.models.donations import AdverseReaction, DinCounter, Donation
from bloodbank.adapters.db.models.donor_portal import (
    DonorErasureRequest, DonorPortalChoice, DonorSession, DonorSignIn, HomeQuestionnaire,
)
from bloodbank.adapters.db.models.donors import Deferral, Donor, DonorNameToken
from bloodbank.adapters.db.models.erasures import DonorErasure, ErasedIdentity
from bloodbank.adapters.db.models.inventory import (
    ExcursionUnit, Recall, RecallUnit, TemperatureExcursion, Transfer, TransferItem,
)
from bloodbank.adapters.db.models.incidents import CasualtyCount, Incident
from bloodbank.adapters.db.models.lab import DonorFollowUp, TestResult
from bloodbank.adapters.db.models.massive_transfusion import (
    EmergencyIdentity, HospitalMtpRatio, IdentityPack, MassiveTransfusion, MtpRound, MtpRoundUnit,
)
from bloodbank.adapters.db.models.orders import Crossmatch, Issue, Order, Reservation
from bloodbank.adapters.db.models.patients import (
    AntibodyScreen, Hospital, Patient, PatientAntibody, PatientGrouping, PatientIdentifier, PatientSample,
    SpecialRequirement,
)
from bloodbank.adapters.db.models.sites import Site
from bloodbank.adapters.db.models.tallies import RegisterTally
from bloodbank.adapters.db.models.transfusions import Transfusion, TransfusionReaction, UnitReturn
from bloodbank.adapters.db.models.units import Unit, UnitEvent, UnitHold, UnitParent
from bloodbank.adapters.db.models.users import (
    ApiToken, HospitalMembership, KioskSession, LoginAttempt, Signature, User, UserSession,
)
from bloodbank.adapters.db.models.visits import ConfidentialAnswer, Consent, Visit
from bloodbank.adapters.db.models.walking_blood_bank import (
    PanelActivation, PanelCall, PanelMember, RapidTest, RecipientFollowUp, SupplyCutOff, Titre,
)

__all__ = [
    "AdverseReaction", "ApiToken", "Appeal", "AppealInvitation", "OutboxMessage", "AntibodyScreen", "Appointment", "AuditEntry", "AuditErasure", "AuditHead",
    "AuditPayload", "Base", "CasualtyCount", "RegisterTally", "ConfidentialAnswer", "Consent",
    "Crossmatch", "Deferral", "DinCounter", "Donation", "Donor", "DonorErasure", "DonorFollowUp", "DonorNameToken",
    "DonorErasureRequest", "DonorPortalChoice", "DonorSession", "DonorSignIn", "HomeQuestionnaire",
    "ErasedIdentity", "ExcursionUnit", "Hospital", "HospitalMembership", "Incident",
    "Issue", "LoginAttempt", "Order", "Patient", "PatientAntibody", "PatientGrouping", "PatientIdentifier", "PatientSample",
    "Recall", "RecallUnit", "Reservation", "Signature", "SlotCounter", "Site", "SpecialRequirement",
    "TemperatureExcursion", "TestResult", "Transfer", "TransferItem", "Transfusion", "TransfusionReaction",
    "KioskSession", "Unit", "UnitEvent", "UnitHold", "UnitParent", "UnitReturn", "User", "UserSession", "Visit",
    "EmergencyIdentity", "HospitalMtpRatio", "IdentityPack", "MassiveTransfusion", "MtpRound", "MtpRoundUnit",
    "PanelActivation", "PanelCall", "PanelMember", "RapidTest", "RecipientFollowUp", "SupplyCutOff", "Titre",
]
