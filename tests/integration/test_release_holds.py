"""Holds: a unit kept in quarantine for a decision goes back to stock only through a signed review.

Each unit here has every test final and negative and its label verified, so
the hold is the only thing between it and the shelf.
"""

import pytest
from sqlalchemy import select, update

from bloodbank.adapters.db.models import AuditEntry, Reservation, Signature, Unit, UnitHold
from bloodbank.domain.errors import InvalidInput, InvalidTransition, SignatureRefused
from bloodbank.service_layer.blood import holds
from bloodbank.service_layer.blood.aliquots import split_unit
from bloodbank.service_layer.blood.excursions import discard_after_review as discard_after_excursion
from bloodbank.service_layer.blood.excursions import record_excursion
from bloodbank.service_layer.blood.quarantine import quarantine_list
from bloodbank.service_layer.blood.release import release_check, release_unit
from bloodbank.service_layer.blood.transfers import dispatch, receive
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import signatures
from tests.integration import inventory_fixtures as inv
from tests.integration.lab_fixtures import (
    counts, get, lab, make_donation, make_site, make_unit, pass_all_tests, self_exclude, status_of, unit_events,
)
from tests.integration.web_fixtures import PASSWORD, make_user


def ready_unit(database, site, *, location="fridge 1", status="quarantined"):
    """A red cell unit whose every test is final and negative, its label verified, stored at `location`."""
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, status=status)
    pass_all_tests(database, donation)
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == unit).values(storage_location=location))
    return unit


def warm_fridge(database, site, *, location="fridge 1", actor="inv.ian"):
    return record_excursion(UnitOfWork(database, actor=actor), site_id=site, storage_location=location,
                            started_at=inv.hours_ago(3), ended_at=inv.hours_ago(2), lowest_c=4.0, highest_c=11.0)


def hold_rows(database, unit_id):
    with database.sessions() as session:
        rows = session.execute(select(UnitHold).where(UnitHold.unit_id == unit_id).order_by(UnitHold.id)).scalars()
        return [(h.kind, h.decision, h.decided_by, h.decision_reason) for h in rows]


def audit_actions(database, entity=None):
    with database.sessions() as session:
        query = select(AuditEntry.action).order_by(AuditEntry.id)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        return list(session.scalars(query))


def board_item(database, site, unit):
    return {i.unit_id: i for i in quarantine_list(lab(database), site)}[unit]


def test_a_unit_held_for_an_excursion_is_refused_release_with_the_holds_reason(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    ready = board_item(database, site, unit)
    assert ready.state == "ready for release"
    excursion = warm_fridge(database, site)
    assert [(a.unit_id, a.status_after) for a in excursion.affected] == [(unit, "quarantined")]
    before = counts(database)
    with pytest.raises(InvalidTransition, match="cannot be released") as refused:
        release_unit(lab(database), unit_id=unit)
    assert f"Held for review (temperature excursion): Temperature excursion {excursion.id} at fridge 1: " \
           "4 to 11 °C" in refused.value.message
    assert "only a signed review decision releases it" in refused.value.message
    assert counts(database) == before and status_of(database, unit) == "quarantined"
    held = board_item(database, site, unit)
    assert (held.state, held.held_for_review, held.missing_tests) == ("held", True, ())
    assert any(f"Temperature excursion {excursion.id} at fridge 1" in h for h in held.holds)
    assert not release_check(lab(database), unit_id=unit).may_release


def test_an_available_unit_held_by_an_excursion_is_refused_too(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    release_unit(lab(database), unit_id=unit)
    warm_fridge(database, site)
    assert status_of(database, unit) == "quarantined"
    with pytest.raises(InvalidTransition, match="Held for review"):
        release_unit(lab(database), unit_id=unit)
    assert board_item(database, site, unit).state == "held"


def test_a_held_unit_still_waiting_for_results_shows_held_not_awaiting_results(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site)
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == unit).values(storage_location="fridge 1"))
    warm_fridge(database, site)
    item = board_item(database, site, unit)
    assert (item.state, item.held_for_review) == ("held", True)
    assert "HIV" in item.missing_tests


def test_a_transfer_received_with_the_cold_chain_broken_is_held(database):
    origin, destination = make_site(database), make_site(database)
    unit = ready_unit(database, origin)
    release_unit(lab(database), unit_id=unit)
    sent = dispatch(inv.clerk(database), from_site_id=origin, to_site_id=destination, unit_ids=[unit])
    receive(inv.clerk(database, "inv.rae"), transfer_id=sent.id, received_unit_ids=[unit], cold_chain_ok=False)
    assert status_of(database, unit) == "quarantined"
    assert hold_rows(database, unit) == [("cold_chain_broken", None, None, None)]
    with pytest.raises(InvalidTransition) as refused:
        release_unit(lab(database), unit_id=unit)
    assert "Held for review (cold chain broken in transit): Received at" in refused.value.message
    assert f"with the cold chain broken (transfer {sent.id} from" in refused.value.message
    item = board_item(database, destination, unit)
    assert (item.state, item.held_for_review) == ("held", True)
    assert audit_actions(database, "unit_hold") == ["open_hold"]


def test_an_intact_cold_chain_opens_no_hold(database):
    origin, destination = make_site(database), make_site(database)
    unit = ready_unit(database, origin)
    release_unit(lab(database), unit_id=unit)
    sent = dispatch(inv.clerk(database), from_site_id=origin, to_site_id=destination, unit_ids=[unit])
    receive(inv.clerk(database), transfer_id=sent.id, received_unit_ids=[unit], cold_chain_ok=True)
    assert status_of(database, unit) == "available" and hold_rows(database, unit) == []


def signed_review_release(database, user, unit, reason, password=PASSWORD):
    return signatures.signed_act(
        lambda: UnitOfWork(database, actor=user.username), user_id=user.id, password=password,
        action="review_release",
        act=lambda: holds.release_after_review(UnitOfWork(database, actor=user.username), unit_id=unit,
                                               reason=reason),
        record=lambda v: (holds.unit_subject(v.din, v.product_code, v.division), "unit", v.unit_id))


def test_release_after_a_signed_review_puts_the_unit_in_stock_with_its_signature_and_audit(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    warm_fridge(database, site)
    reviewer = make_user(database, "lab_technician", "lab.rev")
    view = signed_review_release(database, reviewer, unit, "Probe fault: the product probe stayed at 4 °C.")
    row = get(database, Unit, unit)
    assert (view.status, row.status, row.released_by) == ("available", "available", "lab.rev")
    assert hold_rows(database, unit) == [
        ("temperature_excursion", "released", "lab.rev", "Probe fault: the product probe stayed at 4 °C.")]
    last = unit_events(database, unit)[-1]
    assert (last.event, last.from_status, last.to_status) == ("released", "quarantined", "available")
    with database.sessions() as session:
        [signature] = session.scalars(select(Signature).where(Signature.entity_id == str(unit))).all()
    assert signature.action == "review_release" and "reviewed why unit" in signature.meaning
    actions = audit_actions(database)
    assert actions[-4:] == ["decide_hold", "released", "release_after_review", "sign"]
    assert unit not in {i.unit_id for i in quarantine_list(lab(database), site)}


def test_a_wrong_password_reviews_nothing(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    warm_fridge(database, site)
    reviewer = make_user(database, "lab_technician", "lab.rev")
    before = counts(database)
    with pytest.raises(SignatureRefused):
        signed_review_release(database, reviewer, unit, "Looks fine", password="not my password")
    after = counts(database)
    assert after["audit"] == before["audit"] + 1  # the refused signature, and nothing else
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}
    assert hold_rows(database, unit) == [("temperature_excursion", None, None, None)]
    assert audit_actions(database)[-1] == "signature_refused"


def test_release_after_review_still_makes_every_other_release_check(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, label_verified=False)
    pass_all_tests(database, donation, skip=("hiv",))
    with database.sessions() as session, session.begin():
        session.execute(update(Unit).where(Unit.id == unit).values(storage_location="fridge 1"))
    warm_fridge(database, site)
    before = counts(database)
    with pytest.raises(InvalidTransition, match="cannot be released") as refused:
        holds.release_after_review(lab(database), unit_id=unit, reason="Within range after all")
    assert "HIV test has no final result" in refused.value.message
    assert "label has not been verified" in refused.value.message
    assert "Held for review" not in refused.value.message
    assert counts(database) == before
    assert hold_rows(database, unit) == [("temperature_excursion", None, None, None)]


def test_a_unit_not_held_is_not_released_through_review_and_a_review_needs_a_reason(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    before = counts(database)
    with pytest.raises(InvalidTransition, match="is not held for review: release it at the bench"):
        holds.release_after_review(lab(database), unit_id=unit, reason="fine")
    warm_fridge(database, site)
    before = counts(database)
    with pytest.raises(InvalidInput, match="Give the reason"):
        holds.release_after_review(lab(database), unit_id=unit, reason="   ")
    with pytest.raises(InvalidInput, match="Give the reason"):
        holds.discard_after_review(lab(database), unit_id=unit, reason="")
    assert counts(database) == before


def test_discard_after_review_ends_the_holds_and_discards_for_temperature(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    warm_fridge(database, site)
    view = holds.discard_after_review(lab(database, "lab.rev"), unit_id=unit, reason="11 °C for an hour: unfit")
    assert (view.status, view.discard_reason, view.discard_note) == ("discarded", "temperature",
                                                                     "11 °C for an hour: unfit")
    assert hold_rows(database, unit) == [("temperature_excursion", "discarded", "lab.rev", "11 °C for an hour: unfit")]
    assert audit_actions(database)[-3:] == ["decide_hold", "discard", "discard_after_review"]
    with pytest.raises(InvalidTransition, match="not in quarantine"):
        holds.discard_after_review(lab(database), unit_id=unit, reason="again")


def test_the_excursions_own_discard_and_any_other_discard_end_the_holds_too(database):
    site = make_site(database)
    first, second = ready_unit(database, site), ready_unit(database, site)
    excursion = warm_fridge(database, site)
    discard_after_excursion(lab(database), excursion_id=excursion.id, unit_id=first, note="too warm")
    assert hold_rows(database, first) == [
        ("temperature_excursion", "discarded", "lab.lee", "unit discarded: storage temperature excursion: too warm")]
    self_exclude(database, get(database, Unit, second).donation_id)
    with pytest.raises(InvalidTransition, match="not suitable"):
        release_unit(lab(database), unit_id=second)
    assert status_of(database, second) == "discarded"
    assert hold_rows(database, second)[0][:2] == ("temperature_excursion", "discarded")


def test_a_self_excluded_donors_unit_under_review_is_discarded_and_its_holds_not_marked_released(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    warm_fridge(database, site)
    self_exclude(database, get(database, Unit, unit).donation_id)
    with pytest.raises(InvalidTransition, match="not suitable"):
        holds.release_after_review(lab(database), unit_id=unit, reason="fine")
    assert status_of(database, unit) == "discarded"
    [(kind, decision, _, reason)] = hold_rows(database, unit)
    assert (kind, decision, reason) == ("temperature_excursion", "discarded",
                                        "unit discarded: not suitable for transfusion")
    assert "release_after_review" not in audit_actions(database)


def test_several_open_holds_each_block_and_one_review_decides_them_all(database):
    origin, destination = make_site(database), make_site(database)
    unit = ready_unit(database, origin)
    release_unit(lab(database), unit_id=unit)
    sent = dispatch(inv.clerk(database), from_site_id=origin, to_site_id=destination, unit_ids=[unit])
    receive(inv.clerk(database), transfer_id=sent.id, received_unit_ids=[unit], cold_chain_ok=False,
            storage_location="fridge 1")
    warm_fridge(database, destination)
    with pytest.raises(InvalidTransition) as refused:
        release_unit(lab(database), unit_id=unit)
    assert refused.value.message.count("Held for review") == 2
    [held] = holds.held_units(lab(database), site_id=destination)
    assert [h.kind for h in held.open_holds] == ["cold_chain_broken", "temperature_excursion"]
    holds.release_after_review(lab(database), unit_id=unit, reason="Both reviewed: within limits")
    assert [d for _, d, _, _ in hold_rows(database, unit)] == ["released", "released"]
    assert holds.held_units(lab(database), site_id=destination) == []
    assert [h.decision for h in holds.unit_holds(lab(database), unit_id=unit).holds] == ["released", "released"]


def test_a_reserved_unit_goes_to_quarantine_without_an_available_event(database):
    site = make_site(database)
    unit = ready_unit(database, site, status="reserved")
    reservation = inv.make_reservation(database, unit, site_id=site)
    warm_fridge(database, site)
    assert [(e.event, e.from_status, e.to_status) for e in unit_events(database, unit)] == [
        ("excursion_hold", "reserved", "quarantined")]
    assert inv.reservation(database, reservation).release_reason == "temperature excursion"
    with database.sessions() as session:
        assert session.scalar(select(Reservation.released_at).where(Reservation.id == reservation)) is not None
    assert hold_rows(database, unit) == [("temperature_excursion", None, None, None)]


def test_a_returned_unit_goes_to_quarantine_without_an_available_event(database):
    site = make_site(database)
    unit = ready_unit(database, site, status="returned")
    warm_fridge(database, site)
    assert [(e.from_status, e.to_status) for e in unit_events(database, unit)] == [("returned", "quarantined")]


def test_no_path_but_release_moves_a_quarantined_unit_to_stock(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    before = counts(database)
    uow = lab(database)
    with uow, pytest.raises(InvalidTransition, match="only the release check puts it in stock"):
        move(uow, load_unit(uow.session, unit, lock=True), "available", event="released", reason="by hand")
    assert counts(database) == before and status_of(database, unit) == "quarantined"
    # The very same unit passes through the release path.
    assert release_unit(lab(database), unit_id=unit).status == "available"


def test_units_made_from_a_held_unit_are_held_for_the_same_reason(database):
    site = make_site(database)
    unit = ready_unit(database, site)
    warm_fridge(database, site)
    children = split_unit(lab(database), unit_id=unit, parts=2)
    for child in children:
        [(kind, decision, _, _)] = hold_rows(database, child.id)
        assert (kind, decision) == ("temperature_excursion", None)
        with pytest.raises(InvalidTransition, match=f"held on unit {unit}, which it was made from"):
            release_unit(lab(database), unit_id=child.id)
