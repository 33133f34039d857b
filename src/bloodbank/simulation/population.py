"""A synthetic donor population with a realistic ABO/RhD mix and plausible histories.

Pure and seeded: the same seed gives the same people, so demo data and
benchmarks are reproducible. Nobody in it is real.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bloodbank.domain.blood_groups import BloodGroup, parse_group

# Population mix, US figures (AABB / Stanford Blood Center), shared/reference/supply-and-demand.md.
# A scenario may pass its own: Middle Eastern populations have more B and fewer RhD-negative people.
US_GROUP_MIX: dict[str, float] = {
    "O+": 0.38, "O-": 0.07, "A+": 0.34, "A-": 0.06, "B+": 0.09, "B-": 0.02, "AB+": 0.03, "AB-": 0.01,
}

GIVEN_F = ["Amira", "Anna", "Beatriz", "Chloe", "Daniela", "Elena", "Fatima", "Grace", "Hana", "Ines",
           "Julia", "Karin", "Layla", "Maria", "Nadia", "Olga", "Priya", "Rosa", "Sara", "Tamar",
           "Ursula", "Vera", "Wanjiru", "Yasmin", "Zofia", "Leila", "Mei", "Noor", "Ruth", "Sofia"]
GIVEN_M = ["Adam", "Bilal", "Carlos", "David", "Emeka", "Farid", "Georg", "Hassan", "Ivan", "Jonas",
           "Karim", "Liam", "Mateo", "Nikolai", "Omar", "Pavel", "Rafael", "Samir", "Tomas", "Umar",
           "Viktor", "Wei", "Yusuf", "Zoran", "Andrei", "Kofi", "Luca", "Mohammed", "Oskar", "Tariq"]
FAMILY = ["Abdullah", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
          "Jensen", "Kowalski", "Lopez", "Mensah", "Nowak", "Okafor", "Petrov", "Quispe", "Rossi",
          "Schmidt", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Novak", "Horvat",
          "Kovac", "Mazur", "Nagy", "Popescu", "Shevchenko", "Hoffmann", "Moreau", "Ahmed", "Silva"]
STREETS = ["Station Road", "Church Street", "Mill Lane", "High Street", "Park Avenue", "River Walk",
           "Market Square", "Hospital Road", "Orchard Way", "School Lane"]


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    phone: str
    email: str
    address: str
    postcode: str
    latitude: float
    longitude: float
    blood_group: BloodGroup
    home_site: int  # index into the sites passed in
    appeals_opt_in: bool
    donation_dates: tuple[date, ...] = field(default_factory=tuple)
    deferral: tuple[str, date] | None = None  # (code, since)


def choose_group(rng: random.Random, mix: dict[str, float]) -> BloodGroup:
    groups, weights = zip(*mix.items())
    return parse_group(rng.choices(groups, weights=weights)[0])


def _history(rng: random.Random, sex: str, today: date, dob: date) -> tuple[date, ...]:
    """Past whole-blood donations over up to three years, at least 12/16 weeks apart."""
    if rng.random() < 0.25:
        return ()  # registered, not yet given
    gap_weeks = 16 if sex == "F" else 12
    first_allowed = max(today - timedelta(days=3 * 365), dob + timedelta(days=18 * 366))
    dates, day = [], today - timedelta(days=rng.randint(20, 400))
    while day > first_allowed and len(dates) < 10:
        dates.append(day)
        day -= timedelta(weeks=gap_weeks + rng.randint(0, 40))
    return tuple(sorted(dates))


def generate(n: int, *, seed: int, today: date, sites: list[tuple[float, float]],
             mix: dict[str, float] = US_GROUP_MIX) -> list[Person]:
    rng = random.Random(seed)
    people = []
    for i in range(n):
        sex = "F" if rng.random() < 0.5 else "M"
        given = rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
        family = rng.choice(FAMILY)
        age_days = rng.randint(18 * 365 + 5, 66 * 365)
        dob = today - timedelta(days=age_days)
        home = rng.randrange(len(sites))
        lat, lon = sites[home]
        history = _history(rng, sex, today, dob)
        deferral = None
        roll = rng.random()
        if roll < 0.03:
            deferral = ("tattoo", today - timedelta(days=rng.randint(10, 100)))
        elif roll < 0.04:
            deferral = ("malaria_area_travel", today - timedelta(days=rng.randint(10, 200)))
        people.append(Person(
            given_name=given, family_name=family, date_of_birth=dob, sex=sex,
            phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            email=f"{given}.{family}.{i}@example.org".lower(),
            address=f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            postcode=f"DE{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
            latitude=round(lat + rng.gauss(0, 0.05), 5), longitude=round(lon + rng.gauss(0, 0.08), 5),
            blood_group=choose_group(rng, mix), home_site=home,
            appeals_opt_in=rng.random() < 0.6, donation_dates=history, deferral=deferral,
        ))
    return people
