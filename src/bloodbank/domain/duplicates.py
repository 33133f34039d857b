"""Is a new registration probably a person already on file?

Two stages, as in any record linkage. Blocking picks the few records worth
comparing: the same date of birth, the date of birth with day and month
swapped, the same phone number, or the same family name and year of birth.
Scoring then compares each of them field by field and says why in words the
clerk can check with the person in front of them.

Nothing here merges anything. A candidate is only shown to the clerk, who
either merges the records or confirms that this is a new person. A second
record for one person is the hazard: a deferral on the first would not stop a
donation under the second.

Twins (same family name and date of birth, different given names) are
deliberately candidates, with a score of about 0.7, under LIKELY_SAME_PERSON.
The same pattern is what a nickname or a second given name produces
("Bill" for "William"), and confirming a twin costs the clerk one step, while
missing a duplicate can let a deferred person donate.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import OSA, JaroWinkler

# Record-linkage weights: the name says most about who someone is, the date of birth
# nearly as much; phone and email only add to a match (households share them).
NAME_WEIGHT = 0.6
DATE_OF_BIRTH_WEIGHT = 0.4
CONTACT_BONUS = 0.1  # per matching phone number or email address
SEX_PENALTY = 0.2  # a recorded sex is sometimes wrong, so it lowers the score but never clears it

# Shown to the clerk at all. Same date of birth alone (0.4) is far below: thousands of donors
# share a birthday. Same full name in the same birth year (0.68), twins (0.70) and a married
# name with the same date of birth (0.70) are above: each is worth a look.
CANDIDATE_THRESHOLD = 0.55
# "Probably the same person": a typo in one name with the same date of birth scores 0.97,
# swapped day and month 0.96. Twins stay below it even when they share a phone (0.80).
LIKELY_SAME_PERSON = 0.85

# Jaro-Winkler similarity that counts as "similar": catches transliterations and spelling
# variants such as Stephen/Steven (0.89), Aleksandr/Alexander (0.90) and Mohammed/Muhammad
# (0.85), while different names such as Anna/Hana (0.83) or Anna/Maria (0.63) stay apart.
SIMILAR_NAME = 0.85

# Similarity of one name part at each level of agreement.
SAME, ONE_LETTER, PART, SIMILAR = 1.0, 0.9, 0.8, 0.7
# Agreement of the date of birth.
DOB_SAME, DOB_SWAPPED, DOB_ONE_DIGIT, DOB_SAME_YEAR = 1.0, 0.9, 0.8, 0.2

# The last nine digits of a phone number ignore how the country or trunk prefix was
# written (+44 7700 900123 vs 07700 900123); nine is the length of most national numbers.
PHONE_KEY_DIGITS = 9
MIN_PHONE_DIGITS = 6

# Letters NFKD leaves whole: spelled as people type them on a plain keyboard.
_PLAIN_LETTERS = str.maketrans({
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE",
    "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ı": "i",
    # Arabic spellings of one name: NFKD already folds the hamza forms of alef, waw and yaa (أ إ آ ؤ ئ) and drops
    # the diacritics; these are the rest, as Arabic search engines fold them. Tatweel only stretches a word.
    "\u0640": "", "ة": "ه", "ى": "ي", "ٱ": "ا", "ی": "ي", "ک": "ك",
})
_TOKEN_SPLIT = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class MatchCandidate:
    donor_id: int
    score: float
    reasons: tuple[str, ...]

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY_SAME_PERSON


# ---------------------------------------------------------------- normalisation


# Normalising a name is most of what scoring costs, and a register repeats its names: in a national one a
# new person is compared with the hundred or so who share their birthday, whose names are mostly common.
NAMES_REMEMBERED = 65_536


# What is not a letter or a digit in any script (`\W` is neither, the underscore is a word character to `re`).
_NOT_ALNUM = re.compile(r"[\W_]+")


@lru_cache(maxsize=NAMES_REMEMBERED)
def strip_accents(text: str) -> str:
    if text.isascii():
        return text  # nothing to fold: a plain name, most of a register, skips the decomposition
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=NAMES_REMEMBERED)
def normalise_name(text: str) -> str:
    """Case, accents, spaces and punctuation removed: "O'Brien-Núñez" -> "obriennunez"."""
    return _NOT_ALNUM.sub("", strip_accents(text).casefold())


@lru_cache(maxsize=NAMES_REMEMBERED)
def name_tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in (normalise_name(part) for part in _TOKEN_SPLIT.split(text)) if t)


# The consonants of a name, as Latin letters, whatever the script or the transliteration: "Mohammed",
# "Muhammad", "Mohamad" and "محمد" all read "mhmd". Vowels (and the letters that stand for long vowels, and
# ayn, which Latin spellings write as a vowel or not at all) are left out after the first letter, a first vowel
# reads "a", doubled consonants count once, and q reads k.
_ARABIC_SOUNDS = {
    "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r", "ز": "z",
    "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "gh", "ف": "f", "ق": "k", "ك": "k",
    "ل": "l", "م": "m", "ن": "n", "ه": "h", "پ": "p", "چ": "ch", "ژ": "zh", "گ": "g",
    "ا": "", "و": "w", "ي": "y", "ع": "", "ء": "",
}
_LATIN_VOWELS = set("aeiouwy")


# After the first letter: each letter's sound, vowels (Latin, and the Arabic letters that stand for them) dropped.
_SOUNDS_AFTER_FIRST = str.maketrans({
    **{char: None if sound in ("", "w", "y") else sound for char, sound in _ARABIC_SOUNDS.items()},
    **{vowel: None for vowel in _LATIN_VOWELS}, "q": "k",
})
_REPEATED = re.compile(r"(.)\1+", re.DOTALL)


@lru_cache(maxsize=NAMES_REMEMBERED)
def name_skeleton(text: str) -> str:
    """The consonant skeleton of one name word; empty when it has too few letters to say anything."""
    word = normalise_name(text)
    if not word:
        return ""
    # A closing h that only ends a vowel ("Fatimah", and Arabic's taa marbuta, folded to haa) is not sounded.
    if len(word) > 2 and (word[-1] == "ه" or (word[-1] == "h" and word[-2] in "ae")):
        word = word[:-1]
    first = _ARABIC_SOUNDS.get(word[0], "k" if word[0] == "q" else word[0])
    skeleton = (first if first and first not in "aeiou" else "a") + word[1:].translate(_SOUNDS_AFTER_FIRST)
    collapsed = _REPEATED.sub(r"\1", skeleton)
    return collapsed if len(collapsed) >= 3 else ""


_NOT_DIGIT = re.compile(r"[^0-9]+")


@lru_cache(maxsize=NAMES_REMEMBERED)
def phone_key(phone: str | None) -> str | None:
    """The last digits of a phone number in any script (Arabic-Indic ٣ and Persian ۳ read as 3)."""
    phone = phone or ""
    digits = _NOT_DIGIT.sub("", phone) if phone.isascii() else \
        "".join(str(unicodedata.decimal(char)) for char in phone if char.isdecimal())
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    return digits[-PHONE_KEY_DIGITS:]


def email_key(email: str | None) -> str | None:
    cleaned = (email or "").strip().casefold()
    return cleaned or None


def swapped_day_month(day: date) -> date | None:
    """The date read the other way round (03/04 vs 04/03), if that is a different, real date."""
    if day.day == day.month or day.day > 12:
        return None
    return date(day.year, day.day, day.month)


# ---------------------------------------------------------------- blocking


@dataclass(frozen=True)
class BlockingKeys:
    """What a store must match on to hand over every record worth scoring."""

    dates_of_birth: tuple[date, ...]
    phone_key: str | None
    family_name: str  # normalised
    birth_year: int


@lru_cache(maxsize=1024)
def blocking_keys(person: Person) -> BlockingKeys:
    swapped = swapped_day_month(person.date_of_birth)
    dates = (person.date_of_birth,) + ((swapped,) if swapped else ())
    return BlockingKeys(dates, phone_key(person.phone), normalise_name(person.family_name),
                        person.date_of_birth.year)


def shares_a_block(new: Person, known: Person) -> bool:
    keys = blocking_keys(new)
    if known.date_of_birth in keys.dates_of_birth:
        return True
    if keys.phone_key is not None and keys.phone_key == phone_key(known.phone):
        return True
    return keys.family_name == normalise_name(known.family_name) and keys.birth_year == known.date_of_birth.year


def family_name_spellings(family_name: str) -> tuple[str, ...]:
    """How the same family name is likely stored, for an exact (indexable) lookup."""
    base = " ".join(family_name.split())
    forms = {base, strip_accents(base)}
    variants = {f(form) for form in forms for f in (str, str.upper, str.lower, str.title, str.capitalize)}
    return tuple(sorted(variants))


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Agreement:
    similarity: float
    reasons: tuple[str, ...]


def compare_name_part(label: str, new: str, known: str) -> _Agreement:
    a, b = normalise_name(new), normalise_name(known)
    if a == b:
        return _Agreement(SAME, (f"same {label}",))
    if OSA.distance(a, b) == 1:
        return _Agreement(ONE_LETTER, (f"{label} differs by one letter ({new.strip()} / {known.strip()})",))
    tokens_a, tokens_b = name_tokens(new), name_tokens(known)
    if tokens_a and tokens_b and (tokens_a < tokens_b or tokens_b < tokens_a):
        return _Agreement(PART, (f"{label} {new.strip()} / {known.strip()}: one is part of the other",))
    if JaroWinkler.normalized_similarity(a, b) >= SIMILAR_NAME or _same_skeleton(new, known):
        return _Agreement(SIMILAR, (f"similar {label} ({new.strip()} / {known.strip()})",))
    return _Agreement(0.0, (f"different {label}",))


def _same_skeleton(new: str, known: str) -> bool:
    """The same name written another way: another transliteration, or the other script."""
    a = _skeletons(new)
    return bool(a) and all(a) and a == _skeletons(known)


@lru_cache(maxsize=NAMES_REMEMBERED)
def _skeletons(name: str) -> tuple[str, ...]:
    return tuple(name_skeleton(w) for w in _TOKEN_SPLIT.split(name) if w)


def compare_names(new: Person, known: Person) -> _Agreement:
    direct = (compare_name_part("given name", new.given_name, known.given_name),
              compare_name_part("family name", new.family_name, known.family_name))
    crossed = (compare_name_part("given name", new.given_name, known.family_name),
               compare_name_part("family name", new.family_name, known.given_name))
    direct_score = sum(a.similarity for a in direct) / 2
    crossed_score = sum(a.similarity for a in crossed) / 2
    if crossed_score > direct_score:
        reasons = ("given and family names swapped",) + tuple(
            r for a in crossed for r in a.reasons if not r.startswith("same "))
        return _Agreement(crossed_score, reasons)
    return _Agreement(direct_score, tuple(r for a in direct for r in a.reasons))


def compare_dates_of_birth(new: date, known: date) -> _Agreement:
    if new == known:
        return _Agreement(DOB_SAME, ("same date of birth",))
    if swapped_day_month(new) == known:
        return _Agreement(DOB_SWAPPED, ("date of birth with day and month swapped",))
    a, b = new.strftime("%Y%m%d"), known.strftime("%Y%m%d")
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    if len(differ) == 1:
        return _Agreement(DOB_ONE_DIGIT, ("date of birth differs by one digit",))
    if len(differ) == 2 and differ[1] == differ[0] + 1 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]]:
        return _Agreement(DOB_ONE_DIGIT, ("date of birth with two digits swapped",))
    if new.year == known.year:
        return _Agreement(DOB_SAME_YEAR, ("same year of birth, different date",))
    return _Agreement(0.0, ("different date of birth",))


def score(new: Person, known: Person) -> tuple[float, tuple[str, ...]]:
    names = compare_names(new, known)
    dob = compare_dates_of_birth(new.date_of_birth, known.date_of_birth)
    value = NAME_WEIGHT * names.similarity + DATE_OF_BIRTH_WEIGHT * dob.similarity
    reasons = list(dob.reasons + names.reasons)
    if phone_key(new.phone) is not None and phone_key(new.phone) == phone_key(known.phone):
        value += CONTACT_BONUS
        reasons.append("same phone number")
    if email_key(new.email) is not None and email_key(new.email) == email_key(known.email):
        value += CONTACT_BONUS
        reasons.append("same email address")
    if new.sex and known.sex and new.sex != known.sex:
        value -= SEX_PENALTY
        reasons.append("recorded sex differs")
    return round(min(max(value, 0.0), 1.0), 2), tuple(reasons)


def without_names(reason: str) -> str:
    """A reason as the audit log keeps it: what agreed, not the names compared. The other record's names
    must not be copied into this person's entries (they could not be erased with that person's)."""
    for label in ("given name", "family name"):
        if reason.startswith(f"{label} ") and reason.endswith(": one is part of the other"):
            return f"one {label} is part of the other"
        if reason.startswith(f"{label} differs by one letter ("):
            return f"{label} differs by one letter"
        if reason.startswith(f"similar {label} ("):
            return f"similar {label}"
    return reason


def find_candidates(new: Person, on_file: Iterable[tuple[int, Person]]) -> list[MatchCandidate]:
    """Records that are probably this person, most likely first."""
    found = []
    for donor_id, known in on_file:
        if not shares_a_block(new, known):
            continue
        value, reasons = score(new, known)
        if value >= CANDIDATE_THRESHOLD:
            found.append(MatchCandidate(donor_id, value, reasons))
    return sorted(found, key=lambda c: (-c.score, c.donor_id))
