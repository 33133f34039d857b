"""The demo region's blood side: stock, hospitals, patients, orders, transfusions.

Everything goes through the project's own use cases. From the bag onwards:
processing, test results (with their consequences), irradiation, cryo,
pooling, label printing and scan-back, release, discards, transfers,
patient registration and lab records, orders, allocation, issue and the
bedside. A unit is in stock only because `release.release_unit` let it out.

The collections of the last days are past donations, brought in through the
donor history import as the region's histories are (see `region`): the
collection use case stamps its own clock. Today's collections go through
check-in, screening, consent and collection. Donations in the histories that
are recent enough to still give red cells are processed too, so the shelf
holds units of every age.

The demo does not read back what it made: it knows its donors, their
donations and deferrals and whom it booked, so it chooses donors and plans
the lab from memory. What only the database knows (the shelf once units are
released, moved or discarded; the counts for numbering and the summary)
comes from read use cases.

Time is real: units are made from donations dated relative to now, with the
expiry the processing use case computes, and none is out of date at load
time. The same seed on the same day gives the same blood.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from bloodbank.config import get_settings
from bloodbank.domain import isbt128, scheduling
from bloodbank.domain.errors import DomainError
from bloodbank.domain.questionnaire import questions
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.entrypoints.demo.accounts import DEMO_PASSWORD
from bloodbank.service_layer.blood import (
    aliquots, discards, irradiation, labels, pooling, processing, release, testing, transfers,
)
from bloodbank.service_layer.blood.units import UnitView, din_of
from bloodbank.service_layer.donors import collection, consent, history_import, screening, visits
from bloodbank.service_layer.donors.history_import import Measurements, PastDonation
from bloodbank.service_layer.donors.sites import SiteView
from bloodbank.service_layer.hospital import (
    allocation, emergency as emergencies, hospitals, issue, orders, patient_lab, patients, transfusion,
)
from bloodbank.service_layer.reporting import overview
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import users as staff_users
from bloodbank.simulation.population import FAMILY, GIVEN_F, GIVEN_M, US_GROUP_MIX

MakeUow = Callable[[], UnitOfWork]
Tick = Callable[[str, int], None]

# Fictitious hospitals near the demo sites; each is supplied from one fixed site's stock.
DEMO_HOSPITALS = [
    dict(code="DRI", name="Derwent Royal Infirmary", site="DERBY", address="Infirmary Road, Derby",
         latitude=52.9105, longitude=-1.5120),
    dict(code="TUH", name="Trent University Hospital", site="NOTTM", address="Trentside Road, Nottingham",
         latitude=52.9440, longitude=-1.1860),
    dict(code="SVGH", name="Sherwood Vale General Hospital", site="NOTTM", address="Vale Road, Mansfield",
         latitude=53.1400, longitude=-1.2000),
    dict(code="PVH", name="Peak Valley Hospital", site="CHEST", address="Valley Road, Chesterfield",
         latitude=53.2250, longitude=-1.4450),
]
# Blood collected by a mobile team goes back to the centre it works from.
MOBILE_BASE = {"ASHBN": "DERBY", "CAMPUS": "NOTTM"}
STOCK_SITES = ("DERBY", "NOTTM", "CHEST")

RECENT_DAYS = 13             # collections imported as past: yesterday back to this many days ago
OLDEST_DONATION_DAYS = 33    # red cells keep 35 days (day 0 = collection): older history is not made into stock
POOL_DAYS = 4                # buffy coats this recent are pooled into platelets (day 0 + 5 days of shelf life)
IRRADIATE_WITHIN_DAYS = 13   # red cells are irradiated up to day 14 after collection (UK)
# Whole blood donations per chair per open day, for a region of 5,000 donors.
COLLECTIONS_PER_CHAIR = 0.5
REFERENCE_DONORS = 5000
# Irradiated red cells kept at each stock site, by group (for patients who need them).
IRRADIATED_STOCK = {"O+": 2, "O-": 1, "A+": 2}
CMV_NEGATIVE_SHARE = 0.5
CRYO_SHARE = 0.08
HELD_LABEL_SHARE = 0.03      # labels printed but not yet scanned back: held in quarantine
GAP_DAYS = {"F": 16 * 7, "M": 12 * 7}
PER_YEAR = {"F": 3, "M": 4}  # UK: at most 3 (women) or 4 (men) whole blood donations in 12 months
# The demo's second checker at the bedside: a real account, proved by its password as on the ward.
BEDSIDE_CHECKER = "director"
VITALS = {"temperature_c": 36.8, "pulse": 78, "systolic": 124, "diastolic": 76, "respiratory_rate": 16}
HEALTHY = dict(weight_kg=74.0, systolic=126, diastolic=79, pulse=68, temperature_c=36.6)
HAEMOGLOBIN = {"F": 13.6, "M": 14.7}
SHELF_PAGE = 200


@dataclass(frozen=True)
class DemoDonor:
    """A donor this load created, as the region remembers them."""

    donor_id: int
    sex: str
    site: SiteView                 # their preferred site, where they give
    blood_group: str | None        # known once the lab has typed a first donation
    donations: tuple[tuple[int, datetime], ...] = ()  # (donation id, needle in), oldest first
    deferred_until: date | None = None

    def may_give(self, day: date) -> bool:
        deferred = self.deferred_until is not None and self.deferred_until > day
        return not deferred and may_give(self.sex, [at.date() for _, at in self.donations], day)


@dataclass(frozen=True)
class BloodSummary:
    """What this load added; the unit and order counts are of the whole database after it."""

    hospitals: int = 0             # created by this load (an existing region keeps its own)
    patients: int = 0
    donations_collected: int = 0   # new donations: the last days' (imported) and today's (collected)
    donations_processed: int = 0   # made into components, recent history included
    units: int = 0                 # every unit row, plasma made into cryo included
    available: int = 0
    quarantined: int = 0
    reserved: int = 0
    issued: int = 0
    transfused: int = 0
    discarded: int = 0
    transfers_in_transit: int = 0
    orders_open: int = 0
    orders_allocated: int = 0
    orders_issued: int = 0


@dataclass
class _Plan:
    """What the lab does with one donation (decided up front, from the seed)."""

    donation_id: int
    donor_group: str
    site_code: str
    age_days: int
    tests: str = "full"            # full | partial | none
    reactive: bool = False
    cmv_negative: bool = False
    cryo: bool = False
    held_label: bool = False
    irradiate: bool = False
    unit_ids: list[int] = field(default_factory=list)


def load_blood(make_uow: MakeUow, *, site_views: list[SiteView], donors: list[DemoDonor], booked: set[int],
               seed: int, tick: Tick | None = None) -> BloodSummary:
    """Add the blood side for the donors of this load; those in `booked` are expected at a session soon."""
    tick = tick or (lambda _step, _n: None)
    rng = random.Random(f"demo-blood-{seed}")
    now = datetime.now(timezone.utc)
    today = now.date()
    by_code = {s.code: s for s in site_views}
    hospital_views, hospitals_made = _ensure_hospitals(make_uow, by_code)

    pools = _donor_pools(donors, booked, today, rng)
    scale = len(donors) / REFERENCE_DONORS
    recent = _import_recent(make_uow, site_views, pools, today, scale, rng)
    collected_today = _collect_today(make_uow, site_views, pools, today, scale, rng)
    plans = _plan_lab(_history_bags(donors) + recent + collected_today, now, rng)
    tick("blood_total", len(plans) + 3)

    irradiate_left = {code: dict(IRRADIATED_STOCK) for code in STOCK_SITES}
    for plan in plans:
        _choose_irradiation(plan, irradiate_left)
        _lab_work(make_uow, plan)
        tick("blood", 1)
    _make_pools(make_uow, plans, by_code)
    tick("blood", 1)
    _discard_some(make_uow, by_code)
    _move_stock(make_uow, by_code)
    tick("blood", 1)
    made_patients = _patients_and_orders(make_uow, hospital_views, today, rng)
    tick("blood", 1)
    return _summary(make_uow, hospitals_made, made_patients, len(recent) + len(collected_today), len(plans))


# ---------------------------------------------------------------- hospitals


def _ensure_hospitals(make_uow: MakeUow, by_code: dict[str, SiteView]) -> tuple[dict, int]:
    have = {h.code: h for h in hospitals.list_hospitals(make_uow())}
    made = 0
    for spec in DEMO_HOSPITALS:
        if spec["code"] not in have:
            fields = {k: v for k, v in spec.items() if k != "site"}
            have[spec["code"]] = hospitals.create_hospital(make_uow(), site_id=by_code[spec["site"]].id, **fields)
            made += 1
    return have, made


# ---------------------------------------------------------------- donors and collections


def may_give(sex: str, dates: list[date], day: date) -> bool:
    """The demo's own spacing and yearly limit, within the UK rules the sites apply."""
    before = [d for d in dates if d < day]
    if before and (day - max(before)).days < GAP_DAYS.get(sex, GAP_DAYS["F"]):
        return False
    in_year = [d for d in dates if day - timedelta(days=365) < d <= day]
    return len(in_year) < PER_YEAR.get(sex, PER_YEAR["F"])


@dataclass
class _Candidate:
    donor_id: int
    sex: str
    blood_group: str
    dates: list[date]

    def may_give(self, day: date) -> bool:
        return may_give(self.sex, self.dates, day)


def _donor_pools(donors: list[DemoDonor], booked: set[int], today: date,
                 rng: random.Random) -> dict[int, list[_Candidate]]:
    """Returning donors of this load who could have given lately, shuffled, by their preferred site.

    Left out: anyone booked to come in, and anyone whose deferral ran into the last weeks.
    """
    deferral_horizon = today - timedelta(days=RECENT_DAYS + 1)
    pools: dict[int, list[_Candidate]] = defaultdict(list)
    for donor in sorted(donors, key=lambda d: d.donor_id):
        if donor.blood_group is None or donor.donor_id in booked:
            continue
        if donor.deferred_until is not None and donor.deferred_until >= deferral_horizon:
            continue
        dates = sorted(at.date() for _, at in donor.donations)
        pools[donor.site.id].append(_Candidate(donor.donor_id, donor.sex, donor.blood_group, dates))
    for site_id in sorted(pools):
        rng.shuffle(pools[site_id])
    return pools


def _take(pool: list[_Candidate], day: date) -> _Candidate | None:
    for i, candidate in enumerate(pool):
        if candidate.may_give(day):
            return pool.pop(i)
    return None


def _per_open_day(site: SiteView, scale: float) -> int:
    return max(1, round(site.chairs * COLLECTIONS_PER_CHAIR * scale))


def _open_on(site: SiteView, day: date) -> list[tuple[time, time]]:
    """The site's sessions on that day, as (start, end) wall-clock times."""
    hours = site.opening_hours.get(day.strftime("%a").lower())
    if not hours:
        return []
    sessions = hours if isinstance(hours[0], (list, tuple)) else [hours]
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in sessions]


@dataclass(frozen=True)
class _Bag:
    """A donation of this load, as the lab will see it."""

    started_at: datetime
    donation_id: int
    blood_group: str | None
    site_code: str


def _history_bags(donors: list[DemoDonor]) -> list[_Bag]:
    return [_Bag(at, donation_id, donor.blood_group, donor.site.code)
            for donor in donors for donation_id, at in donor.donations]


def _import_recent(make_uow: MakeUow, site_views: list[SiteView], pools: dict[int, list[_Candidate]], today: date,
                   scale: float, rng: random.Random) -> list[_Bag]:
    """Collections of the last days, at each site on the days it was open, imported as past donations."""
    planned = []
    for days_ago in range(RECENT_DAYS, 0, -1):
        day = today - timedelta(days=days_ago)
        for site in site_views:
            sessions = _open_on(site, day)
            if not sessions:
                continue
            for _ in range(_per_open_day(site, scale)):
                donor = _take(pools.get(site.id, []), day)
                if donor is None:
                    break
                start, end = rng.choice(sessions)
                minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) - 30
                at = datetime.combine(day, start, tzinfo=timezone.utc) + timedelta(
                    minutes=rng.randrange(max(minutes, 1)))
                planned.append((donor, site, at))
    if not planned:
        return []
    ids = history_import.import_past_donations(make_uow(), [
        (donor.donor_id, PastDonation(
            site_id=site.id, needle_in=at, volume_ml=450 + rng.randint(-12, 12), bag_type="quadruple",
            bag_lot="DEMO-LOT-2", minutes=rng.randint(7, 12),
            measurements=Measurements(hemoglobin_g_dl=HAEMOGLOBIN.get(donor.sex, 14.0), **HEALTHY)))
        for donor, site, at in planned
    ], source="demo data: the region's collections of the last days")
    for donor, _site, at in planned:
        donor.dates.append(at.date())
    return [_Bag(at, donation_id, donor.blood_group, site.code)
            for donation_id, (donor, site, at) in zip(ids, planned)]


def _answers() -> dict:
    # "No" to every risk question, "yes" to "are you well today?": nothing declared.
    return {q.id: ("no" if q.defers_on else "yes") for q in questions()}


def _collect_today(make_uow: MakeUow, site_views: list[SiteView], pools: dict[int, list[_Candidate]], today: date,
                   scale: float, rng: random.Random) -> list[_Bag]:
    """Today's donors so far, through check-in, screening, consent and collection."""
    version = get_settings().consent_text_version
    done = []
    for site in site_views:
        if not _open_on(site, today):
            continue
        for _ in range(max(1, _per_open_day(site, scale) // 2)):
            donor = _take(pools.get(site.id, []), today)
            if donor is None:
                break
            try:
                visit = visits.check_in(make_uow(), donor_id=donor.donor_id, site_id=site.id)
                decision = screening.record_screening(
                    make_uow(), visit_id=visit.id, answers=_answers(),
                    hemoglobin_g_dl=HAEMOGLOBIN.get(donor.sex, 14.0), **HEALTHY)
                if not decision.eligible:
                    continue  # the screening said no: the visit stays as the record of it
                consent.give_consent(make_uow(), visit_id=visit.id, text_version=version, confirmed_by_donor=True)
                bag = collection.start_collection(make_uow(), visit_id=visit.id, bag_type="quadruple",
                                                  bag_lot="DEMO-LOT-2")
                full = collection.finish_collection(make_uow(), donation_id=bag.donation_id,
                                                    volume_ml=450 + rng.randint(-12, 12))
            except DomainError:
                continue
            donor.dates.append(today)
            done.append(_Bag(full.started_at, full.donation_id, donor.blood_group, site.code))
    return done


# ---------------------------------------------------------------- the laboratory


def _plan_lab(bags: list[_Bag], now: datetime, rng: random.Random) -> list[_Plan]:
    """Every donation of this load young enough to give red cells, oldest first."""
    oldest = datetime.combine(now.date() - timedelta(days=OLDEST_DONATION_DAYS), time(0, 0), tzinfo=timezone.utc)
    rows = sorted((b for b in bags if b.started_at >= oldest and b.blood_group is not None),
                  key=lambda b: (b.started_at, b.donation_id))
    plans = []
    for bag in rows:
        age = (now.date() - bag.started_at.date()).days
        plan = _Plan(bag.donation_id, bag.blood_group, bag.site_code, age)
        if age == 0:
            plan.tests = "none"
        elif age == 1 and rng.random() < 0.5:
            plan.tests = "partial"
        plan.cmv_negative = rng.random() < CMV_NEGATIVE_SHARE
        plan.cryo = rng.random() < CRYO_SHARE
        plan.held_label = rng.random() < HELD_LABEL_SHARE
        plans.append(plan)
    tested = [p for p in plans if p.tests == "full" and p.age_days >= 2]
    if len(tested) >= 10:
        rng.choice(tested).reactive = True
    if tested and not any(p.held_label for p in tested):
        rng.choice(tested).held_label = True
    if tested and not any(p.cryo for p in tested):
        rng.choice(tested).cryo = True
    # Just after midnight nothing has been collected today yet: the youngest bag that would go to stock still
    # waits for some results, so the lab's board has blood waiting at any hour (when another one goes to stock).
    spare = [p for p in plans if p.tests == "full" and not p.held_label and not p.reactive]
    if all(p.tests == "full" for p in plans) and len(spare) >= 2:
        spare[-1].tests = "partial"
    return plans


def _choose_irradiation(plan: _Plan, left: dict[str, dict[str, int]]) -> None:
    quota = left.get(plan.site_code, {})
    if (plan.tests == "full" and not plan.reactive and not plan.held_label
            and plan.age_days <= IRRADIATE_WITHIN_DAYS and quota.get(plan.donor_group, 0) > 0):
        plan.irradiate = True
        quota[plan.donor_group] -= 1


def _lab_work(make_uow: MakeUow, plan: _Plan) -> None:
    """Process, test, then label and release what passes; the order a blood centre works in."""
    units = processing.process_donation(make_uow(), donation_id=plan.donation_id, method="buffy_coat")
    plan.unit_ids = [u.id for u in units]
    if plan.tests == "none":
        return
    _record_results(make_uow, plan)
    if plan.tests != "full" or plan.reactive:
        return  # awaiting results; or taken out of use by the result itself
    for unit in units:
        if unit.kind == "plasma" and plan.cryo:
            unit = aliquots.make_cryo(make_uow(), plasma_unit_id=unit.id)
            plan.unit_ids.append(unit.id)
        elif unit.kind == "red_cells" and plan.irradiate:
            unit = irradiation.irradiate(make_uow(), unit_id=unit.id)
        _label(make_uow, unit, verify=not plan.held_label)
        if not plan.held_label:
            release.release_unit(make_uow(), unit_id=unit.id)


def _record_results(make_uow: MakeUow, plan: _Plan) -> None:
    results = [("abo_rh", "typed", plan.donor_group), ("hiv", "negative", None), ("hbv", "negative", None)]
    if plan.tests == "full":
        results += [("hcv", "negative", None), ("syphilis", "negative", None),
                    ("cmv", "negative" if plan.cmv_negative else "positive", None)]
    if plan.reactive:
        results[2] = ("hbv", "reactive", None)
    for test, outcome, value in results:
        # As the analysers' files would bring them: counted at once, with no second entry to wait for.
        testing.record_result(make_uow(), donation_id=plan.donation_id, test=test, outcome=outcome, value=value,
                              source=ANALYSER)


def _label(make_uow: MakeUow, unit: UnitView, *, verify: bool = True) -> None:
    labels.print_label(make_uow(), unit_id=unit.id)
    if verify:
        # Scanned as the label just printed reads: the typing grouped the unit after it was made.
        now = processing.get_unit(make_uow(), unit.id)
        expiry = now.expires_at.astimezone(scheduling.zone(None)).replace(tzinfo=None)  # the printing's clock
        labels.verify_label(make_uow(), unit_id=unit.id, scanned_din=din_of(now.din).barcode,
                            scanned_group=isbt128.encode_blood_group(now.blood_group),
                            scanned_product=isbt128.encode_product_code(now.product_code, "V", now.division),
                            scanned_expiry=isbt128.encode_expiry(expiry))


def _make_pools(make_uow: MakeUow, plans: list[_Plan], by_code: dict[str, SiteView]) -> None:
    """Buffy coats of the last days pooled by group, four to a pool, at the stock sites in turn."""
    by_group: dict[str, list[_Plan]] = defaultdict(list)
    for plan in plans:
        if 1 <= plan.age_days <= POOL_DAYS and not plan.reactive and plan.unit_ids:
            by_group[plan.donor_group].append(plan)
    turn = 0
    for group in sorted(by_group):
        members = by_group[group]
        for start in range(0, len(members) - 3, 4):
            four = members[start:start + 4]
            site = by_code[STOCK_SITES[turn % len(STOCK_SITES)]]
            turn += 1
            pool = pooling.pool_platelets(make_uow(), donation_ids=[p.donation_id for p in four], site_id=site.id)
            if all(p.tests == "full" for p in four):
                _label(make_uow, pool)
                release.release_unit(make_uow(), unit_id=pool.id)


# ---------------------------------------------------------------- stock movements


def _available(make_uow: MakeUow, site_id: int, kind: str | None = None, group: str | None = None,
               irradiated: bool | None = None) -> list[UnitView]:
    """The shelf at a site as it is now, freshest first (latest expiry; then by id, for the same seed)."""
    shelf, offset, total = [], 0, 1
    while offset < total:
        page, total = processing.list_units(make_uow(), status="available", kind=kind, site_id=site_id,
                                            limit=SHELF_PAGE, offset=offset)
        if not page:
            break
        shelf += page
        offset += len(page)
    wanted = [u for u in shelf if (group is None or u.blood_group == group)
              and (irradiated is None or u.irradiated == irradiated)]
    return sorted(wanted, key=lambda u: (-u.expires_at.timestamp(), u.id))


def _discard_some(make_uow: MakeUow, by_code: dict[str, SiteView]) -> None:
    """What a stock check finds: a leaking bag in the fridge, a cracked one in the freezer."""
    for site, kind, note in (
        ("DERBY", "red_cells", "Bag leaking at the tubing seal, found at the morning stock check."),
        ("NOTTM", "plasma", "Bag cracked when taken out of the freezer."),
    ):
        found = _available(make_uow, by_code[site].id, kind)
        if found:
            discards.discard(make_uow(), unit_id=found[-1].id, reason_code="broken", note=note)


def _move_stock(make_uow: MakeUow, by_code: dict[str, SiteView]) -> None:
    """Mobile teams' released blood back to their centre; one box on the road to Chesterfield."""
    for mobile, base in MOBILE_BASE.items():
        if mobile not in by_code or base not in by_code:
            continue
        ids = sorted(u.id for u in _available(make_uow, by_code[mobile].id))
        if not ids:
            continue
        sent = transfers.dispatch(make_uow(), from_site_id=by_code[mobile].id, to_site_id=by_code[base].id,
                                  unit_ids=ids, note=f"{by_code[mobile].name}: released units back to base")
        transfers.receive(make_uow(), transfer_id=sent.id, received_unit_ids=ids, cold_chain_ok=True)
    box = []
    for group, count in (("O+", 2), ("A+", 1), ("O-", 1)):
        fresh = _available(make_uow, by_code["NOTTM"].id, "red_cells", group, irradiated=False)
        box += [u.id for u in fresh[:count]]
    if box:
        transfers.dispatch(make_uow(), from_site_id=by_code["NOTTM"].id, to_site_id=by_code["CHEST"].id,
                           unit_ids=sorted(box), note="Stock top-up for Chesterfield: group O and A red cells")


# ---------------------------------------------------------------- patients and orders


@dataclass(frozen=True)
class _Case:
    hospital: str
    sex: str
    age: int
    samples: int = 2
    antibody: str | None = None
    requirement: tuple[str, str] | None = None   # (code, reason)
    order: tuple[str, int, str, int] | None = None  # (kind, quantity, urgency, hours until needed)
    fate: str = "open"   # open | allocated | issued | running | transfused


CASES = (
    _Case("DRI", "M", 67, order=("red_cells", 1, "routine", 3), fate="transfused"),
    _Case("DRI", "F", 54, order=("red_cells", 2, "routine", 20), fate="allocated"),
    _Case("DRI", "M", 72, requirement=("irradiated", "Hodgkin lymphoma, treated 2019"),
          order=("red_cells", 2, "routine", 26), fate="allocated"),
    _Case("DRI", "F", 31, requirement=("cmv_negative", "Pregnant, 28 weeks"),
          order=("red_cells", 1, "urgent", 6), fate="allocated"),
    _Case("DRI", "M", 45),
    _Case("DRI", "F", 80, order=("red_cells", 2, "routine", 48)),
    _Case("DRI", "M", 38, samples=1, order=("red_cells", 1, "routine", 30)),
    _Case("DRI", "F", 59, order=("plasma", 4, "urgent", 4), fate="allocated"),
    _Case("TUH", "M", 63, order=("red_cells", 2, "urgent", 2), fate="running"),
    _Case("TUH", "F", 76, order=("red_cells", 1, "routine", 5), fate="issued"),
    _Case("TUH", "M", 50, antibody="anti-K", order=("red_cells", 2, "routine", 30), fate="allocated"),
    _Case("TUH", "F", 44, requirement=("irradiated", "Stem cell transplant, day +40"),
          order=("red_cells", 1, "urgent", 4), fate="allocated"),
    _Case("TUH", "M", 29, order=("platelets_pooled", 1, "urgent", 6), fate="allocated"),
    _Case("TUH", "F", 68, order=("red_cells", 3, "routine", 50)),
    _Case("TUH", "M", 83, order=("red_cells", 1, "routine", 4), fate="transfused"),
    _Case("TUH", "F", 35, antibody="anti-E"),
    _Case("TUH", "M", 57, order=("plasma", 2, "routine", 30)),
    _Case("SVGH", "F", 71, order=("red_cells", 2, "routine", 24), fate="allocated"),
    _Case("SVGH", "M", 62, order=("red_cells", 1, "routine", 70)),
    _Case("SVGH", "F", 48),
    _Case("SVGH", "M", 55, samples=1),
    _Case("SVGH", "F", 66, order=("red_cells", 2, "routine", 28), fate="allocated"),
    _Case("SVGH", "M", 74),
    _Case("PVH", "M", 69, order=("red_cells", 2, "routine", 22), fate="allocated"),
    _Case("PVH", "F", 52, order=("red_cells", 1, "routine", 40)),
    _Case("PVH", "M", 41),
    _Case("PVH", "F", 87, order=("red_cells", 2, "urgent", 3), fate="allocated"),
    _Case("PVH", "M", 60, samples=0),
    _Case("DRI", "F", 39),
)


def _nhs_numbers(start: int):
    """Valid NHS numbers in the 999 range, which is never issued to anyone."""
    n = start
    while True:
        body = f"999{n % 1_000_000:06d}"
        n += 1
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1))) % 11
        if check == 10:
            continue
        yield body + str(0 if check == 11 else check)


def _patients_and_orders(make_uow: MakeUow, hospital_views: dict, today: date, rng: random.Random) -> int:
    # New numbers start after every record and sample already there, merged-away ones included.
    counts = overview.tally(make_uow())
    first, samples = counts.patient_records, counts.patient_samples
    numbers = _nhs_numbers(1000 + first * 7)
    serial = iter(range(samples + 1, samples + 10_000))
    groups, weights = zip(*US_GROUP_MIX.items())
    made = 0
    for n, case in enumerate(CASES):
        hospital = hospital_views[case.hospital]
        given = rng.choice(GIVEN_F if case.sex == "F" else GIVEN_M)
        born = today - timedelta(days=case.age * 365 + rng.randint(0, 360))
        mrn = f"{hospital.code}:{700101 + first + n}"
        view = patients.register_patient(
            make_uow(), hospital_id=hospital.id, identifiers=[("mrn", mrn), ("nhs", next(numbers))],
            given_name=given, family_name=rng.choice(FAMILY), date_of_birth=born, sex=case.sex)
        made += 1
        group = rng.choices(groups, weights=weights)[0]
        sample_id = None
        for _ in range(case.samples):
            sample = patient_lab.record_sample(make_uow(), patient_id=view.id,
                                               sample_number=f"DS{today:%y}-{next(serial):06d}", taken_by="ward.demo")
            patient_lab.record_grouping(make_uow(), patient_id=view.id, sample_id=sample.id, blood_group=group)
            sample_id = sample.id
        if sample_id is not None:
            patient_lab.record_antibody_screen(make_uow(), patient_id=view.id, sample_id=sample_id,
                                               positive=case.antibody is not None)
        if case.antibody:
            patient_lab.record_antibody(make_uow(), patient_id=view.id, antibody=case.antibody,
                                        note="identified at the reference laboratory")
        if case.requirement:
            code, reason = case.requirement
            patient_lab.add_requirement(make_uow(), patient_id=view.id, requirement=code, reason=reason)
        if case.order:
            _order(make_uow, case, hospital.id, view.id, f"mrn:{mrn}")
    _stock_order(make_uow, hospital_views["PVH"].id)
    made += _emergency(make_uow, hospital_views["TUH"])
    return made


def _order(make_uow: MakeUow, case: _Case, hospital_id: int, patient_id: int, scan: str) -> None:
    kind, quantity, urgency, hours = case.order
    order = orders.place_order(make_uow(), hospital_id=hospital_id, kind=kind, quantity=quantity,
                               needed_by=datetime.now(timezone.utc) + timedelta(hours=hours), urgency=urgency,
                               patient_id=patient_id)
    if case.fate == "open":
        return
    held = allocation.allocate(make_uow(), order_id=order.id)
    if case.fate == "allocated" or not held.reserved:
        return
    first = held.reserved[0]
    done = issue.issue_unit(make_uow(), reservation_id=first.id, scanned_unit=din_of(first.din).barcode,
                            scanned_patient=scan)
    if case.fate == "issued":
        return
    running = transfusion.start_transfusion(make_uow(), issue_id=done.id, scanned_unit=din_of(first.din).barcode,
                                            scanned_patient=scan, vitals_before=VITALS,
                                            **_bedside_checker(make_uow))
    if case.fate == "running":
        transfusion.record_vitals(make_uow(), transfusion_id=running.transfusion_id,
                                  vitals={"temperature_c": 36.9, "pulse": 80, "systolic": 122, "diastolic": 75})
        return
    volume = processing.get_unit(make_uow(), first.unit_id).volume_ml
    transfusion.end_transfusion(make_uow(), transfusion_id=running.transfusion_id, volume_given_ml=volume,
                                outcome="completed", vitals_after=VITALS)


def _stock_order(make_uow: MakeUow, hospital_id: int) -> None:
    orders.place_order(make_uow(), hospital_id=hospital_id, kind="red_cells", quantity=2,
                       needed_by=datetime.now(timezone.utc) + timedelta(days=1), for_stock=True,
                       note="Emergency fridge: O-negative red cells")


def _emergency(make_uow: MakeUow, hospital) -> int:
    """An unidentified trauma patient given group O red cells before any testing."""
    view = patients.register_emergency_patient(make_uow(), hospital_id=hospital.id, sex="M", approximate_age=40)
    found = _available(make_uow, hospital.site_id, "red_cells", "O+", irradiated=False)
    if found:
        emergencies.emergency_issue(make_uow(), patient_id=view.id, unit_id=found[0].id,
                                    scanned_unit=din_of(found[0].din).barcode,
                              scanned_patient=f"emergency:{view.identifier('emergency')}",
                              reason="Major haemorrhage after a road traffic collision: resus bay 2")
    return 1


# ---------------------------------------------------------------- summary


def _summary(make_uow: MakeUow, hospitals_made: int, patients_made: int, collected: int,
             processed: int) -> BloodSummary:
    counts = overview.tally(make_uow())
    units, orders_by = counts.units_by_status, counts.orders_by_status
    return BloodSummary(
        hospitals=hospitals_made, patients=patients_made, donations_collected=collected,
        donations_processed=processed, units=sum(units.values()), available=units.get("available", 0),
        quarantined=units.get("quarantined", 0), reserved=units.get("reserved", 0), issued=units.get("issued", 0),
        transfused=units.get("transfused", 0), discarded=units.get("discarded", 0),
        transfers_in_transit=counts.transfers_in_transit or 0, orders_open=orders_by.get("open", 0),
        orders_allocated=orders_by.get("allocated", 0), orders_issued=orders_by.get("issued", 0),
    )


def _bedside_checker(make_uow: Callable[[], UnitOfWork]) -> dict:
    """The second check when the demo accounts exist (`bloodbank demo` makes them first); none otherwise."""
    present = any(u.username == BEDSIDE_CHECKER and u.active for u in staff_users.list_users(make_uow()))
    return {"checked_by": BEDSIDE_CHECKER, "checker_password": DEMO_PASSWORD} if present else {}
