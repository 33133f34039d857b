from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bloodbank.domain.blood_groups import ABO, ALL_GROUPS, BloodGroup, parse_group
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.isbt128 import (
    BLOOD_GROUP_CODES,
    COMPONENT_KINDS,
    GROUP_CODES,
    Din,
    GroupLabel,
    IntendedUse,
    InvalidDin,
    ProductCode,
    ProductInfo,
    ProductTable,
    check_character,
    check_value,
    default_product_table,
    encode_blood_group,
    encode_expiry,
    encode_expiry_date,
    encode_product_code,
    identify_scan,
    load_product_table,
    make_din,
    parse_blood_group_code,
    parse_din,
    parse_expiry,
    parse_product_code,
    product,
    products_from_toml,
)

CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
FIN_FIRST = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"

# ---------------------------------------------------------------- check character

PUBLISHED_DINS = [
    ("G123498654321", "H", 17),  # UK Red Book, Annex 2
    ("G123417654321", "A", 10),  # ST-001 Appendix A worked example
]


@pytest.mark.parametrize("din13, check, value", PUBLISHED_DINS)
def test_the_published_check_characters_are_computed(din13, check, value):
    assert check_character(din13) == check
    assert check_value(din13) == value


def test_the_worked_example_has_type_3_flag_70():
    assert make_din("G1234", 17, 654321).type3_flags == "70"
    assert parse_din("=G12341765432170").check == "A"


def test_the_check_satisfies_the_weighted_sum_identity():
    # ISO/IEC 7064: with weights 2^13 ... 2^0 over DIN + check, the sum is 1 mod 37.
    for din13, check, _ in PUBLISHED_DINS:
        chars = din13 + check
        total = sum(CHECK_ALPHABET.index(c) * pow(2, len(chars) - 1 - i, 37) for i, c in enumerate(chars))
        assert total % 37 == 1


@pytest.mark.parametrize("din13, problem", [
    ("G12349865432", "13 characters.*got 12"),
    ("G1234986543210", "13 characters.*got 14"),
    ("G1234#8654321", "Illegal character '#' at position 6"),
    ("g123498654321", "Illegal character 'g' at position 1"),
    ("G12349865432*", r"Illegal character '\*' at position 13"),
])
def test_the_check_character_is_computed_only_over_13_din_characters(din13, problem):
    with pytest.raises(InvalidDin, match=problem):
        check_character(din13)


def test_an_invalid_din_is_an_invalid_input_and_a_value_error():
    with pytest.raises(InvalidDin) as caught:
        parse_din("nonsense")
    assert isinstance(caught.value, InvalidInput)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == "invalid_din"


# ---------------------------------------------------------------- DIN forms

@pytest.mark.parametrize("text", [
    "=G12349865432100",
    "G1234 98 654321 H",
    "G123498654321H",
    "G123498654321",
    "  G1234 98 654321 H\r\n",
    "g1234 98 654321 h",
    "g123498654321",
])
def test_every_accepted_form_of_the_red_book_din_reads_the_same(text):
    din = parse_din(text)
    assert str(din) == "G123498654321"
    assert (din.facility, din.year, din.serial, din.check) == ("G1234", "98", "654321", "H")


def test_a_din_prints_in_its_eye_readable_and_barcode_forms():
    din = make_din("G1234", 98, 654321)
    assert str(din) == din.value == "G123498654321"
    assert din.eye_readable == "G1234 98 654321 H"
    assert din.barcode == "=G12349865432100"
    assert Din("G1234", "98", "654321").barcode == "=G12349865432100"


def test_make_din_pads_year_and_serial():
    din = make_din("A9999", 5, 42)
    assert str(din) == "A999905000042"


def test_the_flags_travel_with_the_din_but_do_not_change_its_identity():
    scanned = parse_din("=G12349865432105")
    assert scanned.flags == "05"
    assert scanned.barcode == "=G12349865432105"
    assert scanned == parse_din("G1234 98 654321 H")


@pytest.mark.parametrize("text, problem", [
    ("G123498654321X", "Check character 'X' does not match DIN G123498654321 \\(expected 'H'\\): re-type"),
    ("G1234 98 654321 I", "Check character 'I' does not match"),
    ("G12349865432", "A DIN has 13 characters \\(facility 5, year 2, serial 6\\); got 12"),
    ("G1234986543211234", "A DIN has 13 characters.*got 17"),
    ("G1234#8654321", "Illegal character '#' at position 6 of the DIN"),
    ("G12349#654321", "Illegal character '#' at position 7 of the DIN"),
    ("G123498654321#", "Illegal check character '#'"),
    ("=G1234986543210", "A scanned DIN has 16 characters.*got 15"),
    ("=G123498654321000", "A scanned DIN has 16 characters.*got 17"),
    ("=g12349865432100", "Illegal character 'g' at position 1.*upper case only"),
    ("=G12349865432A00", "Illegal character 'A' at position 13|serial number"),
    ("O12349865432100"[:13], "cannot start with 'O'.*never the letter O or the digit 0"),
    ("012349865432100"[:13], "cannot start with '0'"),
    ("=O12349865432100", "cannot start with 'O'"),
    ("GA2349865432100"[:13], "four digits; got 'GA234'"),
    ("G1234A8654321", "year.*must be 2 digits; got 'A8'"),
    ("G12349865A321", "serial number.*must be 6 digits; got '65A321'"),
    ("=G123498654321AB", "flag characters after the DIN must be two digits; got 'AB'"),
    ("=G12349865432114", "Flag value 14 is reserved"),
    ("=G12349865432197", "Flag value 97 is reserved"),
    ("=G12349865432199", "Flag value 99 is reserved"),
    ("=G12349865432171", "Flag 71 does not match DIN G123498654321 \\(its check flag is 77\\)"),
    ("=%5100", "This barcode is a blood group \\('=%'\\), not a DIN"),
    ("=<E0398V00", "This barcode is a product code"),
    ("&>0183652359", "This barcode is an expiry date and time"),
    ("=*019031", "This barcode is a collection date"),
    ("", "No DIN was given"),
    ("   ", "No DIN was given"),
    ("G1234\x0098654321H", "control character at position 6"),
    ("G1234\t98\t654321", "control character"),
    ("G\u200b123498654321", "control character at position 2"),
    ("G" * 65, "65 characters: far too long for a DIN"),
    ("G123498654321\u00c9", "Illegal check character"),
    ("\u00c9123498654321", "Illegal character '\u00c9' at position 1"),
])
def test_a_bad_din_is_refused_saying_what_is_wrong(text, problem):
    with pytest.raises(InvalidDin, match=problem):
        parse_din(text)


def test_a_din_that_is_not_text_is_refused():
    with pytest.raises(InvalidDin, match="must be text, not int"):
        parse_din(123)


def test_the_correct_type_3_flag_is_accepted():
    assert parse_din("=G12349865432177").flags == "77"


@pytest.mark.parametrize("flags", ["00", "01", "05", "13", "15", "20", "59"])
def test_ordinary_flags_are_accepted(flags):
    assert parse_din(f"=G123498654321{flags}").flags == flags


@pytest.mark.parametrize("args, problem", [
    (("O1234", 98, 1), "cannot start with 'O'"),
    (("01234", 98, 1), "cannot start with '0'"),
    (("G123", 98, 1), "FIN\\) has 5 characters; got 4"),
    (("G12A4", 98, 1), "four digits"),
    (("G1234", 100, 1), "year is two digits, 0-99; got 100"),
    (("G1234", -1, 1), "year is two digits"),
    (("G1234", 98, 1_000_000), "serial number is 0-999999; got 1000000"),
    (("G1234", 98, -5), "serial number"),
    (("G1234", True, 1), "year"),
    ((1234, 98, 1), "must be text"),
])
def test_make_din_refuses_what_no_label_could_carry(args, problem):
    with pytest.raises(InvalidDin, match=problem):
        make_din(*args)


def test_make_din_refuses_a_wrong_type_3_flag():
    with pytest.raises(InvalidDin, match="Flag 60 does not match"):
        make_din("G1234", 98, 654321, flags="60")


# ---------------------------------------------------------------- DIN properties

dins = st.builds(
    make_din,
    st.builds(lambda first, digits: first + digits, st.sampled_from(FIN_FIRST),
              st.text("0123456789", min_size=4, max_size=4)),
    st.integers(0, 99),
    st.integers(0, 999_999),
)


def _typed(din: Din) -> str:
    return f"{din}{din.check}"


@given(dins, st.integers(0, 13), st.sampled_from(CHECK_ALPHABET))
def test_a_single_character_substitution_is_refused(din, position, replacement):
    typed = _typed(din)
    if typed[position] == replacement:
        replacement = CHECK_ALPHABET[(CHECK_ALPHABET.index(replacement) + 1) % 37]
    mistyped = typed[:position] + replacement + typed[position + 1:]
    with pytest.raises(InvalidDin):
        parse_din(mistyped)


@given(dins, st.integers(0, 12))
def test_a_transposition_of_adjacent_different_characters_is_refused(din, position):
    typed = _typed(din)
    if typed[position] == typed[position + 1]:
        return  # swapping equal characters changes nothing
    swapped = typed[:position] + typed[position + 1] + typed[position] + typed[position + 2:]
    with pytest.raises(InvalidDin):
        parse_din(swapped)


def test_every_substitution_in_the_red_book_din_is_refused():
    typed = "G123498654321H"
    for position in range(14):
        for replacement in CHECK_ALPHABET.replace(typed[position], ""):
            with pytest.raises(InvalidDin):
                parse_din(typed[:position] + replacement + typed[position + 1:])


def test_a_transposed_check_character_is_refused():
    assert make_din("G1234", 98, 654325).check == "9"
    with pytest.raises(InvalidDin, match="Check character '5' does not match DIN G123498654329"):
        parse_din("G12349865432 95")
    with pytest.raises(InvalidDin, match="serial number.*got '65432H'"):
        parse_din("G12349865432H1")


@given(dins, st.sampled_from(["00", "01", "05", "20", "59"]))
def test_a_din_reads_back_from_its_barcode(din, flags):
    flagged = make_din(din.facility, int(din.year), int(din.serial), flags)
    back = parse_din(flagged.barcode)
    assert back == flagged
    assert back.flags == flags
    assert back.check == flagged.check


@given(dins)
def test_a_din_reads_back_from_its_eye_readable_form_and_type_3_barcode(din):
    assert parse_din(din.eye_readable) == din
    assert parse_din(_typed(din).lower()) == din
    assert parse_din(f"={din}{din.type3_flags}") == din


# ---------------------------------------------------------------- blood groups

GROUP_TABLE = [
    # group, general, directed, emergency use only, autologous
    ("O-", "95", "91", "92", "97"),
    ("O+", "51", "47", "48", "53"),
    ("A-", "06", "02", "03", "08"),
    ("A+", "62", "58", "59", "64"),
    ("B-", "17", "13", "14", "19"),
    ("B+", "73", "69", "70", "75"),
    ("AB-", "28", "24", "25", "30"),
    ("AB+", "84", "80", "81", "86"),
]
USES = [IntendedUse.GENERAL, IntendedUse.DIRECTED, IntendedUse.EMERGENCY_ONLY, IntendedUse.AUTOLOGOUS]
GROUP_CASES = [(group, code, use) for group, *codes in GROUP_TABLE for code, use in zip(codes, USES)]


@pytest.mark.parametrize("group, code", [(row[0], row[1]) for row in GROUP_TABLE])
def test_each_group_has_its_default_code(group, code):
    assert GROUP_CODES[parse_group(group)] == code
    assert encode_blood_group(parse_group(group)) == f"=%{code}00"


@pytest.mark.parametrize("group, code, use", GROUP_CASES)
def test_every_group_code_reads_as_its_group_and_intended_use(group, code, use):
    for text in (f"=%{code}00", f"{code}00"):
        label = parse_blood_group_code(text)
        assert label.group == parse_group(group)
        assert label.intended_use is use
        assert label.note is None
    assert encode_blood_group(group, use) == f"=%{code}00"


def test_the_blood_group_table_has_32_distinct_codes():
    assert len(BLOOD_GROUP_CODES) == 32
    assert set(GROUP_CODES) == set(ALL_GROUPS)


def test_the_reference_example_is_o_rhd_positive():
    label = parse_blood_group_code("=%5100")
    assert label == GroupLabel("51", BloodGroup(ABO.O, True), IntendedUse.GENERAL, None, ABO.O, "0")


@pytest.mark.parametrize("code, abo", [("55", ABO.O), ("66", ABO.A), ("77", ABO.B), ("88", ABO.AB)])
def test_an_rhd_not_stated_code_gives_abo_only_and_says_so(code, abo):
    label = parse_blood_group_code(f"=%{code}00")
    assert label.group is None
    assert label.abo is abo
    assert "RhD not stated" in label.note


@pytest.mark.parametrize("code, words, blocks", [
    ("00", "No ABO/RhD information", False),
    ("Mq", "Quarantine", True),
    ("Md", "Discard", True),
    ("Mx", "Not for transfusion", True),
])
def test_a_message_code_gives_no_group_and_a_note(code, words, blocks):
    label = parse_blood_group_code(f"=%{code}00")
    assert label.group is None and label.abo is None and label.intended_use is None
    assert words in label.note
    assert label.blocks_issue is blocks


def test_a_phenotype_character_is_kept_as_printed():
    assert parse_blood_group_code("=%51A0").phenotype == "A"


@pytest.mark.parametrize("text, words", [
    ("=%1700", "B RhD negative"),
    ("=%6200", "A RhD positive"),
    ("=%8400", "AB RhD positive"),
    ("=%9100", "O RhD negative, for directed use"),
    ("=%4800", "O RhD positive, for emergency use only"),
    ("=%3000", "AB RhD negative, for autologous use"),
    ("=%7700", "B, RhD not stated"),
    ("=%Mq00", "not grouped, in quarantine"),
    ("=%Md00", "to be discarded"),
    ("=%Mx00", "not for transfusion"),
    ("=%0000", "no ABO/RhD information"),
    ("=%51A0", "O RhD positive, phenotype character A"),
])
def test_a_group_code_is_said_in_words_a_clerk_reads(text, words):
    assert parse_blood_group_code(text).in_words == words


@pytest.mark.parametrize("text", ["=%1700", "1700", "=%Mq00", "=%51A0"])
def test_a_group_code_gives_back_the_barcode_it_was_read_from(text):
    label = parse_blood_group_code(text)
    assert label.barcode == (text if text.startswith("=%") else f"=%{text}")


@pytest.mark.parametrize("text, problem", [
    ("=%9900", "Unknown blood group code '99'"),
    ("=%MQ00", "Unknown blood group code 'MQ'"),
    ("=%510", "4 characters after '=%'.*got 3"),
    ("=%51000", "got 5"),
    ("=%5101", "fourth character.*always '0'; got '1'"),
    ("=%51#0", "Illegal phenotype character '#'"),
    ("=G12349865432100", "This barcode is a DIN \\('='\\), not a blood group"),
    ("=<E0398V00", "This barcode is a product code"),
    ("", "No blood group code was given"),
])
def test_a_bad_blood_group_code_is_refused_naming_the_problem(text, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_blood_group_code(text)


def test_encoding_refuses_what_is_not_a_group_or_use():
    with pytest.raises(InvalidInput, match="not a blood group"):
        encode_blood_group("C+")
    with pytest.raises(InvalidInput, match="Intended use 'sometimes'"):
        encode_blood_group("O+", "sometimes")


@given(st.sampled_from(ALL_GROUPS), st.sampled_from(USES))
def test_every_group_reads_back_from_its_code(group, use):
    label = parse_blood_group_code(encode_blood_group(group, use))
    assert (label.group, label.intended_use) == (group, use)


# ---------------------------------------------------------------- expiry

@pytest.mark.parametrize("text, expected", [
    ("&>0183652359", datetime(2018, 12, 31, 23, 59)),
    ("0183652359", datetime(2018, 12, 31, 23, 59)),
    ("&>0180292359", datetime(2018, 1, 29, 23, 59)),
    ("=>019031", datetime(2019, 1, 31, 23, 59)),
    ("019031", datetime(2019, 1, 31, 23, 59)),
    ("0240602359", datetime(2024, 2, 29, 23, 59)),
    ("&>0243660000", datetime(2024, 12, 31, 0, 0)),
    ("&>1000010000", datetime(2100, 1, 1, 0, 0)),
    (" &>0183652359\n", datetime(2018, 12, 31, 23, 59)),
])
def test_the_published_expiry_examples_are_read(text, expected):
    assert parse_expiry(text) == expected


@pytest.mark.parametrize("dt, expected", [
    (datetime(2018, 12, 31, 23, 59), "&>0183652359"),
    (datetime(2024, 2, 29, 23, 59, 45), "&>0240602359"),
    (datetime(2018, 1, 29, 23, 59), "&>0180292359"),
])
def test_an_expiry_is_encoded_in_data_structure_005(dt, expected):
    assert encode_expiry(dt) == expected


def test_an_expiry_date_is_encoded_in_data_structure_004():
    assert encode_expiry_date(date(2019, 1, 31)) == "=>019031"
    assert encode_expiry_date(datetime(2019, 1, 31, 10, 0)) == "=>019031"


@pytest.mark.parametrize("text, problem", [
    ("&>0193662359", "Day 366 does not exist in 2019 \\(365 days, not a leap year\\)"),
    ("&>0243672359", "Day 367 does not exist in 2024 \\(366 days\\)"),
    ("=>019000", "Day 000 does not exist"),
    ("&>0183652459", "Hour 24 .* not a time of day"),
    ("&>0183652360", "Minute 60 .* not valid"),
    ("&>018365235", "10 digits \\(cyyjjjhhmm\\) after '&>'; got 9"),
    ("=>0190311", "6 digits \\(cyyjjj\\) after '=>'; got 7"),
    ("&>01836523x9", "digits only"),
    ("12345", "10 digits \\(cyyjjjhhmm\\) or 6 digits.*got 5"),
    ("=*019031", "This barcode is a collection date \\('=\\*'\\), not an expiry"),
    ("=%5100", "This barcode is a blood group"),
    ("", "No expiry date was given"),
])
def test_a_bad_expiry_is_refused_naming_the_problem(text, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_expiry(text)


@pytest.mark.parametrize("value, problem", [
    (datetime(2018, 12, 31, 23, 59, tzinfo=timezone.utc), "site's local time"),
    (datetime(1999, 12, 31, 23, 59), "years 2000-2999; got 1999"),
    (date(2018, 12, 31), "must be a datetime, not date"),
])
def test_an_expiry_that_cannot_be_encoded_is_refused(value, problem):
    with pytest.raises(InvalidInput, match=problem):
        encode_expiry(value)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31, 23, 59, 59)))
def test_an_expiry_reads_back_to_the_minute(dt):
    assert parse_expiry(encode_expiry(dt)) == dt.replace(second=0, microsecond=0)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31)))
def test_an_expiry_date_reads_back_as_the_end_of_that_day(day):
    assert parse_expiry(encode_expiry_date(day)) == datetime(day.year, day.month, day.day, 23, 59)


# ---------------------------------------------------------------- product codes

@pytest.mark.parametrize("text, expected", [
    ("=<E4306V00", ProductCode("E4306", "V", "00")),
    ("E4306V00", ProductCode("E4306", "V", "00")),
    ("=<E0398V00", ProductCode("E0398", "V", "00")),
    ("=<E4377D00", ProductCode("E4377", "D", "00")),
    ("=<E0398AAa", ProductCode("E0398", "A", "Aa")),
    ("=<E0398GB0", ProductCode("E0398", "G", "B0")),
])
def test_the_public_product_codes_are_read(text, expected):
    assert parse_product_code(text) == expected


@pytest.mark.parametrize("code, kind, irradiated, leucoreduced", [
    ("E0398", "red_cells", True, True),
    ("E4306", "red_cells", False, False),
    ("E4377", "red_cells", True, False),
])
def test_the_public_product_codes_are_described(code, kind, irradiated, leucoreduced):
    info = product(code)
    assert (info.code, info.kind, info.irradiated, info.leucoreduced) == (code, kind, irradiated, leucoreduced)
    assert info.source


def test_a_product_code_is_encoded_for_its_barcode():
    assert encode_product_code("E0398") == "=<E0398V00"
    assert encode_product_code("E0398", "D", "Ab") == "=<E0398DAb"
    assert ProductCode("E4306").barcode == "=<E4306V00"
    assert str(ProductCode("E4306")) == "E4306V00"


@pytest.mark.parametrize("text, problem", [
    ("=<E4306P00", "Collection type 'P' \\(paid donor\\) is refused.*voluntary"),
    ("=<E4306R00", "Collection type 'R' is not one this system handles"),
    ("=<E9999V00", "Unknown product code E9999: not in this site's product table; load the licensed ICCBBA table"),
    ("=<E4306V0a", "Division '0a' is not valid"),
    ("=<E4306Vab", "Division 'ab' is not valid"),
    ("=<E4306VAA", "Division 'AA' is not valid"),
    ("=<e4306V00", "'e4306' is not a letter followed by four digits"),
    ("=<E4306V0", "8 characters.*got 7"),
    ("=%5100", "This barcode is a blood group"),
    ("=G12349865432100", "This barcode is a DIN"),
    ("\x1bE4306V00", "control character"),
])
def test_a_bad_product_code_is_refused_naming_the_problem(text, problem):
    with pytest.raises(InvalidInput, match=problem):
        parse_product_code(text)


def test_encoding_refuses_paid_donations_and_unknown_codes():
    with pytest.raises(InvalidInput, match="voluntary"):
        encode_product_code("E0398", "P")
    with pytest.raises(InvalidInput, match="Unknown product code X9999"):
        encode_product_code("X9999")


def test_the_shipped_table_covers_every_component_kind():
    table = default_product_table()
    assert {info.kind for info in table} == set(COMPONENT_KINDS)
    for info in table:
        assert info.source
        if info.code.startswith("X"):
            assert "not an ICCBBA code" in info.source


def test_the_shipped_table_has_red_cells_plain_leucoreduced_irradiated_and_both():
    red = default_product_table().of_kind("red_cells")
    variants = {(info.leucoreduced, info.irradiated) for info in red}
    assert variants == {(False, False), (True, False), (False, True), (True, True)}


SITE_TABLE = """
[[product]]
code = "E0398"
name = "Site's own wording"
kind = "red_cells"
irradiated = true
leucoreduced = true
source = "Licensed ICCBBA table"

[[product]]
code = "F1234"
name = "A site product"
kind = "plasma"
irradiated = false
leucoreduced = false
source = "Licensed ICCBBA table"
"""


def test_a_site_lays_its_licensed_table_over_the_shipped_one():
    table = load_product_table(products_from_toml(SITE_TABLE))
    assert product("F1234", table).kind == "plasma"
    assert product("E0398", table).name == "Site's own wording"
    assert "X0001" in table
    assert parse_product_code("=<F1234V00", table) == ProductCode("F1234")
    assert "F1234" not in default_product_table()


def test_a_site_table_can_be_given_as_a_mapping():
    info = ProductInfo("F0001", "Local plasma", "plasma", False, False, "Licensed ICCBBA table")
    assert load_product_table({"F0001": info}).get("F0001") is info
    assert load_product_table() is default_product_table()


@pytest.mark.parametrize("toml, problem", [
    ("[[product]]\ncode = 'E0001'\n", "missing \\['name', 'kind'"),
    ("[[product]]\ncode = 'E0001'\nname='n'\nkind='blood'\nirradiated=false\nleucoreduced=false\nsource='s'\n",
     "kind 'blood' is not one of"),
    ("[[product]]\ncode = 'E01'\nname='n'\nkind='cryo'\nirradiated=false\nleucoreduced=false\nsource='s'\n",
     "'E01' is not a letter and four digits"),
    ("[[product]]\ncode = 'E0001'\nname='n'\nkind='cryo'\nirradiated='yes'\nleucoreduced=false\nsource='s'\n",
     "'irradiated' must be true or false"),
    ("[[product]]\ncode = 'E0001'\nname='n'\nkind='cryo'\nirradiated=false\nleucoreduced=false\nsource=''\n",
     "'source' must be given"),
    ("[[product]]\ncode = 'E0001'\nname='n'\nkind='cryo'\nirradiated=false\nleucoreduced=false\nsource='s'\ncolour='red'\n",
     "unknown fields \\['colour'\\]"),
    ("product = [", "not valid TOML"),
    ("product = 3", "\\[\\[product\\]\\]"),
])
def test_a_broken_product_table_is_refused_naming_the_entry(toml, problem):
    with pytest.raises(InvalidInput, match=problem):
        products_from_toml(toml)


def test_a_table_with_a_code_twice_is_refused():
    info = product("E0398")
    with pytest.raises(InvalidInput, match="E0398 appears twice"):
        ProductTable([info, info])


# ---------------------------------------------------------------- identifying scans

@pytest.mark.parametrize("text, kind, payload", [
    ("=G12349865432100", "din", "G12349865432100"),
    ("=%5100", "blood_group", "5100"),
    ("=<E4306V00", "product_code", "E4306V00"),
    ("&>0183652359", "expiry", "0183652359"),
    ("=>019031", "expiry_date", "019031"),
    ("=123459865432100", "din", "123459865432100"),
])
def test_a_scan_is_identified_by_its_data_identifier(text, kind, payload):
    assert identify_scan(text) == (kind, payload)


@pytest.mark.parametrize("text, problem", [
    ("=*019031", "This barcode is a collection date \\('=\\*'\\), not a DIN, blood group"),
    ("&}0183652359", "production date and time"),
    ("&a12345", "nationally or locally defined"),
    ("E4306V00", "This barcode is not a DIN.*data identifier 'E4'"),
    ("=012349865432100", "cannot start with '0'"),
    ("", "No barcode was given"),
])
def test_an_unknown_data_identifier_is_refused(text, problem):
    with pytest.raises(InvalidInput, match=problem):
        identify_scan(text)


def test_a_barcode_scanned_into_the_wrong_box_is_refused():
    with pytest.raises(InvalidInput, match="This barcode is a blood group, not a DIN: scan the right barcode"):
        identify_scan("=%5100", expect="din")
    with pytest.raises(InvalidInput, match="is a DIN, not an expiry date and time or an expiry date"):
        identify_scan("=G12349865432100", expect=["expiry", "expiry_date"])
    assert identify_scan("=>019031", expect=("expiry", "expiry_date")) == ("expiry_date", "019031")


@given(dins)
def test_every_din_barcode_is_identified_as_a_din(din):
    assert identify_scan(din.barcode, expect="din") == ("din", din.barcode[1:])
