"""The domain's exception types.

Each carries a stable `code` (for the API and logs) and a message a clerk can
act on. Entry points translate them in one place each; none is ever a 500.

The message is English. Raised with `params`, the message is a template
(`"There is no donor %(number)s."`, marked with `messages.N_`) that an entry point
looks up in the reader's language and fills with the same parameters; the
English `message` is that template filled, so nothing reading it changes.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, params: dict | None = None):
        if params is None and hasattr(message, "params"):  # a `messages.Text`: its template and its values
            message, params = message.template, message.params
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if params else message
        super().__init__(self.message)


class InvalidInput(DomainError, ValueError):
    """Input that cannot be read: the clerk must correct it; nothing was stored."""

    code = "invalid_input"


class NotFound(DomainError, LookupError):
    code = "not_found"


class DonorIneligible(DomainError):
    code = "donor_ineligible"

    def __init__(self, message: str, reasons: list[str] | None = None, *, params: dict | None = None):
        super().__init__(message, params=params)
        self.reasons = list(reasons or [])


class ConsentMissing(DomainError):
    code = "consent_missing"


class ConsentWithdrawn(DomainError):
    code = "consent_withdrawn"


class PossibleDuplicate(DomainError):
    code = "possible_duplicate"

    def __init__(self, message: str, candidates: list[object] | None = None, *, params: dict | None = None):
        super().__init__(message, params=params)
        self.candidates = list(candidates or [])


class CapacityFull(DomainError):
    code = "capacity_full"


class VolumeTooHigh(DomainError):
    code = "volume_too_high"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class Conflict(DomainError):
    """The action clashes with the current state (already done, already taken)."""

    code = "conflict"


class DonorDeferred(DonorIneligible):
    """The donor has an active deferral, or it could not be confirmed that they have none."""

    code = "donor_deferred"


class VisitClosed(DomainError):
    """The visit ended (withdrawn, deferred or already collected): start a new one."""

    code = "visit_closed"


class OutOfHours(DomainError):
    code = "out_of_hours"


class LoginRefused(DomainError):
    """Wrong user name or password, or a disabled account: which one is not said."""

    code = "login_refused"


class LoginThrottled(LoginRefused):
    code = "login_throttled"


class SecondCheckRefused(DomainError):
    """The second person's user name and password did not match, or their name is locked: nothing was done."""

    code = "second_check_refused"


class SignatureRefused(DomainError):
    """The password given to sign did not match: the signed action did not happen."""

    code = "signature_refused"


class DataKeyUnavailable(DomainError):
    """The key that seals donors' confidences is missing, unreadable or not the one a value needs."""

    code = "data_key_unavailable"


class LinkInvalid(DomainError):
    """A personal appeal link that was altered, or has expired: the donor is told, nothing is booked."""

    code = "link_invalid"


class AppealRefused(Conflict):
    """An appeal cannot be started, paused or resumed in the incident's present state."""

    code = "appeal_refused"


class MessagingNotConfigured(DomainError):
    """Appeals need their link secret (and a channel to send on) set in the installation's configuration."""

    code = "messaging_not_configured"
