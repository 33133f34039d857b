"""A sealed file opens only with its passphrase, whole and in order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from bloodbank.adapters import sealing

SALT = b"\x01" * sealing.SALT_BYTES


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    # Small chunks let a few bytes span several parts, so ordering and the last-part flag are exercised.
    monkeypatch.setattr(sealing, "CHUNK", 7)
    # The key's cost is not what these tests check; the real cost stays in the shipped constant.
    monkeypatch.setattr(sealing, "SCRYPT_N", 1 << 10)


def sealed(tmp_path, data: bytes, passphrase: str = "pass phrase") -> bytes:
    (tmp_path / "plain").write_bytes(data)
    (tmp_path / "sealed").touch()
    sealing.seal(tmp_path / "plain", tmp_path / "sealed", passphrase, salt=SALT)
    return (tmp_path / "sealed").read_bytes()


def opened(tmp_path, content: bytes, passphrase: str = "pass phrase") -> bytes:
    (tmp_path / "in").write_bytes(content)
    (tmp_path / "out").touch()
    sealing.unseal(tmp_path / "in", tmp_path / "out", passphrase)
    return (tmp_path / "out").read_bytes()


@settings(max_examples=8, deadline=None)
@given(data=st.binary(max_size=60))
def test_what_is_sealed_opens_to_the_same_bytes(tmp_path_factory, data):
    tmp_path = tmp_path_factory.mktemp("seal")
    assert opened(tmp_path, sealed(tmp_path, data)) == data


def test_a_wrong_passphrase_opens_nothing(tmp_path):
    with pytest.raises(sealing.SealError, match="passphrase is wrong"):
        opened(tmp_path, sealed(tmp_path, b"donor answers"), passphrase="guess")


def test_a_file_missing_its_last_part_is_refused(tmp_path):
    content = sealed(tmp_path, b"x" * 30)
    header = len(sealing.MAGIC) + sealing.SALT_BYTES
    first_length = int.from_bytes(content[header:header + 4], "big")
    with pytest.raises(sealing.SealError, match="cut short"):
        opened(tmp_path, content[:header + 4 + first_length])


def test_parts_swapped_are_refused(tmp_path):
    content = sealed(tmp_path, b"a" * 7 + b"b" * 7 + b"c" * 3)
    header = len(sealing.MAGIC) + sealing.SALT_BYTES
    parts, at = [], header
    while at < len(content):
        length = int.from_bytes(content[at:at + 4], "big")
        parts.append(content[at:at + 4 + length])
        at += 4 + length
    swapped = content[:header] + parts[1] + parts[0] + b"".join(parts[2:])
    with pytest.raises(sealing.SealError, match="out of order"):
        opened(tmp_path, swapped)
