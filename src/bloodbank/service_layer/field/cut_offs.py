"""A supply cut-off: the medical director's signed declaration that tested blood cannot reach a site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Site, SupplyCutOff
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.field.emergencies import active_cut_off
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CutOffView:
    id: int
    site_id: int
    site_name: str
    reason: str
    declared_at: datetime
    declared_by: str
    ended_at: datetime | None
    ended_by: str | None

    @property
    def in_force(self) -> bool:
        return self.ended_at is None


def _view(row: SupplyCutOff, site: Site) -> CutOffView:
    return CutOffView(id=row.id, site_id=row.site_id, site_name=site.name, reason=row.reason,
                      declared_at=row.declared_at, declared_by=row.declared_by, ended_at=row.ended_at,
                      ended_by=row.ended_by)


def subject(site_name: str) -> str:
    return site_name


def declare_cut_off(uow: UnitOfWork, *, site_id: int, reason: str) -> CutOffView:
    """Signed by the medical director (`signatures.signed_act`): the entry points wrap this call."""
    reason = clean_text(reason or "", "the reason", 1000, multiline=True).strip()
    if not reason:
        raise InvalidInput(N_("Say why tested blood cannot reach the site (e.g. 'road cut, no resupply for 48 h')."))
    with uow:
        session = uow.session
        site = load_site(session, site_id)
        if active_cut_off(session, site_id) is not None:
            raise Conflict(N_("A supply cut-off is already in force at %(site)s."), params={"site": site.name})
        row = SupplyCutOff(site_id=site_id, reason=reason, declared_at=utcnow(), declared_by=uow.actor)
        session.add(row)
        session.flush()
        uow.audit("declare", "supply_cut_off", row.id, new=snapshot(row), reason=reason)
        view = _view(row, site)
        uow.commit()
    return view


def end_cut_off(uow: UnitOfWork, *, cut_off_id: int) -> CutOffView:
    """From now on nothing not fully tested is collected or issued under this cut-off."""
    with uow:
        session = uow.session
        row = session.execute(select(SupplyCutOff).where(SupplyCutOff.id == cut_off_id).with_for_update()
                              ).scalar_one_or_none()
        if row is None:
            raise NotFound(N_("No supply cut-off %(cut_off)s."), params={"cut_off": cut_off_id})
        if row.ended_at is not None:
            raise Conflict(N_("Supply cut-off %(cut_off)s already ended."), params={"cut_off": cut_off_id})
        row.ended_at, row.ended_by = utcnow(), uow.actor
        session.flush()
        uow.audit("end", "supply_cut_off", row.id, old={"ended_at": None}, new={"ended_at": row.ended_at})
        view = _view(row, session.get(Site, row.site_id))
        uow.commit()
    return view


def list_cut_offs(uow: UnitOfWork, *, site_id: int | None = None) -> list[CutOffView]:
    with uow:
        statement = select(SupplyCutOff, Site).join(Site, Site.id == SupplyCutOff.site_id)
        if site_id is not None:
            statement = statement.where(SupplyCutOff.site_id == site_id)
        rows = uow.session.execute(statement.order_by(SupplyCutOff.id.desc())).all()
        return [_view(row, site) for row, site in rows]


def get_cut_off(uow: UnitOfWork, cut_off_id: int) -> CutOffView:
    with uow:
        row = uow.session.get(SupplyCutOff, cut_off_id)
        if row is None:
            raise NotFound(N_("No supply cut-off %(cut_off)s."), params={"cut_off": cut_off_id})
        return _view(row, uow.session.get(Site, row.site_id))
