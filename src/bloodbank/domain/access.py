"""Who may do what: roles, permissions, signatures, login throttling and idle sessions.

Least privilege is a safety rule like any other: a donor-desk clerk never sees
a test result and never releases a unit, whatever screen or endpoint they
reach. The grants are one table, read by every entry point.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_, Text


class Role(StrEnum):
    CLERK = "clerk"
    PHLEBOTOMIST = "phlebotomist"
    LAB_TECHNICIAN = "lab_technician"
    INVENTORY_MANAGER = "inventory_manager"
    HOSPITAL_STAFF = "hospital_staff"
    MEDICAL_DIRECTOR = "medical_director"
    ADMINISTRATOR = "administrator"


ROLE_LABELS = {  # English, marked for the catalogues: pages show them in the reader's language
    Role.CLERK: N_("Donor-desk clerk"),
    Role.PHLEBOTOMIST: N_("Phlebotomist"),
    Role.LAB_TECHNICIAN: N_("Lab technician"),
    Role.INVENTORY_MANAGER: N_("Inventory manager"),
    Role.HOSPITAL_STAFF: N_("Hospital transfusion staff"),
    Role.MEDICAL_DIRECTOR: N_("Medical director"),
    Role.ADMINISTRATOR: N_("Administrator"),
}


class Permission(StrEnum):
    DONORS_READ = "donors.read"
    DONORS_WRITE = "donors.write"
    DONORS_MERGE = "donors.merge"
    # Erase a person's personal data at their request, and apply the retention rules: cannot be undone.
    ERASURE = "donors.erase"
    # Make the copy of everything held about a donor that they asked for (their right of access).
    DATA_COPY = "donors.data_copy"
    APPOINTMENTS = "appointments"
    VISITS = "visits"  # check-in, questionnaire, measurements, consent, withdrawal
    DEFERRALS_WRITE = "deferrals.write"
    DEFERRAL_REASONS = "deferrals.reasons"  # a sensitive read
    COLLECTION = "collection"
    PROCESSING = "processing"  # components, pools, aliquots, irradiation, labels
    RESULTS_READ = "results.read"  # a sensitive read
    RESULTS_WRITE = "results.write"
    RELEASE = "release"
    FOLLOW_UPS = "follow_ups"
    UNITS_READ = "units.read"
    INVENTORY_WRITE = "inventory.write"  # transfers, excursions
    DISCARD = "discard"
    PATIENTS_READ = "patients.read"
    PATIENTS_WRITE = "patients.write"
    ORDERS = "orders"  # orders, allocation, crossmatch
    ISSUE = "issue"
    EMERGENCY_RELEASE = "emergency_release"
    TRANSFUSION = "transfusion"
    TRACE = "trace"  # trace and lookback
    RECALL = "recall"
    SITES_WRITE = "sites.write"
    USERS = "users"
    AUDIT_READ = "audit.read"
    # The walking blood bank: keep the panel and record titres (the blood service's desk and lab).
    PANEL = "panel"
    # Declare or end a supply cut-off, and activate the panel: the medical director's decision.
    PANEL_ACTIVATE = "panel.activate"
    EMERGENCY_COLLECTION = "emergency_collection"  # bedside tests and a collection from a called member
    # Sign for blood not fully tested for infection: a physician's risk, never a clerk's.
    ISSUE_NOT_FULLY_TESTED = "issue_not_fully_tested"
    # Activate and end a massive transfusion protocol, prepare, issue and take back its coolers.
    MASSIVE_TRANSFUSION = "massive_transfusion"
    # Set a hospital's massive transfusion ratio: its transfusion committee's decision, the medical director's here.
    MTP_RATIO = "massive_transfusion.ratio"
    INCIDENTS = "incidents"  # declare and close mass-casualty incidents, see every count and the shortfall
    # Add the casualties admitted and see one's own entries and the list of incidents (no counts): a hospital's
    # staff, and the blood service's roles, who also hold INCIDENTS.
    CASUALTY_COUNTS = "casualty_counts"
    # The monthly report: counts only, no person named (deferral reasons also need DEFERRAL_REASONS).
    REPORTS = "reports"
    BACKUP = "backup"  # a copy of everything: the system's keeper's job, not a clinician's
    OWN_ACCOUNT = "own_account"  # one's own password and tokens: every person has it


P = Permission
_DESK = {P.DONORS_READ, P.DONORS_WRITE, P.APPOINTMENTS, P.VISITS}
_HOSPITAL = {P.PATIENTS_READ, P.PATIENTS_WRITE, P.ORDERS, P.ISSUE, P.EMERGENCY_RELEASE, P.TRANSFUSION,
             P.UNITS_READ, P.ISSUE_NOT_FULLY_TESTED, P.MASSIVE_TRANSFUSION}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_DESK | {P.PANEL, P.OWN_ACCOUNT}),
    Role.PHLEBOTOMIST: frozenset({P.DONORS_READ, P.VISITS, P.COLLECTION, P.EMERGENCY_COLLECTION, P.OWN_ACCOUNT}),
    Role.LAB_TECHNICIAN: frozenset({
        P.DONORS_READ, P.PROCESSING, P.RESULTS_READ, P.RESULTS_WRITE, P.RELEASE, P.FOLLOW_UPS, P.UNITS_READ,
        P.DISCARD, P.TRACE, P.PANEL, P.OWN_ACCOUNT,
    }),
    Role.INVENTORY_MANAGER: frozenset({P.UNITS_READ, P.INVENTORY_WRITE, P.DISCARD, P.TRACE, P.INCIDENTS,
                                       P.CASUALTY_COUNTS, P.REPORTS, P.OWN_ACCOUNT}),
    Role.HOSPITAL_STAFF: frozenset(_HOSPITAL | {P.CASUALTY_COUNTS, P.OWN_ACCOUNT}),
    # The medical director answers for every clinical decision, so sees and may sign for all of them;
    # user accounts stay with the administrator.
    Role.MEDICAL_DIRECTOR: frozenset(set(Permission) - {P.USERS, P.SITES_WRITE, P.BACKUP}),
    # The administrator runs the system, not the blood: no results, no release, no patients.
    Role.ADMINISTRATOR: frozenset({P.USERS, P.SITES_WRITE, P.AUDIT_READ, P.DONORS_READ, P.BACKUP, P.OWN_ACCOUNT}),
}


def role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(f"Unknown role {value!r}: use one of {', '.join(r.value for r in Role)}.") from None


def may(who: Role | str, permission: Permission | str) -> bool:
    try:
        return Permission(permission) in GRANTS[Role(who)]
    except ValueError:
        return False  # an unknown role or permission grants nothing


# What a signature means, in the words the signer agrees to; `%(subject)s` names the record.
SIGNATURE_MEANINGS = {
    "release": N_("I confirm that unit %(subject)s meets every release requirement and release it to stock."),
    "review_release": N_("I have reviewed why unit %(subject)s was held, judge it fit for use, and release it to "
                         "stock under every release requirement."),
    "discard": N_("I discard unit %(subject)s for the reason recorded."),
    "emergency_release": N_("I authorise the emergency release of uncrossmatched unit %(subject)s."),
    "override": N_("I take responsibility for this override: %(subject)s."),
    "recall": N_("I recall every unit named in %(subject)s."),
    "confirm_group": N_("I confirm blood group %(subject)s after repeat typing; it replaces any other on record."),
    "grouping_in_error": N_("I declare grouping %(subject)s entered in error; it no longer counts for this "
                            "patient."),
    "not_fully_tested": N_("I accept the risk of transfusing blood not fully tested for infection (unit "
                           "%(subject)s), because %(reason)s."),
    "supply_cut_off": N_("I declare that the supply of tested blood to %(subject)s is cut off and the walking blood "
                         "bank may be called."),
    "close_incident": N_("I close incident %(subject)s: its casualties are counted and no more blood is planned "
                         "for it."),
    "end_massive_transfusion": N_("I end the massive transfusion protocol for patient %(subject)s: no more rounds "
                                  "are prepared for it."),
    "erase": N_("At the donor's request I erase the personal data of donor %(subject)s as the statement lists, "
                "keeping what traceability and safety require; this cannot be undone."),
    "retention": N_("I apply the retention rules and erase %(subject)s, as listed; this cannot be undone."),
}


# The subject of a signature whose record the signer picks on the same form, and the reason not yet typed.
CHOSEN_ABOVE = Text(N_("chosen above"))
THE_SITE = Text(N_("the site"))
REASON_GIVEN = Text(N_("the reason given"))


def signature_meaning(action: str, subject: str, **words: str) -> Text:
    """The meaning in English (what is recorded with the signature), translatable for the signer's screen."""
    if action not in SIGNATURE_MEANINGS:
        raise InvalidInput(f"Nothing is signed as {action!r}: use one of {', '.join(SIGNATURE_MEANINGS)}.")
    # A meaning shown before the signer has typed their reason names the place it will take.
    return Text(SIGNATURE_MEANINGS[action], **{"subject": subject, "reason": REASON_GIVEN, **words})


MIN_PASSWORD_LENGTH = 10


def check_new_password(password: str, username: str) -> str:
    """Length over composition rules (NIST SP 800-63B §5.1.1.2): at least 10 characters, not the user name."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip().lower() == (username or "").strip().lower():
        raise InvalidInput("The password cannot be the user name.")
    return password


# Five failures in a quarter of an hour locks the name for a quarter of an hour (NIST SP 800-63B §5.2.2
# asks for a limit of at most 100; a blood service's staff names are few and guessable, so we are stricter).
LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW = timedelta(minutes=15)
# One address guessing across many names: a shared ward terminal may mistype more than one person does.
CLIENT_FAILURE_LIMIT = 20


def locked_until(failures_since_success: list[datetime], now: datetime, *,
                 limit: int = LOGIN_FAILURE_LIMIT, window: timedelta = LOGIN_WINDOW) -> datetime | None:
    """When the name may try again, or None if it may try now."""
    recent = sorted(at for at in failures_since_success if now - at < window)
    if len(recent) < limit:
        return None
    return recent[-limit] + window


IDLE_TIMEOUT = timedelta(minutes=30)
# However active, a browser session ends after a working shift and a half: a stolen cookie does not live on.
SESSION_MAX_AGE = timedelta(hours=12)
API_TOKEN_DAYS = 90


def session_expired(last_seen: datetime, now: datetime, idle: timedelta = IDLE_TIMEOUT, *,
                    created: datetime | None = None, max_age: timedelta = SESSION_MAX_AGE) -> bool:
    """Idle too long, or open longer than any shift."""
    return now - last_seen >= idle or (created is not None and now - created >= max_age)
