"""The keys that seal donors' confidences in the database, held outside it.

A copy of the database (the file, a pg_dump, a backup taken without a
passphrase) must not reveal what donors confided: questionnaire answers,
deferral reasons, infection results, a self-exclusion. Those values are sealed
with AES-256-GCM (`cryptography`); the keys live in a key-ring file
(`BLOODBANK_DATA_KEY_FILE`, readable by its owner only) or in the environment
(`BLOODBANK_DATA_KEYS`), never in the database.

A sealed value reads `s1:<key id>:<nonce and ciphertext, base64url>`. The key
id is in clear so a rotation can proceed value by value and tell what is left
to do; the authenticated data binds the format, the key id and the column the
value belongs to, so a value copied into another column (a result pasted over
a deferral code) does not open. The plaintext is padded to a multiple of 32
bytes, so "hiv" and "tattoo", or "use" and "not", seal to values of the same
length.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bloodbank.config import get_settings
from bloodbank.domain.errors import DataKeyUnavailable

FORMAT = "s1"
FILE_FORMAT = "bloodbank data keys 1"
KEY_BYTES = 32
NONCE_BYTES = 12
PAD_TO = 32
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
PRIVATE = 0o600
# How often a long-running process looks at the key file for a rotation made by another process.
RELOAD_SECONDS = 1.0


class SealedValueError(ValueError):
    """A sealed value that does not open: changed, moved from another column, or not sealed at all."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding to a multiple of PAD_TO: a 0x80 byte, then zeros."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % PAD_TO)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise SealedValueError("the sealed value's padding is damaged")
    return stripped[:-1]


def key_id_of(token: str) -> str | None:
    """The id of the key a sealed value was sealed with, or None if it is not a sealed value."""
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == FORMAT else None


def prefix_of(key_id: str) -> str:
    """What every value sealed with this key starts with (for finding them in SQL)."""
    return f"{FORMAT}:{key_id}:"


def new_key_id(now: datetime | None = None) -> str:
    """A readable, unique id: the day it was made and a random tail (`20261204-3fa9`)."""
    day = (now or datetime.now(timezone.utc)).strftime("%Y%m%d")
    return f"{day}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class KeyRing:
    """Every key that may have sealed a value still stored; `current` seals new ones."""

    current: str
    keys: Mapping[str, bytes]
    _ciphers: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if not KEY_ID.match(key_id):
                raise DataKeyUnavailable(f"The data key id {key_id!r} is not valid: use letters, digits, '-' "
                                         "and '_' (at most 32).")
            if len(key) != KEY_BYTES:
                raise DataKeyUnavailable(f"The data key {key_id} is {len(key)} bytes long; a data key is "
                                         f"{KEY_BYTES} random bytes.")
        if self.current not in self.keys:
            raise DataKeyUnavailable(f"The current data key {self.current!r} is not among the keys given.")

    @classmethod
    def generate(cls, key_id: str | None = None) -> "KeyRing":
        key_id = key_id or new_key_id()
        return cls(key_id, {key_id: AESGCM.generate_key(bit_length=KEY_BYTES * 8)})

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return cipher

    def seal(self, context: str, plaintext: bytes) -> str:
        """`plaintext` sealed under the current key for the place named by `context` (table.column)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(self.current).encrypt(nonce, pad(plaintext), _associated(self.current, context))
        return prefix_of(self.current) + _b64(nonce + sealed)

    def open(self, context: str, token: str) -> bytes:
        """The plaintext of a value sealed for `context` with any key of this ring."""
        key_id = key_id_of(token)
        if key_id is None:
            raise SealedValueError("the stored value is not a sealed value")
        if key_id not in self.keys:
            raise DataKeyUnavailable(f"A value is sealed with the data key {key_id}, which is not in the key "
                                     "ring: restore that key to the key file (or BLOODBANK_DATA_KEYS).")
        try:
            raw = _unb64(token[len(prefix_of(key_id)):])
            plaintext = self._cipher(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                                      _associated(key_id, context))
        except (InvalidTag, ValueError, binascii.Error):
            raise SealedValueError(f"a sealed value of {context} does not open: it was changed, or belongs "
                                   "to another column") from None
        return unpad(plaintext)

    def with_new_key(self, key_id: str | None = None) -> "KeyRing":
        """This ring with a new key, made current; the old ones stay to open what they sealed."""
        key_id = key_id or new_key_id()
        while key_id in self.keys:
            key_id = new_key_id()
        return KeyRing(key_id, {**self.keys, key_id: AESGCM.generate_key(bit_length=KEY_BYTES * 8)})

    def without(self, key_id: str) -> "KeyRing":
        if key_id not in self.keys:
            raise DataKeyUnavailable(f"There is no data key {key_id!r} in the key ring "
                                     f"(it holds {', '.join(sorted(self.keys))}).")
        if key_id == self.current:
            raise DataKeyUnavailable(f"The data key {key_id} is the current one: rotate to a new key first.")
        return KeyRing(self.current, {k: v for k, v in self.keys.items() if k != key_id})


def _associated(key_id: str, context: str) -> bytes:
    return f"{FORMAT}:{key_id}:{context}".encode("utf-8")


# ---------------------------------------------------------------- where the keys are kept


def parse_environment(text: str) -> KeyRing:
    """`BLOODBANK_DATA_KEYS`: `ID:KEY` pairs (KEY in base64), separated by commas; the first is current."""
    keys: dict[str, bytes] = {}
    for entry in [e.strip() for e in text.replace("\n", ",").split(",") if e.strip()]:
        key_id, _, encoded = entry.partition(":")
        try:
            key = _unb64(encoded.strip().replace("+", "-").replace("/", "_"))
        except (ValueError, binascii.Error):
            key = b""
        if not encoded or len(key) != KEY_BYTES:
            raise DataKeyUnavailable(f"BLOODBANK_DATA_KEYS: the entry for {key_id.strip()!r} is not ID:KEY with a "
                                     f"key of {KEY_BYTES} bytes in base64.")
        keys.setdefault(key_id.strip(), key)
    if not keys:
        raise DataKeyUnavailable("BLOODBANK_DATA_KEYS is set but holds no key.")
    return KeyRing(next(iter(keys)), keys)


def environment_text(ring: KeyRing) -> str:
    """The ring as `BLOODBANK_DATA_KEYS` reads it, current key first."""
    order = [ring.current, *sorted(k for k in ring.keys if k != ring.current)]
    return ",".join(f"{k}:{_b64(ring.keys[k])}" for k in order)


def file_problem(path: Path) -> str | None:
    """Why the key file may not be used as it is, if it may not."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return (f"The data key file {path} can be read by other users of this computer (mode {mode:o}): "
                f"chmod 600 {path}.")
    return None


def read_file(path: Path) -> KeyRing:
    try:
        problem = file_problem(path)
        if problem:
            raise DataKeyUnavailable(problem)
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataKeyUnavailable(f"There is no data key file at {path}: create it with `bloodbank keys init`, "
                                 "or restore it from where it is kept.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataKeyUnavailable(f"The data key file {path} cannot be read: {error}.") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT \
            or not isinstance(document.get("keys"), dict):
        raise DataKeyUnavailable(f"{path} is not a bloodbank data key file.")
    try:
        keys = {str(k): _unb64(str(v)) for k, v in document["keys"].items()}
    except (ValueError, binascii.Error):
        raise DataKeyUnavailable(f"The data key file {path} holds a key that is not base64.") from None
    return KeyRing(str(document.get("current")), keys)


def write_file(path: Path, ring: KeyRing) -> None:
    """Replace the key file in one step, readable by its owner only: a crash leaves the old file or the new."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    document = {"format": FILE_FORMAT, "current": ring.current,
                "keys": {k: _b64(v) for k, v in sorted(ring.keys.items())}}
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, PRIVATE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- the ring this process uses


@dataclass(frozen=True)
class KeySource:
    """Where this installation's keys come from: "file", "environment", or "none"."""

    kind: str
    path: Path | None = None


def configured_source() -> KeySource:
    settings = get_settings()
    from_environment = settings.data_keys.get_secret_value().strip()
    if from_environment and settings.data_key_file:
        raise DataKeyUnavailable("Both BLOODBANK_DATA_KEYS and BLOODBANK_DATA_KEY_FILE are set: keep the data "
                                 "keys in one place.")
    if from_environment:
        return KeySource("environment")
    if settings.data_key_file:
        return KeySource("file", Path(settings.data_key_file))
    return KeySource("none")


class _Active:
    """The ring in use, loaded on first need; a key file changed by a rotation is read again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.forget()

    def forget(self) -> None:
        self.ring: KeyRing | None = None
        self.pinned = False
        self.signature: tuple | None = None
        self.checked = 0.0

    def get(self, *, recheck: bool = False) -> KeyRing:
        with self.lock:
            if self.pinned and self.ring is not None:
                return self.ring
            now = time.monotonic()
            if self.ring is None or recheck or now - self.checked >= RELOAD_SECONDS:
                self._load()
                self.checked = now
            if self.ring is None:
                raise DataKeyUnavailable(
                    "No data key is configured, so donors' confidences can be neither sealed nor read: set "
                    "BLOODBANK_DATA_KEY_FILE (create the file with `bloodbank keys init`) or BLOODBANK_DATA_KEYS.")
            return self.ring

    def _load(self) -> None:
        source = configured_source()
        if source.kind == "environment":
            if self.ring is None:
                self.ring = parse_environment(get_settings().data_keys.get_secret_value())
            return
        if source.kind == "none":
            self.ring = None
            return
        try:
            info = source.path.stat()
        except FileNotFoundError:
            signature = None
        else:
            signature = (str(source.path), info.st_mtime_ns, info.st_size, info.st_ino)
        if self.ring is None or signature != self.signature:
            self.ring = read_file(source.path)
            self.signature = signature


_active = _Active()


def active_ring(*, recheck: bool = False) -> KeyRing:
    """The ring this process seals and opens with; DataKeyUnavailable, saying what to do, if there is none."""
    return _active.get(recheck=recheck)


def use_ring(ring: KeyRing | None) -> None:
    """Use this ring instead of the configured one (None: go back to the configuration)."""
    with _active.lock:
        _active.forget()
        if ring is not None:
            _active.ring, _active.pinned = ring, True


def reload_ring() -> None:
    """Forget the ring read so far: the next value sealed or opened reads the configuration again."""
    with _active.lock:
        _active.forget()
