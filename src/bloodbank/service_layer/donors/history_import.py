"""Bringing donors and their past from a previous system.

A blood service moving to bloodbank from paper or another system brings its
donors with what they gave and when they were turned away, so that interval,
yearly-limit and deferral checks see that past from the first day. The
ordinary use cases stamp the server's clock; these take past times as given
and refuse what cannot have happened (a donation not yet over, an unknown
site or deferral code), writing nothing then.

Past donations are numbered from this system's DIN counters, which continue
after them: no DIN is handed out twice. Donors come in bulk, as a migration
of thousands needs; each gets its own audit entry (with its past DINs), and
each import one more naming its source. Duplicates are not looked for: any
found later are combined with the donor merge.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bloodbank.adapters.db.bulk import insert_for_ids, insert_rows, new_ids
from bloodbank.adapters.db.models import Consent, Deferral, DinCounter, Donation, Donor, Site, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.db.models.donors import write_name_tokens
from bloodbank.config import get_settings
from bloodbank.domain import collection as rules
from bloodbank.domain import appeal_rules
from bloodbank.domain.appeal_selection import grid_cell
from bloodbank.domain.donor_numbers import new_donor_number
from bloodbank.domain.search_keys import phone_digits_last_first
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import Din, make_din
from bloodbank.service_layer.donors import donor_fields as clean
from bloodbank.service_layer.donors.deferrals import check_deferral_terms, current_donor
from bloodbank.service_layer.donors.din_allocation import MAX_SERIAL, next_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# A previous system keeps the donation, rarely the desk's times: the visit is placed just before the needle.
CHECK_IN_BEFORE, SCREENING_BEFORE, CONSENT_BEFORE = (timedelta(minutes=m) for m in (35, 25, 15))
MAX_MINUTES = 240  # longer than any apheresis run: a typing error


@dataclass(frozen=True)
class Measurements:
    """What was measured at screening that day, where the previous system kept it."""

    weight_kg: float | None = None
    hemoglobin_g_dl: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class PastDonation:
    site_id: int
    needle_in: datetime  # with its time zone (UTC)
    volume_ml: int
    bag_type: str
    bag_lot: str
    kind: str = "whole_blood"
    minutes: int = 10  # needle in to needle out
    measurements: Measurements = Measurements()


@dataclass(frozen=True)
class PastDeferral:
    code: str
    kind: str  # temporary | permanent
    starts_on: date
    ends_on: date | None
    reason: str = ""


@dataclass(frozen=True)
class ImportedDonor:
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    phone: str | None = None
    email: str | None = None
    address: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    blood_group: str | None = None  # only a group the laboratory confirmed: it is imported as confirmed
    preferred_site_id: int | None = None
    appeals_opt_in: bool = False
    donations: tuple[PastDonation, ...] = ()
    deferrals: tuple[PastDeferral, ...] = ()


@dataclass(frozen=True)
class ImportedIds:
    donor_id: int
    donor_number: str
    donation_ids: tuple[int, ...]  # in the order the donations were given
    deferral_ids: tuple[int, ...]


def import_donors(uow: UnitOfWork, donors: Sequence[ImportedDonor], *, source: str) -> list[ImportedIds]:
    """Add donors with their past donations and deferrals: all of them or, on any refusal, none."""
    source, now = _source(source), utcnow()
    fields = [_checked(_who(n, d), _clean_donor, d, now) for n, d in enumerate(donors, 1)]
    if not fields:
        return []
    with uow:
        s = uow.session
        sites = _sites(s, [d.preferred_site_id for d in donors] + [p.site_id for d in donors for p in d.donations])
        # The ids come first, so each row carries the donor number derived from its id.
        ids = new_ids(s, Donor, len(fields))
        numbers = [new_donor_number(i) for i in ids]
        # A bulk insert passes by the ORM's events: the search keys are written here, as the events would.
        cell = appeal_rules.default_parameters().grid_degrees
        insert_rows(s, Donor, [{**f, "id": i, "donor_number": number, "phone_key": phone_digits_last_first(f["phone"]),
                                "grid_cell": grid_cell(f["latitude"], f["longitude"], cell)}
                               for i, number, f in zip(ids, numbers, fields)])
        write_name_tokens(s.connection(), [(i, f["given_name"], f["family_name"]) for i, f in zip(ids, fields)])
        donated = _write_donations(uow, [(i, p) for i, d in zip(ids, donors) for p in d.donations], sites)
        deferred = _write_deferrals(uow, [(i, p) for i, d in zip(ids, donors) for p in d.deferrals], source)
        results = _results(ids, numbers, donors, [i for i, _ in donated], deferred)
        _audit_donors(uow, fields, results, donors, iter(row["din"] for _, row in donated), source)
        uow.audit("import", "donor_import", None, reason=f"donors imported from {source}", new=dict(
            source=source, donors=len(ids), first_donor_id=ids[0], last_donor_id=ids[-1],
            past_donations=len(donated), deferrals=len(deferred)))
        uow.commit()
    return results


def import_past_donations(uow: UnitOfWork, donations: Sequence[tuple[int, PastDonation]], *,
                          source: str) -> list[int]:
    """Past donations of donors already on file, as (donor id, donation); their ids, in the same order.

    For what was collected outside the system: on paper during an outage, or before it was in use.
    """
    source, now = _source(source), utcnow()
    for n, (_, past) in enumerate(donations, 1):
        _checked(f"Donation {n} of the import", _check_donation, past, now, None)
    if not donations:
        return []
    with uow:
        for donor_id in sorted({donor_id for donor_id, _ in donations}):
            current_donor(uow.session, donor_id)  # a merged record is refused, naming the one to use
        sites = _sites(uow.session, [past.site_id for _, past in donations])
        written = _write_donations(uow, list(donations), sites)
        for (donation_id, row), (_, past) in zip(written, donations):
            uow.audit("import", "donation", donation_id, new=row, reason=(
                f"past donation of {past.needle_in:%Y-%m-%d}, DIN {row['din']}, imported from {source}"))
        uow.commit()
    return [donation_id for donation_id, _ in written]


def _audit_donors(uow: UnitOfWork, fields: list[dict], results: list[ImportedIds], donors: Sequence[ImportedDonor],
                  dins: Iterator[str], source: str) -> None:
    uow.audit_many([dict(action="import", entity="donor", entity_id=result.donor_id, reason=f"imported from {source}",
                         new={**row, "donor_number": result.donor_number,
                              "past_donations": [next(dins) for _ in donor.donations],
                              # The reasons stay out: reading them is a sensitive read of its own.
                              "deferrals": [dict(code=d.code, kind=d.kind, starts_on=d.starts_on, ends_on=d.ends_on)
                                            for d in donor.deferrals]})
                    for row, result, donor in zip(fields, results, donors)])


# ---------------------------------------------------------------- checks, before anything is written


def _source(source: str) -> str:
    text = clean.clean_text(source, "source of the import", 200)
    if not text:
        raise InvalidInput("Say where the records come from (the previous system, the paper register…): "
                           "every imported record's audit entry names it.")
    return text


def _who(n: int, donor: ImportedDonor) -> str:
    return f"Donor {n} of the import ({donor.given_name} {donor.family_name}, born {donor.date_of_birth})"


def _checked(who: str, check, *args):
    try:
        return check(*args)
    except InvalidInput as error:
        raise InvalidInput(f"{who}: {error.message}") from None


def _clean_donor(donor: ImportedDonor, now: datetime) -> dict:
    born = clean.clean_date_of_birth(donor.date_of_birth, now.date())
    group = clean.clean_blood_group(donor.blood_group)
    for past in donor.donations:
        _check_donation(past, now, born)
    for deferral in donor.deferrals:
        starts_on = clean.clean_date(deferral.starts_on, "deferral's first day")
        ends_on = None if deferral.ends_on is None else clean.clean_date(deferral.ends_on, "deferral's end")
        check_deferral_terms(deferral.code, deferral.kind, starts_on, ends_on)
        _reason(deferral)
    return dict(
        given_name=clean.clean_name(donor.given_name, "given name"),
        family_name=clean.clean_name(donor.family_name, "family name"), date_of_birth=born,
        sex=clean.clean_sex(donor.sex), phone=clean.clean_phone(donor.phone), email=clean.clean_email(donor.email),
        address=clean.clean_text(donor.address, "address", 300, multiline=True),
        postcode=clean.clean_text(donor.postcode, "postcode", 20),
        blood_group=group, blood_group_confirmed=group is not None, preferred_site_id=donor.preferred_site_id,
        appeals_opt_in=clean.clean_flag(donor.appeals_opt_in, "appeals opt-in"),
        **clean.clean_coordinates(donor.latitude, donor.longitude),
    )


def _check_donation(past: PastDonation, now: datetime, born: date | None) -> None:
    at = past.needle_in
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput("Give the time the needle went in with its time zone (UTC), not a bare date or time.")
    if isinstance(past.minutes, bool) or not isinstance(past.minutes, int) or not 0 < past.minutes <= MAX_MINUTES:
        raise InvalidInput(f"A donation lasts 1 to {MAX_MINUTES} minutes, not {past.minutes!r}.")
    if at + timedelta(minutes=past.minutes) > now:
        raise InvalidInput(f"The donation of {at:%Y-%m-%d %H:%M} is not over yet: only past donations are "
                           "imported; a collection today goes through check-in and collection.")
    if born is not None and at.date() < born:
        raise InvalidInput(f"The donation of {at:%Y-%m-%d} is before the donor was born: check both dates.")
    bag = rules.bag_type(past.bag_type)
    rules.ensure_bag_fits(bag, past.kind)
    rules.validate_lot(past.bag_lot)
    rules.check_volume_is_plausible(past.volume_ml, "volume")
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0)
           for v in vars(past.measurements).values()):
        raise InvalidInput(f"The measurements of {at:%Y-%m-%d} must be positive numbers, or left out.")


def _reason(deferral: PastDeferral) -> str:
    return clean.clean_text(deferral.reason, "deferral reason", 2000, multiline=True)


def _sites(session: Session, site_ids: Iterable[int | None]) -> dict[int, Site]:
    wanted = {site_id for site_id in site_ids if site_id is not None}
    if any(isinstance(i, bool) or not isinstance(i, int) for i in wanted):
        raise InvalidInput("A site is given by its id in this system, a whole number.")
    found = {site.id: site for site in session.execute(select(Site).where(Site.id.in_(wanted))).scalars()}
    unknown = sorted(wanted - set(found), key=str)
    if unknown:
        raise InvalidInput(f"The import refers to sites this system does not have: {', '.join(map(str, unknown))}. "
                           "Add them first (a closed site can be added, then deactivated), or correct the records.")
    return found


# ---------------------------------------------------------------- writing, in bulk


def _write_donations(uow: UnitOfWork, items: list[tuple[int, PastDonation]],
                     sites: dict[int, Site]) -> list[tuple[int, dict]]:
    """Visit, consent and donation for each (donor id, past donation); (donation id, its row), in that order.

    Who took the donation then is not known here: the rows name whoever imported it.
    """
    if not items:
        return []
    s = uow.session
    visit_ids = insert_for_ids(s, Visit, [_visit_row(uow.actor, donor_id, past, sites[past.site_id])
                                          for donor_id, past in items])
    version = get_settings().consent_text_version
    insert_rows(s, Consent, [
        dict(visit_id=v, donor_id=donor_id, text_version=version, given_at=past.needle_in - CONSENT_BEFORE,
             recorded_by=uow.actor) for v, (donor_id, past) in zip(visit_ids, items)])
    book = _SerialBook(s, Counter((sites[p.site_id].facility_code, p.needle_in.year) for _, p in items))
    dins = [book.din(sites[p.site_id].facility_code, p.needle_in.year) for _, p in items]
    rows = [_donation_row(uow.actor, v, donor_id, past, din)
            for v, (donor_id, past), din in zip(visit_ids, items, dins)]
    return list(zip(insert_for_ids(s, Donation, rows), rows))


def _visit_row(actor: str, donor_id: int, past: PastDonation, site: Site) -> dict:
    return dict(
        donor_id=donor_id, site_id=site.id, status="collected", kind=past.kind, rule_set=site.rule_set,
        checked_in_at=past.needle_in - CHECK_IN_BEFORE, checked_in_by=actor, questionnaire={},
        eligible=True, decision_reasons=[], screened_at=past.needle_in - SCREENING_BEFORE, screened_by=actor,
        **vars(past.measurements),
    )


def _donation_row(actor: str, visit_id: int, donor_id: int, past: PastDonation, din: Din) -> dict:
    bag = rules.bag_type(past.bag_type)
    return dict(
        din=str(din), facility_code=din.facility, din_year=past.needle_in.year, serial=int(din.serial),
        visit_id=visit_id, donor_id=donor_id, site_id=past.site_id, kind=past.kind, bag_type=bag.code,
        bag_lot=past.bag_lot.strip(), phlebotomist=actor, planned_volume_ml=rules.planned_volume_for(past.kind, bag),
        volume_ml=past.volume_ml, started_at=past.needle_in, ended_at=past.needle_in + timedelta(minutes=past.minutes),
        status="complete",
    )


class _SerialBook:
    """DIN serials for imported donations: a block per (facility, year), taken from the live counter.

    `next_din` creates and locks the counter row and gives the block's first serial; the counter is then
    moved to the block's end, so the next collection continues after it.
    """

    def __init__(self, session: Session, needs: Counter[tuple[str, int]]):
        self._next: dict[tuple[str, int], int] = {}
        for (facility, year), count in sorted(needs.items()):
            first = int(next_din(session, facility, year).serial)
            last = first + count - 1
            if last > MAX_SERIAL:
                raise Conflict(f"Facility {facility} has {MAX_SERIAL - first + 1:,} donation numbers left for "
                               f"{year}, fewer than the {count:,} donations to import: nothing was imported.")
            session.execute(update(DinCounter).where(DinCounter.facility_code == facility, DinCounter.year == year)
                            .values(last_serial=last).execution_options(synchronize_session=False))
            self._next[(facility, year)] = first

    def din(self, facility: str, year: int) -> Din:
        serial = self._next[(facility, year)]
        self._next[(facility, year)] = serial + 1
        return make_din(facility, year % 100, serial)


def _write_deferrals(uow: UnitOfWork, items: list[tuple[int, PastDeferral]], source: str) -> list[int]:
    if not items:
        return []
    rows = [dict(donor_id=donor_id, code=d.code, kind=d.kind, starts_on=d.starts_on, ends_on=d.ends_on,
                 reason=_reason(d) or f"recorded in {source}", decided_by=uow.actor) for donor_id, d in items]
    return insert_for_ids(uow.session, Deferral, rows)


def _results(ids, numbers, donors, donation_ids: list[int], deferral_ids: list[int]) -> list[ImportedIds]:
    donations, deferrals = iter(donation_ids), iter(deferral_ids)
    return [ImportedIds(donor_id, number, tuple(next(donations) for _ in donor.donations),
                        tuple(next(deferrals) for _ in donor.deferrals))
            for donor_id, number, donor in zip(ids, numbers, donors)]
