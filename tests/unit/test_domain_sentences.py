"""A sentence the domain writes with values in it reads as English to a program and in the reader's language on
a page; the protocols' texts in the rule file reach the catalogues, their citations do not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_, Text
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.rule_texts import extract
from bloodbank.entrypoints.web.templating import translated

CONFIRMED = N_("Group %(group)s, confirmed on separate samples.")
RULES = Path(__file__).parents[2] / "src/bloodbank/domain/rules/massive_transfusion.toml"


@pytest.fixture
def reader():
    yield languages.use
    languages.use(languages.DEFAULT)


def test_a_sentence_reads_as_its_english_text_with_its_values():
    said = Text(CONFIRMED, group="O+")
    assert said == "Group O+, confirmed on separate samples." and "O+" in said
    assert (said.template, said.params) == (CONFIRMED, {"group": "O+"})


def test_a_page_makes_the_sentence_again_in_french(reader):
    reader("fr")
    assert translated(Text(CONFIRMED, group="O+")) == "Groupe O+, confirmé sur des échantillons distincts."


def test_in_arabic_the_values_stay_as_written_isolated_left_to_right(reader):
    reader("ar")
    shown = str(translated(Text(CONFIRMED, group="O+")))
    assert '<bdi dir="ltr">O+</bdi>' in shown and "Group" not in shown


def test_a_sentence_inside_a_sentence_is_translated_too(reader):
    reader("fr")
    check = Text(N_("Check by hand: the patient needs %(requirement)s components, which this system cannot "
                    "tell from the unit's record."), requirement=Text(N_("washed")))
    assert "déplasmatisé" in translated(check) and "washed" not in translated(check)


def test_an_error_raised_with_a_sentence_keeps_its_template_for_the_reader(reader):
    error = InvalidInput(Text(CONFIRMED, group="A-"))
    assert error.message == "Group A-, confirmed on separate samples."
    reader("fr")
    assert languages.error_message(error) == "Groupe A-, confirmé sur des échantillons distincts."


def test_the_protocols_names_and_descriptions_are_extracted_and_their_citations_are_not():
    texts = [message for _line, _function, message, _comments in
             extract(io.BytesIO(RULES.read_bytes()), (), (), {"keys": "name description"})]
    assert "4 red cells : 4 plasma : 1 platelet dose" in texts
    assert any(t.startswith("The UK major haemorrhage pack") for t in texts)
    assert not any("et al." in t for t in texts) and len(texts) == 6
