"""The pre-donation health questionnaire, as data.

Each question maps one answer to one deferral code of the eligibility
vocabulary; how long that code defers is the regime's business, not the
questionnaire's. So a question's look-back period is the longest any
shipped regime uses ("ever" where one of them defers for life), and the
engine decides from the date whether the deferral still runs.

Only what a regime needs is asked: health data is collected for the donor's
and the patient's safety, never out of curiosity.

Answers: a yes/no question takes true/false (or "yes"/"no"); a question that
asks a date takes false/"no", or the date (YYYY-MM-DD) as the "yes".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from bloodbank.domain.eligibility import DeferralRecord
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_

YES = ("yes", "y", "true")
NO = ("no", "n", "false")


@dataclass(frozen=True)
class Question:
    id: str
    clerk_text: str
    donor_text: str  # English, marked for the catalogues: read to the donor in the clerk's language
    code: str
    # The answer that defers: True for "have you ever …?", False for "are you well today?".
    defers_on: bool = True
    # What the date of a deferring answer means; None: no date is asked, the visit day counts.
    since: str | None = None
    # Asked only of donors of this recorded sex ("F"/"M"); None: of everyone.
    only_for_sex: str | None = None

    @property
    def asks_date(self) -> bool:
        return self.since is not None


_V2026_01 = (
    Question("feeling_well", "Feeling well today?",
             N_("Are you feeling well today?"),
             "acute_infection", defers_on=False),
    Question("recent_infection", "Fever or infection in the last 4 weeks? Date it ended.",
             N_("In the last 4 weeks, have you had a fever, flu-like illness or other infection?"),
             "acute_infection", since=N_("day the symptoms stopped")),
    Question("tattoo", "Tattoo or semi-permanent make-up in the last 12 months? Date.",
             N_("In the last 12 months, have you had a tattoo, semi-permanent make-up or similar?"),
             "tattoo", since=N_("day of the procedure")),
    Question("piercing", "Piercing in the last 12 months? Date.",
             N_("In the last 12 months, have you had a body or ear piercing?"),
             "piercing", since=N_("day of the piercing")),
    Question("malaria_area", "Malaria area in the last 3 years? Date of return.",
             N_("In the last 3 years, have you visited or lived in an area where malaria is present?"),
             "malaria_area_travel", since=N_("day of return")),
    Question("pregnancy", "Pregnant now, or pregnancy ended in the last 12 months? Date it ended (today if pregnant).",
             N_("Are you pregnant, or have you given birth or had a pregnancy end in the last 12 months?"),
             "pregnancy", since=N_("day the pregnancy ended (today's date if still pregnant)"), only_for_sex="F"),
    Question("major_surgery", "Major surgery in the last 12 months? Date.",
             N_("In the last 12 months, have you had a major operation?"),
             "major_surgery", since=N_("day of the operation")),
    Question("live_vaccine", "Live vaccine in the last 8 weeks? Date.",
             N_("In the last 8 weeks, have you had a live vaccine (for example yellow fever, measles-mumps-rubella, "
             "chickenpox, oral typhoid)?"),
             "vaccination_live", since=N_("day of vaccination")),
    Question("transfusion", "Ever received a transfusion? Date of the last.",
             N_("Have you ever received a transfusion of blood or blood components?"),
             "blood_transfusion_received", since=N_("day of the last transfusion")),
    Question("injected_drugs", "Ever injected non-prescribed drugs? Date of the last time.",
             N_("Have you ever injected drugs that were not prescribed to you by a doctor?"),
             "injecting_drug_use", since=N_("day of the last injection")),
    Question("sexual_risk", "New or more than one partner with anal sex, last 3 months? Date of last contact.",
             N_("In the last 3 months, have you had a new sexual partner or more than one, and anal sex?"),
             "new_sexual_partner", since=N_("day of the last contact")),
    Question("hiv", "Ever tested positive for HIV?",
             N_("Have you ever tested positive for HIV?"), "hiv"),
    Question("hepatitis_b", "Ever had hepatitis B?",
             N_("Have you ever had hepatitis B?"), "hbv"),
    Question("hepatitis_c", "Ever had hepatitis C?",
             N_("Have you ever had hepatitis C?"), "hcv"),
    Question("htlv", "Ever tested positive for HTLV?",
             N_("Have you ever tested positive for HTLV?"), "htlv"),
    Question("cjd_risk", "CJD risk (family history, dura mater/cornea graft, pituitary hormones)?",
             N_("Has a blood relative had Creutzfeldt-Jakob disease, or have you ever received a dura mater or "
             "cornea graft, or human pituitary hormones?"),
             "cjd_risk"),
    Question("cancer", "Ever had cancer?",
             N_("Have you ever had cancer?"), "cancer"),
    Question("heart_disease", "Ever had serious heart or circulation disease?",
             N_("Have you ever had a heart attack, a stroke or another serious disease of the heart or circulation?"),
             "serious_cardiovascular_disease"),
)

QUESTIONNAIRES: Mapping[str, tuple[Question, ...]] = {"2026-01": _V2026_01}
CURRENT_VERSION = "2026-01"


def questions(version: str = CURRENT_VERSION) -> tuple[Question, ...]:
    try:
        return QUESTIONNAIRES[version]
    except KeyError:
        raise InvalidInput(
            f"Unknown questionnaire version {version!r}: use one of {', '.join(QUESTIONNAIRES)}."
        ) from None


def applies_to(question: Question, sex: str | None) -> bool:
    # With no recorded sex every question is asked: never skip one on a guess.
    return question.only_for_sex is None or sex is None or question.only_for_sex == sex


def read_answers(answers: Mapping[str, Any], on: date, *, sex: str | None = None,
                 version: str = CURRENT_VERSION) -> dict[str, bool | date]:
    """The answers checked and normalised: question id → True/False, or the date of a "yes"."""
    if not isinstance(answers, Mapping):
        raise InvalidInput("The answers must be given as question id → answer.")
    asked = questions(version)
    known = {q.id for q in asked}
    unknown = sorted(str(key) for key in answers if key not in known)
    if unknown:
        raise InvalidInput(f"Unknown question id(s): {', '.join(unknown)}.")
    missing = [q.id for q in asked if applies_to(q, sex) and answers.get(q.id) is None]
    if missing:
        raise InvalidInput(f"Answer missing for: {', '.join(missing)}.")
    return {q.id: _answer(q, answers[q.id], on) for q in asked if answers.get(q.id) is not None}


def deferrals_from_answers(answers: Mapping[str, Any], on: date, *, sex: str | None = None,
                           version: str = CURRENT_VERSION) -> tuple[DeferralRecord, ...]:
    """The deferral facts the answers declare; the regime then says how long each lasts."""
    read = read_answers(answers, on, sex=sex, version=version)
    records = []
    for question in questions(version):
        if question.id not in read or not defers(question, read[question.id]):
            continue
        value = read[question.id]
        records.append(DeferralRecord(code=question.code, since=value if isinstance(value, date) else on))
    return tuple(records)


def defers(question: Question, value: bool | date) -> bool:
    if isinstance(value, date):
        return True
    return value == question.defers_on


def _answer(question: Question, value: Any, on: date) -> bool | date:
    if question.asks_date:
        return _dated_answer(question, value, on)
    answer = _yes_no(value)
    if answer is None:
        raise InvalidInput(f"{question.id}: answer yes or no (got {value!r}).")
    return answer


def _dated_answer(question: Question, value: Any, on: date) -> bool | date:
    answer = _yes_no(value)
    if answer is False:
        return False
    if answer is True:
        raise InvalidInput(f"{question.id}: a yes needs the date ({question.since}), written YYYY-MM-DD.")
    when = _date(value)
    if when is None:
        raise InvalidInput(f"{question.id}: answer no, or the date ({question.since}) written YYYY-MM-DD "
                           f"(got {value!r}).")
    if when > on:
        raise InvalidInput(f"{question.id}: the date {when.isoformat()} is in the future.")
    return when


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES + NO:
        return value.strip().lower() in YES
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def stored_answers(read: Mapping[str, bool | date]) -> dict[str, bool | str]:
    """JSON-safe form of `read_answers` for the visit record."""
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in read.items()}

