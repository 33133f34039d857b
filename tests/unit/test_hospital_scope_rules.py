"""Each hospital sees its own, the blood service sees all: the scope rule every hospital record is read through."""

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain.access import Role
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.hospital_scope import (
    EVERY_HOSPITAL, HOSPITAL_ROLES, HospitalScope, check_memberships, scope_of,
)

hospital_ids = st.integers(min_value=1, max_value=40)
memberships = st.frozensets(hospital_ids, max_size=6)
maybe_hospital = st.none() | hospital_ids
BLOOD_SERVICE = [r for r in Role if r not in HOSPITAL_ROLES]


@given(memberships, maybe_hospital)
def test_hospital_staff_see_a_record_exactly_when_it_is_of_one_of_their_hospitals(mine, hospital):
    scope = scope_of(Role.HOSPITAL_STAFF, mine)
    assert scope.includes(hospital) == (hospital is not None and hospital in mine)


@pytest.mark.parametrize("role", BLOOD_SERVICE)
@given(mine=memberships, hospital=maybe_hospital)
def test_every_blood_service_role_sees_every_hospital_and_records_of_none(role, mine, hospital):
    scope = scope_of(role, mine)
    assert scope.everything and scope.includes(hospital)


@given(maybe_hospital)
def test_hospital_staff_of_no_hospital_see_nothing_rather_than_everything(hospital):
    scope = scope_of(Role.HOSPITAL_STAFF, ())
    assert scope.nothing and not scope.everything
    assert not scope.includes(hospital)
    assert not scope.sees_patient(hospital, [hospital])
    assert not scope.sees_issue(hospital, hospital)


@given(memberships, memberships, maybe_hospital)
def test_belonging_to_more_hospitals_never_hides_a_record_and_adds_only_theirs(first, second, hospital):
    one, both = scope_of(Role.HOSPITAL_STAFF, first), scope_of(Role.HOSPITAL_STAFF, first | second)
    assert both.includes(hospital) == (one.includes(hospital) or scope_of(Role.HOSPITAL_STAFF, second)
                                       .includes(hospital))


@given(memberships)
def test_a_record_of_no_hospital_is_the_blood_services_alone(mine):
    assert not scope_of(Role.HOSPITAL_STAFF, mine).includes(None)
    assert EVERY_HOSPITAL.includes(None)


@given(memberships, maybe_hospital, st.lists(maybe_hospital, max_size=5))
def test_a_patient_is_seen_by_their_hospital_and_by_every_hospital_that_ordered_for_them(mine, own, ordering):
    scope = scope_of(Role.HOSPITAL_STAFF, mine)
    expected = (own in mine) or any(h in mine for h in ordering if h is not None)
    assert scope.sees_patient(own, ordering) == expected


@given(memberships, maybe_hospital, maybe_hospital)
def test_an_issue_is_its_orders_hospitals_and_without_an_order_its_patients(mine, order_hospital, patient_hospital):
    scope = scope_of(Role.HOSPITAL_STAFF, mine)
    owner = order_hospital if order_hospital is not None else patient_hospital
    assert scope.sees_issue(order_hospital, patient_hospital) == (owner is not None and owner in mine)


def test_an_issue_under_another_hospitals_order_is_not_seen_through_the_patients_hospital():
    scope = scope_of(Role.HOSPITAL_STAFF, {1})
    assert not scope.sees_issue(2, 1)
    assert scope.sees_issue(1, 2)


def test_an_unknown_role_sees_nothing():
    assert scope_of("porter", {1, 2}) == HospitalScope(frozenset())


def test_only_hospital_staff_belong_to_hospitals():
    assert check_memberships(Role.HOSPITAL_STAFF, [3, 1, 3]) == frozenset({1, 3})
    assert check_memberships(Role.LAB_TECHNICIAN, []) == frozenset()
    for role in BLOOD_SERVICE:
        with pytest.raises(InvalidInput, match="Only hospital staff accounts belong to hospitals"):
            check_memberships(role, [1])
    with pytest.raises(InvalidInput, match="Unknown role"):
        check_memberships("porter", [1])
