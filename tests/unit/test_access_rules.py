"""Least privilege, login throttling and idle sessions: the rules behind every screen and endpoint."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from bloodbank.domain import access
from bloodbank.domain.access import GRANTS, Permission as P, Role, locked_until, may, session_expired
from bloodbank.domain.errors import InvalidInput

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("permission", [P.RESULTS_READ, P.RESULTS_WRITE, P.RELEASE, P.DISCARD, P.ISSUE,
                                        P.DEFERRAL_REASONS, P.USERS])
def test_a_donor_desk_clerk_sees_no_results_and_releases_nothing(permission):
    assert not may(Role.CLERK, permission)


@pytest.mark.parametrize("permission", [P.RESULTS_READ, P.RELEASE, P.PATIENTS_READ, P.ISSUE, P.DISCARD,
                                        P.EMERGENCY_RELEASE])
def test_the_administrator_runs_the_system_not_the_blood(permission):
    assert not may(Role.ADMINISTRATOR, permission)


@pytest.mark.parametrize("role, permission", [
    (Role.CLERK, P.DONORS_WRITE), (Role.CLERK, P.VISITS), (Role.PHLEBOTOMIST, P.COLLECTION),
    (Role.LAB_TECHNICIAN, P.RELEASE), (Role.LAB_TECHNICIAN, P.RESULTS_WRITE), (Role.INVENTORY_MANAGER, P.DISCARD),
    (Role.HOSPITAL_STAFF, P.ISSUE), (Role.HOSPITAL_STAFF, P.EMERGENCY_RELEASE), (Role.MEDICAL_DIRECTOR, P.RECALL),
    (Role.ADMINISTRATOR, P.USERS), (Role.ADMINISTRATOR, P.AUDIT_READ),
])
def test_each_role_holds_what_its_work_needs(role, permission):
    assert may(role, permission)


def test_only_the_medical_director_may_recall_and_read_deferral_reasons():
    for permission in (P.RECALL, P.DEFERRAL_REASONS):
        assert {r for r in Role if may(r, permission)} == {Role.MEDICAL_DIRECTOR}


def test_only_the_medical_director_erases_a_donors_personal_data_and_signs_it():
    assert {r for r in Role if may(r, P.ERASURE)} == {Role.MEDICAL_DIRECTOR}
    assert "cannot be undone" in access.signature_meaning("erase", "D0000012")
    assert "cannot be undone" in access.signature_meaning("retention", "3 records")


def test_user_accounts_are_the_administrators_alone():
    assert {r for r in Role if may(r, P.USERS)} == {Role.ADMINISTRATOR}


@given(st.text(max_size=20), st.sampled_from(list(P)))
def test_an_unknown_role_grants_nothing(role, permission):
    if role not in {r.value for r in Role}:
        assert not may(role, permission)


@given(st.sampled_from(list(Role)), st.text(max_size=20))
def test_an_unknown_permission_is_never_granted(role, permission):
    if permission not in {p.value for p in P}:
        assert not may(role, permission)


def test_every_role_has_a_label_and_a_grant():
    assert set(GRANTS) == set(Role) == set(access.ROLE_LABELS)


def test_an_unknown_role_is_refused_by_name():
    with pytest.raises(InvalidInput, match="Unknown role 'nurse'"):
        access.role("nurse")


@pytest.mark.parametrize("password, message", [("short", "at least 10"), ("a.smith", "at least 10"),
                                               ("A.Smith123", "cannot be the user name")])
def test_a_weak_password_is_refused_with_the_rule(password, message):
    with pytest.raises(InvalidInput, match=message):
        access.check_new_password(password, "a.smith123")


def test_four_failures_do_not_lock_the_fifth_does():
    four = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert locked_until(four, NOW) is None
    five = four + [NOW - timedelta(minutes=5)]
    assert locked_until(five, NOW) == NOW - timedelta(minutes=5) + access.LOGIN_WINDOW


def test_failures_older_than_the_window_are_forgiven():
    old = [NOW - timedelta(minutes=16 + m) for m in range(10)]
    assert locked_until(old, NOW) is None


@given(st.lists(st.integers(min_value=0, max_value=60 * 24), max_size=30))
def test_a_lock_never_lasts_beyond_one_window_after_the_last_failure(minutes_ago):
    failures = [NOW - timedelta(minutes=m) for m in minutes_ago]
    until = locked_until(failures, NOW)
    if until is not None:
        assert NOW < until <= max(failures) + access.LOGIN_WINDOW
        assert sum(1 for f in failures if NOW - f < access.LOGIN_WINDOW) >= access.LOGIN_FAILURE_LIMIT


def test_a_session_expires_after_thirty_idle_minutes_and_not_before():
    assert not session_expired(NOW - timedelta(minutes=29, seconds=59), NOW)
    assert session_expired(NOW - timedelta(minutes=30), NOW)


def test_every_signed_action_names_what_is_signed():
    for action in access.SIGNATURE_MEANINGS:
        assert "G123498654321" in access.signature_meaning(action, "G123498654321")
    with pytest.raises(InvalidInput):
        access.signature_meaning("delete_everything", "x")
