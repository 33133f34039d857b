"""ISBT 128: the identifiers and codes printed on every blood component label.

Implemented from the public facts of the standard (ICCBBA ST-001): the
Donation Identification Number with its MOD 37-2 check character, the blood
group, product code and expiry data structures, and the data identifiers that
tell one barcode from another. The standard's text and its product database
are ICCBBA's and licensed; nothing of them is copied here. The product table
shipped with the project holds the few publicly published codes plus clearly
local placeholders, and a site loads its licensed table on top of it.

Everything refuses what it cannot read with a message that says what is
wrong: a label read wrongly is a unit given to the wrong patient.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from functools import cache
from importlib import resources
from types import MappingProxyType

from bloodbank.domain.blood_groups import ABO, BloodGroup, parse_group
from bloodbank.domain.errors import InvalidInput

MAX_INPUT = 64  # longer than any ISBT 128 data structure: refused before any work is done

# ---------------------------------------------------------------- input hygiene


def _clean(text: object, what: str, error: type[InvalidInput] = InvalidInput) -> str:
    """Strip what scanners add around data and refuse what no label carries."""
    if not isinstance(text, str):
        raise error(f"A {what} must be text, not {type(text).__name__}.")
    if len(text) > MAX_INPUT:
        raise error(f"That is {len(text)} characters: far too long for a {what}. Scan or type it again.")
    stripped = text.strip()
    for position, char in enumerate(stripped, start=1):
        if unicodedata.category(char).startswith("C"):
            raise error(
                f"The {what} contains an invisible control character at position {position}: "
                "scan or type it again."
            )
    if not stripped:
        raise error(f"No {what} was given.")
    return stripped


# ---------------------------------------------------------------- check character

_CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_CHECK_VALUES = {char: value for value, char in enumerate(_CHECK_ALPHABET)}
_DIN_CHARS = frozenset(_CHECK_ALPHABET[:36])  # '*' is only ever a check character
_DIN_LENGTH = 13
_LENGTH_RULE = "A DIN has 13 characters (facility 5, year 2, serial 6)"


class InvalidDin(InvalidInput):
    code = "invalid_din"


def _require_din_characters(din13: str, *, scanned: bool = False) -> None:
    if len(din13) != _DIN_LENGTH:
        raise InvalidDin(f"{_LENGTH_RULE}; got {len(din13)}.")
    for position, char in enumerate(din13, start=1):
        if char not in _DIN_CHARS:
            raise InvalidDin(_illegal_character(char, position, scanned))


def _illegal_character(char: str, position: int, scanned: bool) -> str:
    message = f"Illegal character '{char}' at position {position} of the DIN."
    if scanned and char.isascii() and char.islower():
        # A scanner never produces lower case: the barcode was damaged or is not ISBT 128.
        message += " A scanned DIN is upper case only: re-scan the label."
    return message


def check_value(din13: str) -> int:
    """ISO/IEC 7064 MOD 37-2 over exactly the 13 DIN characters (never the flags)."""
    _require_din_characters(din13)
    total = 0
    for char in din13:
        total = ((total + _CHECK_VALUES[char]) * 2) % 37
    return (38 - total) % 37


def check_character(din13: str) -> str:
    return _CHECK_ALPHABET[check_value(din13)]


# ---------------------------------------------------------------- DIN

# The letter O and digit 0 would be misread for each other, so no FIN starts with either.
_FIN_FIRST = frozenset("ABCDEFGHIJKLMNPQRSTUVWXYZ123456789")
_RESERVED_FLAGS = frozenset({14, 97, 98, 99})


def _check_fin(facility: str) -> None:
    if not isinstance(facility, str):
        raise InvalidDin(f"The facility number (FIN) must be text, not {type(facility).__name__}.")
    if len(facility) != 5:
        raise InvalidDin(f"The facility number (FIN) has 5 characters; got {len(facility)}.")
    first = facility[0]
    if first not in _FIN_FIRST:
        raise InvalidDin(
            f"A DIN cannot start with '{first}': the facility number (FIN) starts with a letter "
            "A-N or P-Z or a digit 1-9, never the letter O or the digit 0."
        )
    if not (facility[1:].isascii() and facility[1:].isdigit()):
        raise InvalidDin(
            f"The facility number (FIN) is a letter or digit followed by four digits; got '{facility}'."
        )


def _check_digits(value: str, length: int, name: str, positions: str) -> None:
    if not isinstance(value, str) or len(value) != length or not (value.isascii() and value.isdigit()):
        raise InvalidDin(f"The {name} ({positions} of the DIN) must be {length} digits; got '{value}'.")


def _check_flags(flags: str, din13: str) -> None:
    if not isinstance(flags, str) or len(flags) != 2 or not (flags.isascii() and flags.isdigit()):
        raise InvalidDin(f"The flag characters after the DIN must be two digits; got '{flags}'.")
    number = int(flags)
    if number in _RESERVED_FLAGS:
        raise InvalidDin(f"Flag value {flags} is reserved in ISBT 128 and never printed: re-scan the label.")
    if 60 <= number <= 96:
        # Type-3 flags carry the check value, so the barcode can be verified like typing.
        expected = 60 + check_value(din13)
        if number != expected:
            raise InvalidDin(
                f"Flag {flags} does not match DIN {din13} (its check flag is {expected}): "
                "the barcode is damaged or belongs to another unit; re-scan the label."
            )


@dataclass(frozen=True)
class Din:
    facility: str
    year: str
    serial: str
    # Flags describe the container, not the donation: two labels of one donation are one DIN.
    flags: str | None = field(default=None, compare=False)
    check: str = field(init=False)

    def __post_init__(self) -> None:
        _check_fin(self.facility)
        _check_digits(self.year, 2, "year", "characters 6-7")
        _check_digits(self.serial, 6, "serial number", "characters 8-13")
        if self.flags is not None:
            _check_flags(self.flags, str(self))
        object.__setattr__(self, "check", check_character(str(self)))

    def __str__(self) -> str:
        return f"{self.facility}{self.year}{self.serial}"

    @property
    def value(self) -> str:
        return str(self)

    @property
    def eye_readable(self) -> str:
        return f"{self.facility} {self.year} {self.serial} {self.check}"

    @property
    def barcode(self) -> str:
        return f"={self}{self.flags or '00'}"

    @property
    def type3_flags(self) -> str:
        return f"{60 + check_value(str(self))}"


def make_din(facility: str, year: int, serial: int, flags: str = "00") -> Din:
    if not _is_int(year) or not 0 <= year <= 99:
        raise InvalidDin(f"The DIN year is two digits, 0-99; got {year!r}.")
    if not _is_int(serial) or not 0 <= serial <= 999_999:
        raise InvalidDin(f"The DIN serial number is 0-999999; got {serial!r}.")
    return Din(facility, f"{year:02d}", f"{serial:06d}", flags)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_din(text: str) -> Din:
    """Read a DIN scanned (`=G12349865432100`) or typed (`G1234 98 654321 H`, with or without the check character)."""
    cleaned = _clean(text, "DIN", InvalidDin)
    if cleaned[0] in "=&":
        return _parse_din_barcode(cleaned)
    return _parse_typed_din(cleaned)


def _parse_din_barcode(scanned: str) -> Din:
    second = scanned[1:2]
    if scanned[0] != "=" or not (second in _DIN_CHARS or (second.isascii() and second.isalpha())):
        raise _wrong_structure(scanned, DIN, InvalidDin)
    if len(scanned) != 16:
        raise InvalidDin(
            "A scanned DIN has 16 characters ('=', the 13-character DIN, 2 flag characters); "
            f"got {len(scanned)}."
        )
    din13, flags = scanned[1:14], scanned[14:]
    _require_din_characters(din13, scanned=True)
    return Din(din13[:5], din13[5:7], din13[7:], flags)


def _parse_typed_din(typed: str) -> Din:
    compact = re.sub(r"\s+", "", typed)
    if len(compact) not in (_DIN_LENGTH, _DIN_LENGTH + 1):
        raise InvalidDin(
            f"{_LENGTH_RULE}; got {len(compact)}. Type it as on the label, e.g. 'G1234 98 654321', "
            "optionally followed by the boxed check character."
        )
    # Only ASCII is upper-cased: str.upper() maps some letters to two characters or to ASCII look-alikes.
    upper = "".join(c.upper() if c.isascii() else c for c in compact)
    din13, given_check = upper[:_DIN_LENGTH], upper[_DIN_LENGTH:]
    _require_din_characters(din13)
    din = Din(din13[:5], din13[5:7], din13[7:])
    if given_check:
        _verify_check(din, given_check)
    return din


def _verify_check(din: Din, given: str) -> None:
    if given not in _CHECK_VALUES:
        raise InvalidDin(
            f"Illegal check character '{given}': it is the boxed character after the DIN, "
            "a digit, a letter or '*'."
        )
    if given != din.check:
        raise InvalidDin(
            f"Check character '{given}' does not match DIN {din} (expected '{din.check}'): "
            "re-type the number from the label."
        )


# ---------------------------------------------------------------- data identifiers

DIN = "din"
BLOOD_GROUP = "blood_group"
PRODUCT_CODE = "product_code"
EXPIRY = "expiry"
EXPIRY_DATE = "expiry_date"
SCAN_KINDS = (DIN, BLOOD_GROUP, PRODUCT_CODE, EXPIRY, EXPIRY_DATE)

_KIND_NAMES = {
    DIN: "a DIN",
    BLOOD_GROUP: "a blood group",
    PRODUCT_CODE: "a product code",
    EXPIRY: "an expiry date and time",
    EXPIRY_DATE: "an expiry date",
}
_READ_IDENTIFIERS = {"=%": BLOOD_GROUP, "=<": PRODUCT_CODE, "&>": EXPIRY, "=>": EXPIRY_DATE}
# Structures this project does not read here, named so a wrong scan is explained, not just refused.
_OTHER_IDENTIFIERS = {
    "=*": "a collection date",
    "&*": "a collection date and time",
    "=}": "a production date",
    "&}": "a production date and time",
    "&(": "a special testing code",
    "=\\": "a red cell antigen code",
    "=+": "a compound message",
    "=,": "a product divisions code",
}


def identify_scan(text: str, expect: str | Iterable[str] | None = None) -> tuple[str, str]:
    """Tell a scanned barcode's data structure from its data identifier.

    Returns (kind, data after the identifier); the DIN keeps its first
    character because its identifier is `=` alone. With `expect`, a barcode
    of any other kind is refused: that is how a field refuses a barcode
    scanned into the wrong box.
    """
    scanned = _clean(text, "barcode")
    kind = _kind_of(scanned)
    if kind is None:
        raise _wrong_structure(scanned, "DIN, blood group, product code or expiry", InvalidInput)
    wanted = None if expect is None else ((expect,) if isinstance(expect, str) else tuple(expect))
    if wanted is not None and kind not in wanted:
        names = " or ".join(_KIND_NAMES.get(w, w) for w in wanted)
        raise InvalidInput(
            f"This barcode is {_KIND_NAMES[kind]}, not {names}: scan the right barcode on the label."
        )
    return kind, scanned[1:] if kind == DIN else scanned[2:]


def _kind_of(scanned: str) -> str | None:
    if scanned[:2] in _READ_IDENTIFIERS:
        return _READ_IDENTIFIERS[scanned[:2]]
    if scanned[0] == "=" and scanned[1:2] in _FIN_FIRST:
        return DIN
    return None


def _wrong_structure(scanned: str, wanted: str, error: type[InvalidInput]) -> InvalidInput:
    """The error for a barcode of another structure, naming what it is so the clerk knows what happened."""
    wanted_name = _KIND_NAMES.get(wanted, f"a {wanted}")
    prefix = scanned[:2]
    kind = _kind_of(scanned)
    if kind is not None:
        return error(
            f"This barcode is {_KIND_NAMES[kind]} ('{prefix[:1] if kind == DIN else prefix}'), "
            f"not {wanted_name}: scan the right barcode on the label."
        )
    if prefix[0] == "=" and prefix[1:] in ("0", "O"):
        return InvalidDin(
            f"A DIN cannot start with '{prefix[1]}': no facility number (FIN) starts with the letter O or the digit 0."
        )
    if prefix in _OTHER_IDENTIFIERS:
        return error(f"This barcode is {_OTHER_IDENTIFIERS[prefix]} ('{prefix}'), not {wanted_name}.")
    if prefix[0] == "&" and prefix[1:].isascii() and prefix[1:].islower():
        return error(f"This barcode is a nationally or locally defined code ('{prefix}'), not {wanted_name}.")
    return error(f"This barcode is not {wanted_name}: its data identifier '{prefix}' is not one read here.")


# ---------------------------------------------------------------- blood groups (002)


class IntendedUse(str, Enum):
    GENERAL = "general"
    DIRECTED = "directed"
    EMERGENCY_ONLY = "emergency_only"
    AUTOLOGOUS = "autologous"


@dataclass(frozen=True)
class BloodGroupCode:
    group: BloodGroup
    intended_use: IntendedUse


def _g(abo: ABO, rhd_positive: bool) -> BloodGroup:
    return BloodGroup(abo, rhd_positive)


# group: (general, directed, emergency use only, autologous)
_GROUP_ROWS: dict[BloodGroup, tuple[str, str, str, str]] = {
    _g(ABO.O, False): ("95", "91", "92", "97"),
    _g(ABO.O, True): ("51", "47", "48", "53"),
    _g(ABO.A, False): ("06", "02", "03", "08"),
    _g(ABO.A, True): ("62", "58", "59", "64"),
    _g(ABO.B, False): ("17", "13", "14", "19"),
    _g(ABO.B, True): ("73", "69", "70", "75"),
    _g(ABO.AB, False): ("28", "24", "25", "30"),
    _g(ABO.AB, True): ("84", "80", "81", "86"),
}
_USE_ORDER = (IntendedUse.GENERAL, IntendedUse.DIRECTED, IntendedUse.EMERGENCY_ONLY, IntendedUse.AUTOLOGOUS)

GROUP_CODES: Mapping[BloodGroup, str] = MappingProxyType({g: row[0] for g, row in _GROUP_ROWS.items()})
BLOOD_GROUP_CODES: Mapping[str, BloodGroupCode] = MappingProxyType({
    code: BloodGroupCode(group, use)
    for group, row in _GROUP_ROWS.items()
    for use, code in zip(_USE_ORDER, row)
})
RHD_NOT_STATED: Mapping[str, ABO] = MappingProxyType({"55": ABO.O, "66": ABO.A, "77": ABO.B, "88": ABO.AB})
GROUP_MESSAGES: Mapping[str, str] = MappingProxyType({
    "00": "No ABO/RhD information on this label.",
    "Mq": "Quarantine: not to be issued until released.",
    "Md": "Discard: not to be issued.",
    "Mx": "Not for transfusion.",
})
_BLOCKING_MESSAGES = frozenset({"Mq", "Md", "Mx"})


@dataclass(frozen=True)
class GroupLabel:
    code: str
    group: BloodGroup | None
    intended_use: IntendedUse | None
    note: str | None = None
    abo: ABO | None = None
    phenotype: str = "0"  # third character, kept as printed: its meanings are in the licensed tables

    @property
    def blocks_issue(self) -> bool:
        return self.code in _BLOCKING_MESSAGES

    @property
    def barcode(self) -> str:
        return f"=%{self.code}{self.phenotype}0"

    @property
    def in_words(self) -> str:
        """What the code says, as a clerk would say it: 'B RhD negative', 'not grouped, in quarantine'."""
        if self.group is not None:
            words = f"{self.group.abo.value} RhD {'positive' if self.group.rhd_positive else 'negative'}"
            if self.intended_use is not IntendedUse.GENERAL:
                words += f", {_USE_WORDS[self.intended_use]}"
        elif self.abo is not None:
            words = f"{self.abo.value}, RhD not stated"
        else:
            words = _MESSAGE_WORDS[self.code]
        # Two codes may differ in the phenotype character alone: without it both would read the same.
        return words if self.phenotype == "0" else f"{words}, phenotype character {self.phenotype}"


_USE_WORDS = {
    IntendedUse.DIRECTED: "for directed use",
    IntendedUse.EMERGENCY_ONLY: "for emergency use only",
    IntendedUse.AUTOLOGOUS: "for autologous use",
}
_MESSAGE_WORDS = {
    "00": "no ABO/RhD information",
    "Mq": "not grouped, in quarantine",
    "Md": "to be discarded",
    "Mx": "not for transfusion",
}


def encode_blood_group(group: BloodGroup | str, intended_use: IntendedUse = IntendedUse.GENERAL) -> str:
    """`=%` + group code + `0` (no phenotype information) + `0`."""
    try:
        resolved = parse_group(group)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    try:
        use = IntendedUse(intended_use)
    except ValueError:
        raise InvalidInput(f"Intended use {intended_use!r} is not one of {[u.value for u in IntendedUse]}.") from None
    code = _GROUP_ROWS[resolved][_USE_ORDER.index(use)]
    return f"=%{code}00"


def parse_blood_group_code(text: str) -> GroupLabel:
    """Read `=%ggre` as scanned or the bare `ggre`; case matters (`Mq`, `Md`, `Mx`)."""
    cleaned = _clean(text, "blood group code")
    body = _strip_identifier(cleaned, "=%", BLOOD_GROUP)
    if len(body) != 4:
        raise InvalidInput(
            f"A blood group code has 4 characters after '=%' (group 2, phenotype 1, '0'), e.g. =%5100; got {len(body)}."
        )
    code, phenotype, reserved = body[:2], body[2], body[3]
    if not (phenotype.isascii() and phenotype.isalnum()):
        raise InvalidInput(f"Illegal phenotype character '{phenotype}' in blood group code {body}.")
    if reserved != "0":
        raise InvalidInput(f"The fourth character of a blood group code is always '0'; got '{reserved}'.")
    return _group_label(code, phenotype)


def _group_label(code: str, phenotype: str) -> GroupLabel:
    if code in BLOOD_GROUP_CODES:
        entry = BLOOD_GROUP_CODES[code]
        return GroupLabel(code, entry.group, entry.intended_use, None, entry.group.abo, phenotype)
    if code in RHD_NOT_STATED:
        abo = RHD_NOT_STATED[code]
        note = f"Group {abo.value}, RhD not stated: treat as RhD unknown."
        return GroupLabel(code, None, IntendedUse.GENERAL, note, abo, phenotype)
    if code in GROUP_MESSAGES:
        return GroupLabel(code, None, None, GROUP_MESSAGES[code], None, phenotype)
    raise InvalidInput(f"Unknown blood group code '{code}': not an ISBT 128 ABO/RhD code read by this system.")


def _strip_identifier(cleaned: str, identifier: str, kind: str) -> str:
    if cleaned.startswith(identifier):
        return cleaned[len(identifier):]
    # No bare code starts with '=' or '&': such input is another structure's barcode.
    if cleaned[0] in "=&":
        raise _wrong_structure(cleaned, kind, InvalidInput)
    return cleaned


# ---------------------------------------------------------------- expiry (004, 005)


def encode_expiry(dt: datetime) -> str:
    """`&>cyyjjjhhmm` in the site's local wall-clock time; seconds are dropped."""
    _require_local(dt)
    return f"&>{_encode_day(dt.date())}{dt.hour:02d}{dt.minute:02d}"


def encode_expiry_date(day: date) -> str:
    if isinstance(day, datetime):
        _require_local(day)
        day = day.date()
    if not isinstance(day, date):
        raise InvalidInput(f"An expiry date must be a date, not {type(day).__name__}.")
    return f"=>{_encode_day(day)}"


def _require_local(dt: object) -> None:
    if not isinstance(dt, datetime):
        raise InvalidInput(f"An expiry date and time must be a datetime, not {type(dt).__name__}.")
    if dt.tzinfo is not None:
        # Labels carry local wall-clock time; a UTC value printed as is would shift the expiry.
        raise InvalidInput("Expiry must be given in the site's local time (a naive datetime), not with a time zone.")


def _encode_day(day: date) -> str:
    if not 2000 <= day.year <= 2999:
        raise InvalidInput(f"ISBT 128 dates cover the years 2000-2999; got {day.year}.")
    century, year = divmod(day.year - 2000, 100)
    return f"{century}{year:02d}{day.timetuple().tm_yday:03d}"


def parse_expiry(text: str) -> datetime:
    """Read `&>cyyjjjhhmm`, `=>cyyjjj` (23:59 that day), or either without its identifier."""
    cleaned = _clean(text, "expiry date")
    if cleaned.startswith("&>"):
        return _read_date_time(cleaned[2:], "&>")
    if cleaned.startswith("=>"):
        return _read_date_only(cleaned[2:], "=>")
    if cleaned[0] in "=&":
        raise _wrong_structure(cleaned, EXPIRY, InvalidInput)
    if len(cleaned) == 10:
        return _read_date_time(cleaned, None)
    if len(cleaned) == 6:
        return _read_date_only(cleaned, None)
    raise InvalidInput(
        f"An expiry is 10 digits (cyyjjjhhmm) or 6 digits (cyyjjj, meaning 23:59); got {len(cleaned)} characters."
    )


def _read_date_time(digits: str, identifier: str | None) -> datetime:
    _require_expiry_digits(digits, 10, "cyyjjjhhmm", identifier)
    day = _read_day(digits[:6])
    hour, minute = int(digits[6:8]), int(digits[8:10])
    if hour > 23:
        raise InvalidInput(f"Hour {digits[6:8]} in expiry {digits} is not a time of day (00-23).")
    if minute > 59:
        raise InvalidInput(f"Minute {digits[8:10]} in expiry {digits} is not valid (00-59).")
    return datetime(day.year, day.month, day.day, hour, minute)


def _read_date_only(digits: str, identifier: str | None) -> datetime:
    _require_expiry_digits(digits, 6, "cyyjjj", identifier)
    day = _read_day(digits)
    return datetime(day.year, day.month, day.day, 23, 59)  # a date alone means the end of that day


def _require_expiry_digits(digits: str, length: int, shape: str, identifier: str | None) -> None:
    where = f" after '{identifier}'" if identifier else ""
    if len(digits) != length:
        raise InvalidInput(f"This expiry has {length} digits ({shape}){where}; got {len(digits)}.")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput(f"An expiry is digits only ({shape}); got '{digits}'.")


def _read_day(cyyjjj: str) -> date:
    year = 2000 + int(cyyjjj[0]) * 100 + int(cyyjjj[1:3])
    day_of_year = int(cyyjjj[3:6])
    days_in_year = 366 if _is_leap(year) else 365
    if not 1 <= day_of_year <= days_in_year:
        leap = "" if days_in_year == 366 else ", not a leap year"
        raise InvalidInput(
            f"Day {cyyjjj[3:6]} does not exist in {year} ({days_in_year} days{leap}): check the expiry."
        )
    return date(year, 1, 1) + timedelta(days=day_of_year - 1)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# ---------------------------------------------------------------- product codes (003)

COMPONENT_KINDS = (
    "whole_blood", "ltowb", "red_cells", "plasma", "platelets_apheresis", "platelets_pooled",
    "platelet_concentrate", "cryo",
)
COLLECTION_TYPES: Mapping[str, str] = MappingProxyType({
    "V": "volunteer allogeneic",
    "A": "autologous, eligible for crossover",
    "D": "directed",
    "G": "emergency use only",
})
_DESCRIPTION_CODE = re.compile(r"[A-Z][0-9]{4}")
_DIVISION = re.compile(r"00|[A-Z][a-z0]")


@dataclass(frozen=True)
class ProductInfo:
    code: str
    name: str
    kind: str
    irradiated: bool
    leucoreduced: bool
    source: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _DESCRIPTION_CODE.fullmatch(self.code):
            raise InvalidInput(f"Product description code {self.code!r} is not a letter and four digits.")
        if self.kind not in COMPONENT_KINDS:
            raise InvalidInput(
                f"Product {self.code}: kind {self.kind!r} is not one of {', '.join(COMPONENT_KINDS)}."
            )
        for flag in ("irradiated", "leucoreduced"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidInput(f"Product {self.code}: '{flag}' must be true or false.")
        for text in ("name", "source"):
            if not isinstance(getattr(self, text), str) or not getattr(self, text).strip():
                raise InvalidInput(f"Product {self.code}: '{text}' must be given.")


class ProductTable:
    """The product description codes a site knows; immutable, extended by building a new one."""

    def __init__(self, products: Iterable[ProductInfo] = ()):
        table: dict[str, ProductInfo] = {}
        for info in products:
            if info.code in table:
                raise InvalidInput(f"Product code {info.code} appears twice in one product table.")
            table[info.code] = info
        self._products: Mapping[str, ProductInfo] = MappingProxyType(table)

    def get(self, code: str) -> ProductInfo:
        try:
            return self._products[code]
        except (KeyError, TypeError):
            raise InvalidInput(
                f"Unknown product code {code}: not in this site's product table; "
                "load the licensed ICCBBA table or add it."
            ) from None

    def with_products(self, products: Iterable[ProductInfo] | Mapping[str, ProductInfo]) -> ProductTable:
        """A new table where the given entries replace any with the same code: a licensed table wins."""
        extra = ProductTable(products.values() if isinstance(products, Mapping) else products)
        merged = {**self._products, **extra._products}
        return ProductTable(merged.values())

    def of_kind(self, kind: str) -> tuple[ProductInfo, ...]:
        return tuple(info for info in self if info.kind == kind)

    def __contains__(self, code: object) -> bool:
        return code in self._products

    def __iter__(self) -> Iterator[ProductInfo]:
        return iter(sorted(self._products.values(), key=lambda info: info.code))

    def __len__(self) -> int:
        return len(self._products)


def products_from_toml(text: str) -> tuple[ProductInfo, ...]:
    """Read `[[product]]` entries (code, name, kind, irradiated, leucoreduced, source)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"The product table is not valid TOML: {exc}") from exc
    entries = document.get("product", [])
    if not isinstance(entries, list):
        raise InvalidInput("The product table must list its entries as [[product]] tables.")
    return tuple(_product_entry(entry, number) for number, entry in enumerate(entries, start=1))


_ENTRY_FIELDS = ("code", "name", "kind", "irradiated", "leucoreduced", "source")


def _product_entry(entry: object, number: int) -> ProductInfo:
    if not isinstance(entry, dict):
        raise InvalidInput(f"Product table entry {number} is not a table.")
    missing = [name for name in _ENTRY_FIELDS if name not in entry]
    unknown = sorted(set(entry) - set(_ENTRY_FIELDS))
    if missing or unknown:
        raise InvalidInput(
            f"Product table entry {number} ({entry.get('code', '?')}): "
            f"missing {missing or 'nothing'}, unknown fields {unknown or 'none'}."
        )
    return ProductInfo(**{name: entry[name] for name in _ENTRY_FIELDS})


@cache
def default_product_table() -> ProductTable:
    resource = resources.files("bloodbank.domain").joinpath("rules").joinpath("isbt128_products.toml")
    return ProductTable(products_from_toml(resource.read_text(encoding="utf-8")))


def load_product_table(
    extra: Mapping[str, ProductInfo] | Iterable[ProductInfo] | None = None,
) -> ProductTable:
    """The shipped table, with a site's own (licensed) entries laid over it."""
    table = default_product_table()
    return table if extra is None else table.with_products(extra)


def product(description_code: str, table: ProductTable | None = None) -> ProductInfo:
    return (table or default_product_table()).get(description_code)


@dataclass(frozen=True)
class ProductCode:
    description_code: str
    collection_type: str = "V"
    division: str = "00"

    def __str__(self) -> str:
        return f"{self.description_code}{self.collection_type}{self.division}"

    @property
    def barcode(self) -> str:
        return f"=<{self}"


def parse_product_code(text: str, table: ProductTable | None = None) -> ProductCode:
    """Read `=<E4306V00` as scanned or the bare `E4306V00`."""
    cleaned = _clean(text, "product code")
    body = _strip_identifier(cleaned, "=<", PRODUCT_CODE)
    if len(body) != 8:
        raise InvalidInput(
            "A product code has 8 characters (description code 5, collection type 1, division 2), "
            f"e.g. E0398V00; got {len(body)}."
        )
    return _product_code(body[:5], body[5], body[6:], table)


def encode_product_code(
    code: str, collection_type: str = "V", division: str = "00", table: ProductTable | None = None,
) -> str:
    return _product_code(code, collection_type, division, table).barcode


def _product_code(code: str, collection_type: str, division: str, table: ProductTable | None) -> ProductCode:
    if not isinstance(code, str) or not _DESCRIPTION_CODE.fullmatch(code):
        raise InvalidInput(f"Product description code '{code}' is not a letter followed by four digits (e.g. E0398).")
    _check_collection_type(collection_type)
    if not isinstance(division, str) or not _DIVISION.fullmatch(division):
        raise InvalidInput(
            f"Division '{division}' is not valid: '00' for an undivided product, or a capital letter "
            "and a small letter (Aa, Ab...) for a split."
        )
    product(code, table)  # an unknown code is refused here, before it reaches a label
    return ProductCode(code, collection_type, division)


def _check_collection_type(collection_type: str) -> None:
    if collection_type == "P":
        raise InvalidInput(
            "Collection type 'P' (paid donor) is refused: this project records only voluntary, unpaid donations."
        )
    if collection_type not in COLLECTION_TYPES:
        known = ", ".join(f"{k} {v}" for k, v in COLLECTION_TYPES.items())
        raise InvalidInput(f"Collection type '{collection_type}' is not one this system handles ({known}).")
