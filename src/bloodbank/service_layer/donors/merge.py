"""Merging two records of one person: the history moves, nothing is dropped or deleted.

Every row that points at the duplicate (visits, deferrals, consents,
appointments, donations, records merged into it earlier) is re-pointed at the
survivor, so a deferral recorded under either record stops the person. The
duplicate row stays, with `merged_into_id` set, so its own details remain on
file and look-ups by its number lead to the survivor.
"""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import Donor
from bloodbank.domain.donor_numbers import validate_donor_number
from bloodbank.domain.errors import Conflict, NotFound
from bloodbank.service_layer.donors.registry import DonorView, donor_view
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.record_links import fill_empty_details, lock_pair, merge_reason, repoint_history
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# Details the survivor takes from the duplicate when it has none.
FILLABLE = ("phone", "email", "address", "postcode", "blood_group", "preferred_site_id", "notes")


def merge_donors(uow: UnitOfWork, *, survivor_id: int, duplicate_id: int, reason: str) -> DonorView:
    reason = merge_reason(reason, survivor_id, duplicate_id, person="person")
    with uow:
        session = uow.session
        survivor, duplicate = lock_pair(session, Donor, survivor_id, duplicate_id, record="donor record")
        _refuse_unmergeable(survivor, duplicate)
        before_survivor, before_duplicate = snapshot(survivor), snapshot(duplicate)
        moved = repoint_history(session, Donor.__table__.c.id, duplicate.id, survivor.id)
        _fill_empty_details(survivor, duplicate)
        # A grouping discrepancy blocks release of units; the survivor must not shed it.
        survivor.group_discrepancy = survivor.group_discrepancy or duplicate.group_discrepancy
        duplicate.merged_into_id = survivor.id
        session.flush()
        counts = {table: len(ids) for table, ids in moved.items()}
        uow.audit(
            "merge", "donor", survivor.id,
            old={"survivor": before_survivor, "duplicate": before_duplicate},
            new={"survivor": snapshot(survivor), "duplicate": snapshot(duplicate),
                 "moved": counts, "moved_ids": moved},
            reason=reason,
        )
        old, new = changes(before_duplicate, snapshot(duplicate))
        uow.audit("merged_into", "donor", duplicate.id, old=old, new=new,
                  reason=f"merged into {survivor.donor_number}: {reason}")
        uow.commit()
        return donor_view(survivor)


def _refuse_unmergeable(survivor: Donor, duplicate: Donor) -> None:
    for record in (survivor, duplicate):
        if record.erasure is not None:
            raise Conflict(f"Record {record.donor_number} was erased at the donor's request: it is kept for "
                           "traceability and is merged with nothing.")
    if duplicate.merged_into_id is not None:
        raise Conflict(f"Record {duplicate.donor_number} was already merged into another record; "
                       "it holds no history of its own any more.")
    if survivor.merged_into_id is not None:
        raise Conflict(f"Record {survivor.donor_number} was itself merged into another record: "
                       "merge into that record instead.")
    # Only groups the laboratory confirmed can disagree; a declared one gives way to a confirmed one.
    if (survivor.blood_group_confirmed and duplicate.blood_group_confirmed
            and survivor.blood_group != duplicate.blood_group):
        raise Conflict(
            f"The records disagree on blood group ({survivor.donor_number}: {survivor.blood_group}, "
            f"{duplicate.donor_number}: {duplicate.blood_group}). A group conflict must be resolved by the "
            "lab first (regroup the donor and correct the wrong record); then merge."
        )


def _fill_empty_details(survivor: Donor, duplicate: Donor) -> None:
    if duplicate.blood_group_confirmed and not survivor.blood_group_confirmed:
        survivor.blood_group, survivor.blood_group_confirmed = duplicate.blood_group, True
    fill_empty_details(survivor, duplicate, FILLABLE)
    # Coordinates are one fact: take both or neither.
    if survivor.latitude is None and survivor.longitude is None:
        survivor.latitude, survivor.longitude = duplicate.latitude, duplicate.longitude


def merge_by_number(uow: UnitOfWork, *, survivor_id: int, duplicate_number: str, reason: str) -> DonorView:
    """Merge the record the clerk names by its donor number (read from its card) into `survivor_id`."""
    number = validate_donor_number(duplicate_number)
    with uow:
        duplicate_id = uow.session.execute(select(Donor.id).where(Donor.donor_number == number)).scalar_one_or_none()
    if duplicate_id is None:
        raise NotFound(f"No donor has the number {number}.")
    return merge_donors(uow, survivor_id=survivor_id, duplicate_id=duplicate_id, reason=reason)
