from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from bloodbank.domain.errors import DomainError
from bloodbank.service_layer.blood.release import release_unit
from bloodbank.service_layer.blood.testing import record_result, results_for_donation
from tests.integration.lab_fixtures import (
    lab, make_donation, make_pool, make_site, make_unit, pass_all_tests, status_of,
)


def attempt(barrier, action):
    barrier.wait()
    try:
        return action()
    except DomainError as error:  # a refusal or a clash, never anything else
        return error


def test_a_release_racing_a_reactive_result_never_leaves_reactive_blood_in_stock(database):
    site = make_site(database)
    for _ in range(6):
        donation = make_donation(database, site_id=site)
        unit = make_unit(database, donation_id=donation, site_id=site)
        pool_parent = make_unit(database, donation_id=donation, site_id=site, kind="platelets_apheresis",
                                status="processed")
        pool = make_pool(database, parents=[pool_parent], site_id=site, blood_group="A+")
        pass_all_tests(database, donation, skip=("syphilis",))
        barrier = Barrier(3)
        with ThreadPoolExecutor(3) as pool_runner:
            outcomes = list(pool_runner.map(lambda action: attempt(barrier, action), [
                lambda: record_result(lab(database), donation_id=donation, test="syphilis", outcome="reactive"),
                lambda: release_unit(lab(database), unit_id=unit),
                lambda: release_unit(lab(database), unit_id=pool),
            ]))
        assert not any(isinstance(o, Exception) and not isinstance(o, DomainError) for o in outcomes)
        stored = any(r.test == "syphilis" for r in results_for_donation(lab(database), donation))
        if stored:
            assert (status_of(database, unit), status_of(database, pool)) == ("discarded", "discarded")
        else:
            # The result lost the race and was refused: without it the unit cannot have been released.
            assert {status_of(database, unit), status_of(database, pool)} == {"quarantined"}
