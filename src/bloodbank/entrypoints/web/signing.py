"""Acts that need an electronic signature: release, discard, emergency release, recall, overrides.

The signer re-enters their own password before the act; a wrong password is
logged and nothing is done. Once the act has succeeded its signature is
recorded with the signer's name, the time and the meaning they agreed to.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from bloodbank.entrypoints.web.security import Caller
from bloodbank.service_layer.staff import signatures

T = TypeVar("T")


def signed(caller: Caller, *, password: str, action: str, act: Callable[[], T],
           record: Callable[[T], tuple[str, str, object]]) -> T:
    """Run `act` under the caller's signature; `record(result)` gives (subject, entity, entity_id)."""
    return signatures.signed_act(caller.uow, user_id=caller.user_id, password=password, action=action, act=act,
                                 record=record)
