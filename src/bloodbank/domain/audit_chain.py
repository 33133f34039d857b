"""The audit log's hash chain as pure functions: what each entry's hash covers, and how one link is checked.

An entry's values (old, new, reason) live in a payload of their own. The chain
hashes a salted digest of the payload, not the values, so the payload of an
entry about a donor who asked to be erased can be deleted while the digest,
and with it the chain, stays. The salt is deleted with the payload: a small
erased value (a phone number, a date of birth) cannot be found again by
hashing guesses against the digest.

Entries written before payloads existed (format 1) were hashed over their
values. They verify as they always did while their values are there. When one
is erased, the erasure entry (format 2, later in the chain) vouches for what
remains of it with a seal over its other fields, checked before it was erased.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from bloodbank.domain.messages import N_, Text

GENESIS = "0" * 64
VALUES_HASHED = 1  # format 1: the values are in the hash
PAYLOAD_DIGESTED = 2  # format 2: a salted digest of the payload is in the hash
ERASED_KEY, SEALS_KEY = "erased_entries", "legacy_seals"


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _instant(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


def legacy_entry_hash(prev_hash: str, *, id: int, at: datetime, actor: str, action: str, entity: str,
                      entity_id: str | None, old: dict | None, new: dict | None, reason: str | None) -> str:
    """Format 1, unchanged since the first release: the values themselves are hashed."""
    return _sha256(prev_hash + canonical([id, _instant(at), actor, action, entity, entity_id, old, new, reason]))


def payload_digest(salt: str, old: dict | None, new: dict | None, reason: str | None) -> str:
    return _sha256(salt + canonical([old, new, reason]))


def entry_hash(prev_hash: str, *, id: int, at: datetime, actor: str, action: str, entity: str,
               entity_id: str | None, payload_digest: str) -> str:
    """Format 2: the entry's own fields and its payload's digest."""
    return _sha256(prev_hash + canonical([id, _instant(at), actor, action, entity, entity_id, PAYLOAD_DIGESTED,
                                          payload_digest]))


def legacy_seal(*, id: int, at: datetime, actor: str, action: str, entity: str, entity_id: str | None,
                hash: str) -> str:
    """What an erasure entry records of a format-1 entry whose values it erased: everything that remains."""
    return _sha256(canonical(["sealed", id, _instant(at), actor, action, entity, entity_id, hash]))


@dataclass(frozen=True)
class Payload:
    old: dict | None
    new: dict | None
    reason: str | None
    salt: str | None  # None for a format-1 entry's values


@dataclass(frozen=True)
class Link:
    """One entry as stored, with its payload (None once erased) and the erasure entry said to have erased it."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    format: int
    payload_digest: str | None
    prev_hash: str
    hash: str
    payload: Payload | None
    erased_by: int | None = None

    def sealed(self) -> str:
        return legacy_seal(id=self.id, at=self.at, actor=self.actor, action=self.action, entity=self.entity,
                           entity_id=self.entity_id, hash=self.hash)


def new_link(prev_hash: str, *, id: int, at: datetime, actor: str, action: str, entity: str,
             entity_id: str | None, payload: Payload) -> Link:
    """The next entry of the chain, in format 2."""
    digest = payload_digest(payload.salt or "", payload.old, payload.new, payload.reason)
    return Link(id=id, at=at, actor=actor, action=action, entity=entity, entity_id=entity_id,
                format=PAYLOAD_DIGESTED, payload_digest=digest, prev_hash=prev_hash,
                hash=entry_hash(prev_hash, id=id, at=at, actor=actor, action=action, entity=entity,
                                entity_id=entity_id, payload_digest=digest), payload=payload)


ERASURE_ACTION = "erase"


def erasable(entry: Link) -> bool:
    """An erasure entry's payload is what vouches for what it erased (and holds no personal data): it stays.

    Any entry with an `action` will do: the rule reads nothing else.
    """
    return entry.action != ERASURE_ACTION


def erasure_listing(erased: Iterable[Link]) -> dict:
    """What an erasure entry's payload says it erased: every entry, and a seal of each format-1 one."""
    erased = sorted(erased, key=lambda link: link.id)
    return {ERASED_KEY: [link.id for link in erased],
            SEALS_KEY: {str(link.id): link.sealed() for link in erased if link.format == VALUES_HASHED}}


@dataclass(frozen=True)
class Voucher:
    """An erasure entry, checked on its own, and what its payload says it erased."""

    entry_id: int
    erased: frozenset[int]
    seals: Mapping[int, str]


def voucher_of(link: Link) -> Voucher | None:
    """What `link` vouches for, if it is an intact format-2 entry whose payload lists erased entries."""
    if link.format != PAYLOAD_DIGESTED or link.payload is None or problem_of_payload(link) is not None:
        return None
    if link.hash != entry_hash(link.prev_hash, id=link.id, at=link.at, actor=link.actor, action=link.action,
                               entity=link.entity, entity_id=link.entity_id, payload_digest=link.payload_digest):
        return None
    listing = link.payload.new or {}
    try:
        erased = frozenset(int(i) for i in listing.get(ERASED_KEY) or ())
        seals = {int(k): str(v) for k, v in (listing.get(SEALS_KEY) or {}).items()}
    except (TypeError, ValueError, AttributeError):
        return None
    return Voucher(link.id, erased, seals) if erased else None


# What a broken link is found to be, shown to the reader in their language.
CHANGED = N_("its content was changed after it was written")


def problem_of_payload(link: Link) -> str | None:
    p = link.payload
    if p is None or p.salt is None or link.payload_digest is None:
        return CHANGED
    if payload_digest(p.salt, p.old, p.new, p.reason) != link.payload_digest:
        return CHANGED
    return None


def check_link(link: Link, prev_hash: str, expected_id: int, vouchers: Mapping[int, Voucher]) -> str | None:
    """What is wrong with this entry where it stands in the chain, or None."""
    if link.id != expected_id:
        return Text(N_("entry %(expected)s is missing (next is %(next)s)"), expected=expected_id, next=link.id)
    if link.prev_hash != prev_hash:
        return N_("does not follow the previous entry")
    if link.format not in (VALUES_HASHED, PAYLOAD_DIGESTED):
        return Text(N_("it is of an unknown format (%(format)s)"), format=link.format)
    if link.payload is None:
        return _check_erased(link, vouchers)
    if link.format == VALUES_HASHED:
        recomputed = legacy_entry_hash(prev_hash, id=link.id, at=link.at, actor=link.actor, action=link.action,
                                       entity=link.entity, entity_id=link.entity_id, old=link.payload.old,
                                       new=link.payload.new, reason=link.payload.reason)
        return None if recomputed == link.hash else CHANGED
    return problem_of_payload(link) or _check_fields(link)


def _check_fields(link: Link) -> str | None:
    recomputed = entry_hash(link.prev_hash, id=link.id, at=link.at, actor=link.actor, action=link.action,
                            entity=link.entity, entity_id=link.entity_id, payload_digest=link.payload_digest or "")
    return None if recomputed == link.hash else CHANGED


def _check_erased(link: Link, vouchers: Mapping[int, Voucher]) -> str | None:
    voucher = vouchers.get(link.erased_by) if link.erased_by is not None else None
    if voucher is None or link.id not in voucher.erased or voucher.entry_id <= link.id:
        return N_("its values were deleted, and no erasure later in the chain lists it")
    if link.format == VALUES_HASHED:
        return None if voucher.seals.get(link.id) == link.sealed() else \
            CHANGED
    return _check_fields(link)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_id: int | None = None
    problem: str | None = None
    # Payloads erased at donors' requests or by retention, by the erasure entry that erased them.
    erased_by: Mapping[int, int] = field(default_factory=dict)

    @property
    def erased_payloads(self) -> int:
        return sum(self.erased_by.values())


@dataclass
class Walk:
    """The chain walked link by link; `report(head_id, head_hash)` once every link was given."""

    vouchers: Mapping[int, Voucher]
    prev_hash: str = GENESIS
    last_id: int = 0
    count: int = 0
    broken: ChainReport | None = None
    erased_by: dict[int, int] = field(default_factory=dict)

    def step(self, link: Link) -> bool:
        """False once the chain is broken: nothing after the first break is worth checking."""
        if self.broken is not None:
            return False
        problem = check_link(link, self.prev_hash, self.last_id + 1, self.vouchers)
        if problem:
            self.broken = ChainReport(False, self.count, link.id, problem, dict(self.erased_by))
            return False
        if link.payload is None:
            self.erased_by[link.erased_by] = self.erased_by.get(link.erased_by, 0) + 1
        self.prev_hash, self.last_id, self.count = link.hash, link.id, self.count + 1
        return True

    def report(self, head_id: int | None, head_hash: str | None) -> ChainReport:
        if self.broken is not None:
            return self.broken
        if head_id != self.last_id or head_hash != self.prev_hash:
            return ChainReport(False, self.count, self.last_id + 1, N_("entries after this point were deleted"),
                               dict(self.erased_by))
        return ChainReport(True, self.count, erased_by=dict(self.erased_by))


def vouchers_from(links: Iterable[Link]) -> dict[int, Voucher]:
    return {v.entry_id: v for v in map(voucher_of, links) if v is not None}


def walk(links: Iterable[Link], head_id: int, head_hash: str, vouchers: Mapping[int, Voucher]) -> ChainReport:
    chain = Walk(vouchers)
    for link in links:
        if not chain.step(link):
            break
    return chain.report(head_id, head_hash)


def erased(link: Link, by: int) -> Link:
    """The link as it stands once its payload was erased by entry `by`."""
    return replace(link, payload=None, erased_by=by)
