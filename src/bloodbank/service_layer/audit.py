"""Reading the audit log: verification and listing."""

from __future__ import annotations

from bloodbank.adapters.db import audit_log
from bloodbank.service_layer.unit_of_work import UnitOfWork


def verify_chain(uow: UnitOfWork) -> audit_log.ChainReport:
    with uow:
        return audit_log.verify(uow.session)
