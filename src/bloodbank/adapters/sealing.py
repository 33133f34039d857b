"""Files sealed with a passphrase: a backup that leaves the building reads as noise without it.

The passphrase is stretched with scrypt (a fresh salt per file) into a Fernet key
(AES-128-CBC with HMAC-SHA256, from `cryptography`). The file is sealed in
chunks, so a database of any size streams through in constant memory; each
chunk carries its number and whether it is the last one inside the
authenticated part, so a chunk cut off, repeated or moved is detected, not
restored.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"BLOODBANK-SEALED-1\n"
CHUNK = 1 << 20
SALT_BYTES = 16
# scrypt's interactive-use cost (RFC 7914 §2 suggests N=2^20 for files; 2^17 keeps a restore on a small
# laptop under a second or two while costing an attacker 128 MiB per guess).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 17, 8, 1
_HEADER = struct.Struct(">QB")  # chunk number, last-chunk flag
_LENGTH = struct.Struct(">I")


class SealError(ValueError):
    """A sealed file that cannot be opened: wrong passphrase, damaged, or cut short."""


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _key(passphrase: str, salt: bytes) -> Fernet:
    if not passphrase:
        raise SealError("The passphrase is empty.")
    raw = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(raw))


def _chunks(handle: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    current = handle.read(CHUNK)
    while True:
        following = handle.read(CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def seal(source: Path, target: Path, passphrase: str, *, salt: bytes) -> None:
    """Write `source` sealed to `target` (which is created; the caller chooses its permissions)."""
    fernet = _key(passphrase, salt)
    with open(source, "rb") as plain, open(target, "r+b") as sealed:
        sealed.truncate(0)
        sealed.write(MAGIC + salt)
        for number, (data, last) in enumerate(_chunks(plain)):
            token = fernet.encrypt(_HEADER.pack(number, last) + data)
            sealed.write(_LENGTH.pack(len(token)) + token)


def unseal(source: Path, target: Path, passphrase: str) -> None:
    """Write the contents of the sealed `source` to `target`; refuses a wrong passphrase or a damaged file."""
    with open(source, "rb") as sealed, open(target, "r+b") as plain:
        plain.truncate(0)
        if sealed.read(len(MAGIC)) != MAGIC:
            raise SealError("This file is not a sealed bloodbank backup.")
        salt = sealed.read(SALT_BYTES)
        fernet = _key(passphrase, salt)
        expected, finished = 0, False
        while True:
            length = sealed.read(_LENGTH.size)
            if not length:
                break
            if finished or len(length) < _LENGTH.size:
                raise SealError("The backup is damaged: it goes on after its last part.")
            token = sealed.read(_LENGTH.unpack(length)[0])
            try:
                content = fernet.decrypt(token)
            except InvalidToken:
                raise SealError("The passphrase is wrong, or the backup is damaged.") from None
            number, last = _HEADER.unpack_from(content)
            if number != expected:
                raise SealError("The backup is damaged: its parts are out of order.")
            plain.write(content[_HEADER.size:])
            expected, finished = expected + 1, bool(last)
        if not finished:
            raise SealError("The backup is cut short: its last part is missing.")
