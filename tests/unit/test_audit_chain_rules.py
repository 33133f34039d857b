"""The audit chain with erasable payloads: any set of erased payloads verifies; any other change is found."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from bloodbank.domain import audit_chain as chain
from bloodbank.domain.audit_chain import GENESIS, Link, Payload

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
payloads = st.builds(
    lambda old, new, reason, salt: Payload(old, new, reason, salt),
    st.none() | st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=3),
    st.none() | st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=3),
    st.none() | st.text(max_size=20),
    st.text("0123456789abcdef", min_size=32, max_size=32),
)


def legacy_link(prev_hash: str, n: int, p: Payload) -> Link:
    at = START + timedelta(minutes=n)
    digest = chain.legacy_entry_hash(prev_hash, id=n, at=at, actor="clerk", action="update", entity="donor",
                                     entity_id=str(n), old=p.old, new=p.new, reason=p.reason)
    return Link(n, at, "clerk", "update", "donor", str(n), chain.VALUES_HASHED, None, prev_hash, digest,
                Payload(p.old, p.new, p.reason, None))


def build(payload_list: list[Payload], legacy: int) -> list[Link]:
    """A chain whose first `legacy` entries were written before payloads existed."""
    links, prev = [], GENESIS
    for n, p in enumerate(payload_list, start=1):
        link = legacy_link(prev, n, p) if n <= legacy else chain.new_link(
            prev, id=n, at=START + timedelta(minutes=n), actor="clerk", action="update", entity="donor",
            entity_id=str(n), payload=p)
        links.append(link)
        prev = link.hash
    return links


def erase(links: list[Link], ids: set[int]) -> list[Link]:
    """What the erasure path does: an erasure entry listing `ids`, then their payloads gone."""
    listing = chain.erasure_listing(link for link in links if link.id in ids)
    last = links[-1]
    eraser = chain.new_link(last.hash, id=last.id + 1, at=last.at + timedelta(minutes=1), actor="dr", action="erase",
                            entity="donor", entity_id="9", payload=Payload(None, listing, "donor asked", "ab" * 16))
    return [chain.erased(link, eraser.id) if link.id in ids else link for link in links] + [eraser]


def verify(links: list[Link]):
    return chain.walk(links, links[-1].id, links[-1].hash, chain.vouchers_from(links))


chains = st.lists(payloads, min_size=1, max_size=8).flatmap(
    lambda ps: st.tuples(st.just(ps), st.integers(0, len(ps))))


@settings(max_examples=150)
@given(chains, st.data())
def test_any_set_of_erased_payloads_verifies_and_is_counted_by_its_erasure(made, data):
    payload_list, legacy = made
    links = build(payload_list, legacy)
    ids = data.draw(st.sets(st.sampled_from([link.id for link in links])))
    erased = erase(links, ids)
    report = verify(erased)
    assert report.ok and report.entries == len(links) + 1
    assert report.erased_payloads == len(ids)
    assert dict(report.erased_by) == ({erased[-1].id: len(ids)} if ids else {})


@settings(max_examples=100)
@given(chains, st.data())
def test_two_erasures_one_after_the_other_both_verify(made, data):
    payload_list, legacy = made
    links = build(payload_list, legacy)
    first = data.draw(st.sets(st.sampled_from([link.id for link in links])))
    once = erase(links, first)
    left = [link.id for link in once if link.payload is not None and chain.erasable(link)]
    second = data.draw(st.sets(st.sampled_from(left))) if left else set()
    twice = erase(once, second)
    report = verify(twice)
    assert report.ok and report.erased_payloads == len(first) + len(second)


FIELDS = {"at": lambda v: v + timedelta(seconds=1), "actor": lambda v: v + "x", "action": lambda v: v + "x",
          "entity": lambda v: v + "x", "entity_id": lambda v: (v or "") + "0",
          "payload_digest": lambda v: "f" * 64 if v != "f" * 64 else "e" * 64}


@settings(max_examples=150)
@given(chains, st.data(), st.sampled_from(sorted(FIELDS)))
def test_a_changed_entry_field_is_found_whether_or_not_its_payload_was_erased(made, data, name):
    payload_list, legacy = made
    links = erase(build(payload_list, legacy), data.draw(st.sets(st.integers(1, len(payload_list)))))
    index = data.draw(st.integers(0, len(links) - 1))
    target = links[index]
    if name == "payload_digest" and target.format == chain.VALUES_HASHED:
        name = "actor"  # a format-1 entry has no digest: change what it does have
    links[index] = dataclasses.replace(target, **{name: FIELDS[name](getattr(target, name))})
    report = verify(links)
    # A changed erasure entry no longer vouches for what it erased, which may come first in the chain.
    assert not report.ok and report.first_broken_id <= target.id


@settings(max_examples=150)
@given(chains, st.data(), st.sampled_from(["old", "new", "reason"]))
def test_a_changed_payload_value_is_found(made, data, part):
    payload_list, legacy = made
    links = build(payload_list, legacy)
    index = data.draw(st.integers(0, len(links) - 1))
    target = links[index]
    changed = {"old": {"forged": True}, "new": {"forged": True}, "reason": "forged"}[part]
    if getattr(target.payload, part) == changed:
        changed = None
    links[index] = dataclasses.replace(target, payload=dataclasses.replace(target.payload, **{part: changed}))
    report = verify(links)
    assert not report.ok and report.first_broken_id == target.id and "changed" in report.problem


@settings(max_examples=100)
@given(chains, st.data())
def test_a_payload_deleted_without_an_erasure_that_lists_it_is_found(made, data):
    payload_list, legacy = made
    links = erase(build(payload_list, legacy), set())
    index = data.draw(st.integers(0, len(links) - 2))
    eraser = links[-1].id
    # Claimed erased by the last entry, which lists nothing: as if someone deleted the row by hand.
    links[index] = chain.erased(links[index], eraser)
    report = verify(links)
    assert not report.ok and report.first_broken_id == links[index].id and "no erasure" in report.problem


@settings(max_examples=100)
@given(chains, st.data())
def test_an_erasure_entry_whose_own_listing_was_changed_vouches_for_nothing(made, data):
    payload_list, legacy = made
    links = build(payload_list, legacy)
    erased = erase(links, {links[0].id})
    eraser = erased[-1]
    forged = dict(eraser.payload.new, erased_entries=[links[0].id, 999])
    erased[-1] = dataclasses.replace(eraser, payload=dataclasses.replace(eraser.payload, new=forged))
    report = verify(erased)
    assert not report.ok and report.first_broken_id == links[0].id


def test_an_entry_before_its_erasure_cannot_be_vouched_for_by_an_earlier_entry():
    links = build([Payload(None, {"n": i}, None, "cd" * 16) for i in range(3)], 0)
    erased = erase(links, {3})
    # Move the claim onto an entry after the eraser: an erasure never reaches forward.
    later = chain.new_link(erased[-1].hash, id=5, at=START + timedelta(hours=1), actor="x", action="update",
                           entity="donor", entity_id="1", payload=Payload(None, None, None, "ef" * 16))
    erased.append(chain.erased(later, erased[-2].id))
    report = verify(erased)
    assert not report.ok and report.first_broken_id == 5


def test_an_erasure_entry_is_never_erasable_it_vouches_for_what_it_erased():
    erased = erase(build([Payload(None, {"n": 1}, None, "cd" * 16)], 0), {1})
    assert not chain.erasable(erased[-1]) and chain.erasable(erased[0])


def test_deleting_the_last_entries_is_found_by_the_head():
    links = build([Payload(None, {"n": i}, None, "cd" * 16) for i in range(4)], 2)
    report = chain.walk(links[:2], links[-1].id, links[-1].hash, {})
    assert not report.ok and report.first_broken_id == 3
