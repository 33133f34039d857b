from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.eligibility import DEFERRAL_VOCABULARY, DeferralRecord, load_rule_set
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.questionnaire import (
    CURRENT_VERSION, QUESTIONNAIRES, deferrals_from_answers, questions, read_answers, stored_answers,
)

ON = date(2026, 3, 10)


def all_clear(**overrides):
    """Every answer that declares nothing: "yes" to feeling well, "no" to the rest."""
    answers = {q.id: ("no" if q.defers_on else "yes") for q in questions()}
    return {**answers, **overrides}


def test_every_question_names_a_deferral_code_the_engine_knows():
    for version, asked in QUESTIONNAIRES.items():
        assert {q.code for q in asked} <= set(DEFERRAL_VOCABULARY), version


def test_question_ids_are_unique_in_each_version():
    for asked in QUESTIONNAIRES.values():
        ids = [q.id for q in asked]
        assert len(ids) == len(set(ids))


def test_the_who_rule_set_defines_the_codes_of_the_main_questions():
    who = load_rule_set("who")
    for code in ("tattoo", "pregnancy", "malaria_area_travel", "major_surgery", "acute_infection"):
        assert code in who.deferrals


def test_answers_that_declare_nothing_give_no_deferral():
    assert deferrals_from_answers(all_clear(), ON) == ()


def test_a_tattoo_is_declared_with_its_date():
    records = deferrals_from_answers(all_clear(tattoo="2026-01-15"), ON)
    assert records == (DeferralRecord(code="tattoo", since=date(2026, 1, 15)),)


def test_not_feeling_well_today_is_an_acute_infection_from_today():
    assert deferrals_from_answers(all_clear(feeling_well=False), ON) == (DeferralRecord("acute_infection", ON),)


def test_a_permanent_condition_is_declared_on_the_visit_day():
    assert deferrals_from_answers(all_clear(hiv="yes"), ON) == (DeferralRecord("hiv", ON),)


def test_several_answers_give_several_records():
    records = deferrals_from_answers(all_clear(malaria_area="2025-12-01", major_surgery="2025-11-02"), ON)
    assert {r.code for r in records} == {"malaria_area_travel", "major_surgery"}


def test_an_unknown_question_id_is_refused_by_name():
    with pytest.raises(InvalidInput, match="Unknown question id.*favourite_colour"):
        deferrals_from_answers(all_clear(favourite_colour="blue"), ON)


def test_missing_answers_are_named():
    answers = all_clear()
    del answers["tattoo"], answers["cancer"]
    with pytest.raises(InvalidInput, match="Answer missing for: tattoo, cancer"):
        deferrals_from_answers(answers, ON)


def test_the_pregnancy_question_is_not_required_of_a_man_but_is_when_sex_is_unknown():
    answers = all_clear()
    del answers["pregnancy"]
    assert deferrals_from_answers(answers, ON, sex="M") == ()
    with pytest.raises(InvalidInput, match="pregnancy"):
        deferrals_from_answers(answers, ON, sex="F")
    with pytest.raises(InvalidInput, match="pregnancy"):
        deferrals_from_answers(answers, ON)


def test_a_yes_to_a_dated_question_needs_the_date():
    with pytest.raises(InvalidInput, match="tattoo: a yes needs the date"):
        deferrals_from_answers(all_clear(tattoo="yes"), ON)


def test_a_date_in_the_future_is_refused():
    with pytest.raises(InvalidInput, match="in the future"):
        deferrals_from_answers(all_clear(major_surgery="2026-03-11"), ON)


def test_an_unreadable_answer_is_refused_with_the_question_id():
    with pytest.raises(InvalidInput, match="hiv: answer yes or no"):
        deferrals_from_answers(all_clear(hiv="maybe"), ON)
    with pytest.raises(InvalidInput, match="piercing: answer no, or the date"):
        deferrals_from_answers(all_clear(piercing="10/01/2026"), ON)


def test_an_unknown_version_is_refused():
    with pytest.raises(InvalidInput, match="Unknown questionnaire version"):
        questions("1999-01")


def test_stored_answers_are_plain_json_values():
    read = read_answers(all_clear(tattoo="2026-01-15"), ON)
    stored = stored_answers(read)
    assert stored["tattoo"] == "2026-01-15" and stored["hiv"] is False and stored["feeling_well"] is True


DATED = [q.id for q in questions(CURRENT_VERSION) if q.asks_date]


@given(question=st.sampled_from(DATED), days_ago=st.integers(min_value=0, max_value=3650))
def test_any_dated_yes_is_declared_with_exactly_that_date(question, days_ago):
    when = ON - timedelta(days=days_ago)
    records = deferrals_from_answers(all_clear(**{question: when.isoformat()}), ON)
    code = next(q.code for q in questions() if q.id == question)
    assert records == (DeferralRecord(code=code, since=when),)


@given(flips=st.sets(st.sampled_from([q.id for q in questions() if not q.asks_date])))
def test_each_deferring_yes_no_answer_declares_its_code_and_nothing_else(flips):
    by_id = {q.id: q for q in questions()}
    answers = all_clear()
    for qid in flips:
        answers[qid] = by_id[qid].defers_on
    records = deferrals_from_answers(answers, ON)
    assert sorted(r.code for r in records) == sorted(by_id[qid].code for qid in flips)
    assert all(r.since == ON for r in records)
