from datetime import timedelta

import pytest

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput, InvalidTransition, NotFound
from bloodbank.service_layer.blood.discards import discard, discard_expired, discard_view, discards_report
from tests.integration.inventory_fixtures import (
    audit_actions, clerk, counts, events, make_reservation, make_site, make_unit, reservation, unit,
)


def test_a_unit_is_discarded_with_a_reason_and_an_optional_note(database):
    site = make_site(database)
    a = make_unit(database, site_id=site)
    view = discard(clerk(database), unit_id=a, reason_code="broken", note="  leaking at the port ")
    assert (view.status, view.discard_reason, view.discard_note) == ("discarded", "broken", "leaking at the port")
    row = unit(database, a)
    assert (row.status, row.discard_reason, row.site_id) == ("discarded", "broken", site)
    assert events(database, a) == [("discard", "available", "discarded")]
    assert audit_actions(database) == ["discard"]


def test_an_other_reason_needs_a_note_and_an_unknown_reason_is_refused(database):
    a = make_unit(database, site_id=make_site(database))
    before = counts(database)
    with pytest.raises(InvalidInput, match="needs a note"):
        discard(clerk(database), unit_id=a, reason_code="other", note=" ")
    with pytest.raises(InvalidTransition, match="Unknown discard reason 'lost'"):
        discard(clerk(database), unit_id=a, reason_code="lost")
    with pytest.raises(NotFound, match="No unit with id 999"):
        discard(clerk(database), unit_id=999, reason_code="broken")
    assert counts(database) == before


def test_a_transfused_unit_cannot_be_discarded(database):
    a = make_unit(database, site_id=make_site(database), status="transfused")
    before = counts(database)
    with pytest.raises(InvalidTransition, match="transfused cannot become discarded"):
        discard(clerk(database), unit_id=a, reason_code="other", note="tidy up")
    assert counts(database) == before


def test_discarding_a_reserved_unit_releases_its_reservation(database):
    site = make_site(database)
    a = make_unit(database, site_id=site, status="reserved")
    reservation_id = make_reservation(database, a, site_id=site)
    discard(clerk(database), unit_id=a, reason_code="broken")
    released = reservation(database, reservation_id)
    assert released.released_by == "clerk.ann" and released.release_reason == "unit discarded: bag broken or leaking"
    assert audit_actions(database) == ["release_reservation", "discard"]


def test_the_sweep_discards_every_expired_unit_in_stock_and_nothing_else(database):
    site = make_site(database)
    expired = {status: make_unit(database, site_id=site, status=status, expires_in=timedelta(minutes=-5))
               for status in ("available", "quarantined", "returned", "reserved")}
    reservation_id = make_reservation(database, expired["reserved"], site_id=site)
    fresh = make_unit(database, site_id=site, expires_in=timedelta(hours=1))
    issued = make_unit(database, site_id=site, status="issued", expires_in=timedelta(days=-1))
    recalled = make_unit(database, site_id=site, status="recalled", expires_in=timedelta(days=-1))
    swept = discard_expired(clerk(database))
    assert sorted(swept) == sorted(expired.values())
    for unit_id in expired.values():
        assert (unit(database, unit_id).status, unit(database, unit_id).discard_reason) == ("discarded", "expired")
    assert reservation(database, reservation_id).release_reason == "unit discarded: expired"
    for unit_id, status in ((fresh, "available"), (issued, "issued"), (recalled, "recalled")):
        assert unit(database, unit_id).status == status
    assert audit_actions(database)[-1] == "expiry_sweep"
    assert discard_expired(clerk(database)) == []


def test_the_waste_report_counts_discards_by_reason_and_kind(database):
    north, south = make_site(database), make_site(database)
    for _ in range(2):
        discard(clerk(database), unit_id=make_unit(database, site_id=north), reason_code="broken")
    discard(clerk(database), unit_id=make_unit(database, site_id=north, kind="plasma"), reason_code="broken")
    discard(clerk(database), unit_id=make_unit(database, site_id=south), reason_code="temperature")
    make_unit(database, site_id=north, expires_in=timedelta(minutes=-1))
    discard_expired(clerk(database))
    today = utcnow().date()
    assert discards_report(clerk(database), since=today) == {
        "expired": {"red_cells": 1}, "broken": {"plasma": 1, "red_cells": 2}, "temperature": {"red_cells": 1}}
    assert discards_report(clerk(database), since=today, site_id=south) == {"temperature": {"red_cells": 1}}
    assert discards_report(clerk(database), since=today + timedelta(days=1)) == {}


def test_the_waste_report_needs_a_day_and_a_known_site(database):
    with pytest.raises(InvalidInput, match="as a date"):
        discards_report(clerk(database), since="2026-01-01")
    with pytest.raises(NotFound, match="No site with id 999"):
        discards_report(clerk(database), since=utcnow().date(), site_id=999)


def test_nobody_discards_a_unit_as_self_excluded_by_hand(database):
    a = make_unit(database, site_id=make_site(database))
    before = counts(database)
    with pytest.raises(InvalidInput, match="set by the system only"):
        discard(clerk(database), unit_id=a, reason_code="self_excluded")
    assert counts(database) == before


def test_a_self_excluded_discard_reads_like_any_unit_found_not_suitable(database):
    site = make_site(database)
    found_unfit = discard(clerk(database), unit_id=make_unit(database, site_id=site), reason_code="not_suitable",
                          note="lipaemic")
    excluded = make_unit(database, site_id=site, status="discarded")
    with database.sessions() as session, session.begin():
        row = session.get(Unit, excluded)
        row.discard_reason, row.status_changed_at = "self_excluded", utcnow()
        assert discard_view(row).discard_reason == found_unfit.discard_reason == "not_suitable"
    assert discards_report(clerk(database), since=utcnow().date()) == {"not_suitable": {"red_cells": 2}}
