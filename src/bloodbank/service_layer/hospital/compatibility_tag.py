"""The compatibility tag printed at issue: the patient, the unit and the basis of the match, with barcodes.

Printing it is recorded against the issue (a reprint too), and only someone who sees the patient may print it.
"""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import Crossmatch, Hospital, Issue
from bloodbank.adapters.labels.compatibility_tag import CompatibilityTag, compatibility_tag_pdf
from bloodbank.adapters.labels.lettering import Catalogue, lettering_in
from bloodbank.domain import compatibility_tag as rules
from bloodbank.domain.isbt128 import default_product_table, parse_din
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.issue import issue_view
from bloodbank.service_layer.hospital.patients import current_patient, patient_view
from bloodbank.service_layer.shared.clocks import hospital_clock
from bloodbank.service_layer.shared.unit_moves import load_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def print_tag(uow: UnitOfWork, *, issue_id: int, language: str | None = None,
              catalogue: Catalogue | None = None) -> bytes:
    """The tag in `language`, the language of whoever prints it (the ward reads it); `catalogue` gives its words."""
    with uow:
        session = uow.session
        issue: Issue = scope.issue(uow, issue_id)
        unit = load_unit(session, issue.unit_id)
        view = issue_view(session, issue, unit)
        patient = patient_view(session, current_patient(session, issue.patient_id))
        hospital = session.get(Hospital, patient.hospital_id) if patient.hospital_id is not None else None
        clock = hospital_clock(session, hospital)
        crossmatched = session.execute(select(Crossmatch.id).where(Crossmatch.id == issue.crossmatch_id)
                                       ).first() is not None
        basis = rules.basis(emergency=issue.emergency, electronic=issue.electronic, crossmatched=crossmatched)
        table = default_product_table()
        tag = CompatibilityTag(
            issue_id=issue.id, tag_code=rules.tag_code(issue.id), patient_name=patient.display_name,
            date_of_birth=patient.date_of_birth, sex=patient.sex, identifiers=patient.identifiers,
            band_code=_band_code(patient.identifiers),
            hospital=hospital.code if hospital is not None else "", din=unit.din,
            din_barcode=parse_din(unit.din).barcode, product_code=unit.product_code,
            product_name=table.get(unit.product_code).name if unit.product_code in table else unit.product_code,
            blood_group=unit.blood_group, expires_at=unit.expires_at.astimezone(clock).replace(tzinfo=None),
            basis=rules.BASES[basis], emergency=issue.emergency,
            issued_at=issue.issued_at.astimezone(clock).replace(tzinfo=None), issued_by=issue.issued_by,
            manual_checks=view.manual_checks,
        )
        pdf = compatibility_tag_pdf(tag, lettering_in(language, catalogue))
        uow.audit("print_compatibility_tag", "issue", issue.id, new={"unit": unit.din, "basis": basis})
        uow.commit()
        return pdf


def _band_code(identifiers: tuple[tuple[str, str], ...]) -> str | None:
    """The patient's identifier written as a band's barcode carries it, which the bedside check reads back."""
    return f"{identifiers[0][0]}:{identifiers[0][1]}" if identifiers else None
