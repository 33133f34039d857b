"""Random sequences of dispatch, receipt and discard never lose or double-count a unit.

Runs on SQLite only, on its own database file: each of the many generated
sequences starts from an emptied database and checks the whole stock after
every step, which is too slow on a networked server to be worth it. The
transactions under test are the same on both databases, and the PostgreSQL
behaviour of each step is covered by the other transfer and discard tests.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test,
)

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidTransition
from bloodbank.service_layer.blood.discards import discard, discards_report
from bloodbank.service_layer.blood.inventory import stock
from bloodbank.service_layer.blood.transfers import dispatch, list_in_transit, receive
from tests.conftest import empty
from tests.integration.inventory_fixtures import clerk, counts, make_site, make_unit

UNITS = 6
indices = st.lists(st.integers(0, UNITS - 1), min_size=1, max_size=4, unique=True)


class Shipping(RuleBasedStateMachine):
    def __init__(self, database: Database):
        super().__init__()
        self.database = database
        empty(database)
        # unit id -> (status, site id or None), as the model expects it.
        self.model: dict[int, tuple[str, int | None]] = {}
        self.transfers: dict[int, tuple[list[int], int]] = {}
        self.open: list[int] = []

    @initialize()
    def stock_two_sites(self):
        self.sites = (make_site(self.database), make_site(self.database))
        self.units = [make_unit(self.database, site_id=self.sites[i % 2], group=("O-", "A+")[i % 2 == 0 and i > 2])
                      for i in range(UNITS)]
        self.model = {u: ("available", self.sites[i % 2]) for i, u in enumerate(self.units)}

    def _refused(self, error, call):
        before = counts(self.database)
        with pytest.raises(error):
            call()
        assert counts(self.database) == before

    @rule(source=st.integers(0, 1), picked=indices)
    def send(self, source, picked):
        from_site, to_site = self.sites[source], self.sites[1 - source]
        ids = [self.units[i] for i in picked]
        call = lambda: dispatch(clerk(self.database), from_site_id=from_site, to_site_id=to_site, unit_ids=ids)
        if any(self.model[u] != ("available", from_site) for u in ids):
            self._refused(Conflict, call)
            return
        view = call()
        self.transfers[view.id] = (ids, to_site)
        self.open.append(view.id)
        for u in ids:
            self.model[u] = ("in_transit", None)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), cold_chain_ok=st.booleans())
    def book_in(self, data, cold_chain_ok):
        transfer_id = data.draw(st.sampled_from(self.open))
        ids, to_site = self.transfers[transfer_id]
        received = data.draw(st.lists(st.sampled_from(ids), unique=True))
        call = lambda: receive(clerk(self.database), transfer_id=transfer_id, received_unit_ids=received,
                               cold_chain_ok=cold_chain_ok)
        if any(self.model[u][0] != "in_transit" for u in received):
            self._refused(Conflict, call)
            return
        call()
        self.open.remove(transfer_id)
        for u in received:
            self.model[u] = ("available" if cold_chain_ok else "quarantined", to_site)

    @precondition(lambda self: self.open or self.transfers)
    @rule(data=st.data())
    def receive_twice(self, data):
        closed = [t for t in self.transfers if t not in self.open]
        if closed:
            transfer_id = data.draw(st.sampled_from(closed))
            self._refused(Conflict, lambda: receive(clerk(self.database), transfer_id=transfer_id,
                                                    received_unit_ids=[]))

    @rule(index=st.integers(0, UNITS - 1), reason=st.sampled_from(["broken", "temperature", "volume"]))
    def throw_away(self, index, reason):
        u = self.units[index]
        call = lambda: discard(clerk(self.database), unit_id=u, reason_code=reason)
        if self.model[u][0] == "discarded":
            self._refused(InvalidTransition, call)
            return
        call()
        self.model[u] = ("discarded", self.model[u][1])

    @invariant()
    def every_unit_is_in_exactly_one_place(self):
        if not self.model:
            return
        report = stock(clerk(self.database))
        shelves = Counter()
        for line in report.lines:
            shelves[("available", line.site_id)] += line.available
            shelves[("quarantined", line.site_id)] += line.quarantined
            assert line.reserved == line.returned == line.recalled == 0
        on_road = [u for t in list_in_transit(clerk(self.database)) for u in t.in_transit]
        waste = discards_report(clerk(self.database), since=utcnow().date() - timedelta(days=1))
        discarded = sum(n for kinds in waste.values() for n in kinds.values())
        assert len(on_road) == len(set(on_road))  # never on two transfers at once
        assert sum(shelves.values()) + len(on_road) + discarded == UNITS
        expected = Counter(state for state in self.model.values() if state[0] in ("available", "quarantined"))
        assert +shelves == expected
        assert sorted(on_road) == sorted(u for u, (status, _) in self.model.items() if status == "in_transit")
        assert discarded == sum(1 for status, _ in self.model.values() if status == "discarded")


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('conservation') / 'bloodbank.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    empty(database)
    database.dispose()


def test_no_sequence_of_transfers_and_discards_loses_or_duplicates_a_unit(sqlite_database):
    run_state_machine_as_test(
        lambda: Shipping(sqlite_database),
        settings=settings(max_examples=30, stateful_step_count=12, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
