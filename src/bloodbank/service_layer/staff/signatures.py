"""Electronic signatures: the signer re-enters their password; the record names them, the time and the meaning."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from bloodbank.adapters.db.models import Signature, User
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import verify_password
from bloodbank.domain import access
from bloodbank.domain.errors import SignatureRefused
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


T = TypeVar("T")


@dataclass(frozen=True)
class SignatureView:
    id: int
    signer_name: str
    username: str
    signed_at: datetime
    action: str
    meaning: str
    entity: str
    entity_id: str


def check_signer(uow: UnitOfWork, *, user_id: int, password: str, action: str) -> None:
    """Before the act: the password must be the signer's own. A wrong one is logged and stops the act."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None or not user.active or not verify_password(user.password_hash, password or ""):
            uow.audit("signature_refused", "user", user_id, new={"action": action})
            uow.commit()
            raise SignatureRefused("The password does not match: the action was not signed and nothing was done.")
        # A password someone else set (a reset) or a machine's account signs for nobody.
        if user.must_change_password or user.service_account:
            uow.audit("signature_refused", "user", user_id, new={"action": action})
            uow.commit()
            raise SignatureRefused("Choose your own password first: a password set by someone else does not sign."
                                   if user.must_change_password else "A service account never signs.")


def sign(uow: UnitOfWork, *, user_id: int, action: str, subject: str, entity: str, entity_id: object) -> SignatureView:
    """After the act succeeded: the signature record, in the words the signer agreed to."""
    meaning = access.signature_meaning(action, subject)
    with uow:
        user = uow.session.get(User, user_id)
        row = Signature(user_id=user.id, signer_name=user.full_name, signed_at=utcnow(), action=action,
                        meaning=meaning, entity=entity, entity_id=str(entity_id))
        uow.session.add(row)
        uow.session.flush()
        uow.audit("sign", entity, entity_id, new={"action": action, "meaning": meaning, "signer": user.username})
        uow.commit()
        return _view(row, user.username)


def signed_act(make_uow: Callable[[], UnitOfWork], *, user_id: int, password: str, action: str,
               act: Callable[[], T], record: Callable[[T], tuple[str, str, object]]) -> T:
    """Run `act` under the signer's signature, whatever the entry point.

    The password is checked before the act (a wrong one stops it, logged); the
    signature is written once the act has succeeded. `record(result)` gives
    (subject, entity, entity_id).
    """
    check_signer(make_uow(), user_id=user_id, password=password, action=action)
    result = act()
    subject, entity, entity_id = record(result)
    sign(make_uow(), user_id=user_id, action=action, subject=subject, entity=entity, entity_id=entity_id)
    return result


def _view(row: Signature, username: str) -> SignatureView:
    return SignatureView(id=row.id, signer_name=row.signer_name, username=username, signed_at=row.signed_at,
                         action=row.action, meaning=row.meaning, entity=row.entity, entity_id=row.entity_id)


def signatures_for(uow: UnitOfWork, *, entity: str, entity_id: object) -> list[SignatureView]:
    with uow:
        rows = uow.session.execute(
            select(Signature, User.username).join(User, User.id == Signature.user_id)
            .where(Signature.entity == entity, Signature.entity_id == str(entity_id)).order_by(Signature.id)
        ).all()
        return [_view(row, name) for row, name in rows]
