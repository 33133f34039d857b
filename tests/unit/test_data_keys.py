"""A sealed value opens only with its key, in its own column, unchanged; the key ring is kept where it is safe."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from hypothesis import given, settings, strategies as st

from bloodbank.adapters import data_keys
from bloodbank.adapters.data_keys import KeyRing, SealedValueError
from bloodbank.domain.errors import DataKeyUnavailable

RING = KeyRing.generate("k1")
contexts = st.sampled_from(["test_result.outcome", "deferral.code", "deferral.reason", "visit.questionnaire",
                            "confidential_answer.answer"])


@given(plaintext=st.binary(max_size=300), context=contexts)
def test_what_is_sealed_opens_to_the_same_bytes(plaintext, context):
    assert RING.open(context, RING.seal(context, plaintext)) == plaintext


@given(plaintext=st.text(max_size=80), context=contexts)
def test_a_sealed_value_names_its_key_and_shows_nothing_of_the_text(plaintext, context):
    token = RING.seal(context, plaintext.encode())
    assert data_keys.key_id_of(token) == "k1" and token.startswith("s1:k1:")
    if len(plaintext) >= 4:
        assert plaintext not in token


@given(first=st.binary(max_size=31), second=st.binary(max_size=31))
def test_short_values_seal_to_the_same_length_whatever_they_say(first, second):
    # "use" and "not", "hiv" and "tattoo", "negative" and "indeterminate": one length for all.
    assert len(RING.seal("x.y", first)) == len(RING.seal("x.y", second))


@given(plaintext=st.binary(max_size=100))
def test_the_same_value_seals_differently_every_time(plaintext):
    assert RING.seal("x.y", plaintext) != RING.seal("x.y", plaintext)


@given(data=st.binary(max_size=200))
def test_padding_is_removed_exactly(data):
    padded = data_keys.pad(data)
    assert len(padded) % data_keys.PAD_TO == 0 and len(padded) > len(data)
    assert data_keys.unpad(padded) == data


@settings(max_examples=200)
@given(plaintext=st.binary(max_size=60), position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_a_sealed_value_changed_in_any_bit_does_not_open(plaintext, position, bit):
    token = RING.seal("test_result.outcome", plaintext)
    prefix = data_keys.prefix_of("k1")
    raw = bytearray(data_keys._unb64(token[len(prefix):]))
    raw[position % len(raw)] ^= 1 << bit
    with pytest.raises(SealedValueError):
        RING.open("test_result.outcome", prefix + data_keys._b64(bytes(raw)))


@given(plaintext=st.binary(max_size=60), cut=st.integers(min_value=1, max_value=40))
def test_a_sealed_value_cut_short_does_not_open(plaintext, cut):
    token = RING.seal("test_result.outcome", plaintext)
    with pytest.raises(SealedValueError):
        RING.open("test_result.outcome", token[:-cut])


@given(plaintext=st.binary(max_size=60), source=contexts, target=contexts)
def test_a_value_moved_to_another_column_does_not_open(plaintext, source, target):
    token = RING.seal(source, plaintext)
    if source == target:
        assert RING.open(target, token) == plaintext
    else:
        with pytest.raises(SealedValueError, match="belongs to another column"):
            RING.open(target, token)


def test_a_value_relabelled_with_another_key_of_the_ring_does_not_open():
    ring = RING.with_new_key("k2")
    token = ring.seal("deferral.code", b"hiv")
    relabelled = data_keys.prefix_of("k1") + token[len(data_keys.prefix_of("k2")):]
    with pytest.raises(SealedValueError):
        ring.open("deferral.code", relabelled)


def test_plain_text_in_a_sealed_column_is_refused_not_passed_through():
    with pytest.raises(SealedValueError, match="not a sealed value"):
        RING.open("test_result.outcome", "reactive")


def test_a_value_sealed_with_a_key_the_ring_lacks_names_the_key():
    other = KeyRing.generate("gone")
    with pytest.raises(DataKeyUnavailable, match="data key gone, which is not in the key ring"):
        RING.open("deferral.code", other.seal("deferral.code", b"hiv"))


def test_a_new_key_seals_from_now_on_and_the_old_one_still_opens_what_it_sealed():
    old_value = RING.seal("deferral.reason", b"tattoo on the left arm")
    rotated = RING.with_new_key("k2")
    assert rotated.current == "k2" and set(rotated.keys) == {"k1", "k2"}
    assert data_keys.key_id_of(rotated.seal("deferral.reason", b"x")) == "k2"
    assert rotated.open("deferral.reason", old_value) == b"tattoo on the left arm"
    retired = rotated.without("k1")
    assert set(retired.keys) == {"k2"}
    with pytest.raises(DataKeyUnavailable):
        retired.open("deferral.reason", old_value)


def test_the_current_key_cannot_be_retired():
    with pytest.raises(DataKeyUnavailable, match="is the current one"):
        RING.with_new_key("k2").without("k2")


def test_the_environment_lists_keys_current_first_and_reads_back_the_same():
    ring = RING.with_new_key("k2")
    text = data_keys.environment_text(ring)
    assert text.startswith("k2:")
    again = data_keys.parse_environment(text)
    assert (again.current, dict(again.keys)) == ("k2", dict(ring.keys))


@pytest.mark.parametrize("text", ["k1", "k1:", "k1:abc", "k1:" + base64.b64encode(os.urandom(16)).decode(), " , "])
def test_a_malformed_environment_key_list_is_refused_in_words(text):
    with pytest.raises(DataKeyUnavailable, match="BLOODBANK_DATA_KEYS"):
        data_keys.parse_environment(text)


def test_a_key_file_is_written_readable_by_its_owner_only_and_reads_back(tmp_path):
    path = tmp_path / "keys" / "data-keys"
    data_keys.write_file(path, RING.with_new_key("k2"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["data-keys"]  # no temporary file left behind
    again = data_keys.read_file(path)
    assert again.current == "k2" and set(again.keys) == {"k1", "k2"}


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_key_file_others_can_read_is_refused(tmp_path, mode):
    path = tmp_path / "data-keys"
    data_keys.write_file(path, RING)
    path.chmod(mode)
    with pytest.raises(DataKeyUnavailable, match=f"can be read by other users.*mode {mode:o}.*chmod 600"):
        data_keys.read_file(path)


def test_a_missing_or_foreign_key_file_is_refused_in_words(tmp_path):
    with pytest.raises(DataKeyUnavailable, match="no data key file at .*bloodbank keys init"):
        data_keys.read_file(tmp_path / "nowhere")
    other = tmp_path / "other"
    other.write_text('{"hello": 1}')
    other.chmod(0o600)
    with pytest.raises(DataKeyUnavailable, match="is not a bloodbank data key file"):
        data_keys.read_file(other)


def test_a_key_of_the_wrong_length_is_refused():
    with pytest.raises(DataKeyUnavailable, match="32 random bytes"):
        KeyRing("k1", {"k1": b"short"})
