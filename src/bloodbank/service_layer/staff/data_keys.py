"""The data keys that seal donors' confidences: create the key file, see which key seals what, rotate, retire.

A rotation adds a key, makes it current (new values are sealed with it at
once, by every process reading the key file) and seals every stored value
again under it, batch by batch; `reseal` finishes one that was interrupted. A
key is retired (removed from the ring) only when no stored value needs it any
more: a key removed too early would leave those values unreadable for good.
Each of these is audited with the key's id, never its material.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bloodbank.adapters import data_keys
from bloodbank.adapters.db import resealing
from bloodbank.domain.errors import Conflict, DataKeyUnavailable, InvalidInput
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

BATCH = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class KeyStatus:
    source: str  # "file", "environment" or "none"
    path: str | None
    current: str | None
    keys: tuple[str, ...]
    values_by_key: dict[str, int]  # stored values each key of the ring seals
    unknown_key_values: int  # stored values sealed with a key the ring lacks
    problem: str | None  # why the ring cannot be used, when it cannot

    @property
    def under_older_keys(self) -> int:
        return sum(n for key, n in self.values_by_key.items() if key != self.current)


@dataclass(frozen=True)
class KeyFile:
    path: str
    key_id: str
    created: bool


@dataclass(frozen=True)
class ResealReport:
    key_id: str
    resealed: int
    left: int  # values still under another key (written by a process that had not yet read the new key)


def create_key_file(path: str | Path | None = None) -> KeyFile:
    """A key file with one new key at `path` (or where the configuration says), unless one is there already."""
    target = Path(path) if path else data_keys.configured_source().path
    if target is None:
        raise InvalidInput("Say where the key file goes: --file PATH, or set BLOODBANK_DATA_KEY_FILE. Keep it "
                           "outside the database's folder and back it up apart from the database.")
    if target.exists():
        return KeyFile(str(target), data_keys.read_file(target).current, created=False)
    ring = data_keys.KeyRing.generate()
    data_keys.write_file(target, ring)
    return KeyFile(str(target), ring.current, created=True)


def new_environment_key(ring_text: str = "") -> str:
    """`BLOODBANK_DATA_KEYS` with a new key first (current), followed by the keys given."""
    ring = data_keys.parse_environment(ring_text) if ring_text.strip() else None
    fresh = ring.with_new_key() if ring else data_keys.KeyRing.generate()
    return data_keys.environment_text(fresh)


def key_status(uow: UnitOfWork) -> KeyStatus:
    """Where the keys come from and how many stored values each one seals (read, not changed)."""
    try:
        source = data_keys.configured_source()
        ring = data_keys.active_ring(recheck=True)
    except DataKeyUnavailable as error:
        path = None
        try:
            source = data_keys.configured_source()
            path = str(source.path) if source.path else None
        except DataKeyUnavailable:
            source = data_keys.KeySource("none")
        return KeyStatus(source.kind, path, None, (), {}, 0, error.message)
    with uow:
        found = resealing.usage(uow.session.connection(), ring)
    return KeyStatus(
        source.kind, str(source.path) if source.path else None, ring.current, tuple(sorted(ring.keys)),
        {key: found.of_key(key) for key in sorted(ring.keys)}, found.of_key(None), None,
    )


def rotate(uow: UnitOfWork, *, progress: Progress | None = None) -> ResealReport:
    """A new current key in the key file, then every stored value sealed again under it."""
    path = _key_file("rotate")
    ring = data_keys.read_file(path)
    rotated = ring.with_new_key()
    data_keys.write_file(path, rotated)
    data_keys.reload_ring()
    with uow:
        uow.audit("rotate", "data_key", rotated.current, new={"current": rotated.current,
                                                             "kept": sorted(set(ring.keys))})
        uow.commit()
    return reseal(uow, progress=progress)


def reseal(uow: UnitOfWork, *, progress: Progress | None = None, batch: int = BATCH) -> ResealReport:
    """Every stored value not under the current key sealed again under it; safe to stop and run again."""
    ring = data_keys.active_ring(recheck=True)
    with uow:
        found = resealing.usage(uow.session.connection(), ring)
    if found.of_key(None):
        raise DataKeyUnavailable(f"{found.of_key(None)} stored value(s) are sealed with a key the key ring does "
                                 "not hold: restore that key before resealing. Nothing was changed.")
    total, done = found.total() - found.of_key(ring.current), 0
    if progress:
        progress(done, total)
    for sealed in resealing.columns():
        after: object = None
        while True:
            with uow:
                rewritten, after = resealing.reseal_batch(uow.session.connection(), sealed, ring, limit=batch,
                                                          after=after)
                uow.commit()
            done += rewritten
            if progress:
                progress(done, total)
            if after is None:
                break
    with uow:
        left = resealing.usage(uow.session.connection(), ring)
        left_over = left.total() - left.of_key(ring.current)
        uow.audit("reseal", "data_key", ring.current, new={"current": ring.current, "resealed": done,
                                                          "left": left_over})
        uow.commit()
    return ResealReport(ring.current, done, left_over)


def retire(uow: UnitOfWork, *, key_id: str) -> KeyStatus:
    """Remove an old key from the key file, once no stored value is sealed with it."""
    key_id = (key_id or "").strip()
    status = key_status(uow)
    if status.problem:
        raise DataKeyUnavailable(status.problem)
    if key_id not in status.keys:
        raise InvalidInput(f"There is no data key {key_id!r}; the key ring holds {', '.join(status.keys)}.")
    if key_id == status.current:
        raise Conflict(f"The data key {key_id} is the current one: rotate to a new key first.")
    still = status.values_by_key.get(key_id, 0)
    if still:
        raise Conflict(f"{still} stored value(s) are still sealed with the data key {key_id}: run `bloodbank keys "
                       "reseal` (it resumes the rotation), then retire it. Nothing was changed.")
    if status.source == "environment":
        raise Conflict(f"No stored value is sealed with the data key {key_id} any more: remove it from "
                       "BLOODBANK_DATA_KEYS yourself, where the keys are kept, and restart.")
    path = _key_file("retire a key")
    data_keys.write_file(path, data_keys.read_file(path).without(key_id))
    data_keys.reload_ring()
    with uow:
        uow.audit("retire", "data_key", key_id, old={"key": key_id})
        uow.commit()
    return key_status(uow)


def readiness_problem(uow: UnitOfWork) -> str | None:
    """Why a server may not start on this database with these keys, if it may not."""
    status = key_status(uow)
    if status.problem:
        return status.problem
    if status.unknown_key_values:
        return (f"{status.unknown_key_values} stored value(s) are sealed with a data key the key ring does not hold: "
                "restore that key to the key file (or BLOODBANK_DATA_KEYS).")
    return None


def _key_file(what: str) -> Path:
    source = data_keys.configured_source()
    if source.kind == "environment":
        raise Conflict(f"The data keys come from BLOODBANK_DATA_KEYS, which bloodbank cannot change: to {what}, "
                       "put the new key list there (`bloodbank keys init --print` makes one) and restart, "
                       "then run `bloodbank keys reseal`.")
    if source.kind == "none":
        raise DataKeyUnavailable("No data key is configured: set BLOODBANK_DATA_KEY_FILE (create the file with "
                                 "`bloodbank keys init`).")
    return source.path
