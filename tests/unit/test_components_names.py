from bloodbank.domain.components import KIND_NAMES, ComponentKind, kind_name


def test_every_component_kind_has_words_a_person_reads_and_no_code_shows_through():
    assert set(KIND_NAMES) == set(ComponentKind)
    for kind in ComponentKind:
        assert "_" not in kind_name(kind) and kind_name(kind.value) == KIND_NAMES[kind]
    assert kind_name("ltowb") == "low-titre group O whole blood"


def test_a_kind_the_rules_do_not_know_is_shown_as_words_not_hidden():
    assert kind_name("granulocytes_pooled") == "granulocytes pooled"
    assert kind_name(None) == ""
