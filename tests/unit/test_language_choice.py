"""Which language a reader gets: their own choice, else the browser's preferences by weight, else English."""

import pytest

from bloodbank.domain.errors import DomainError, InvalidInput, NotFound
from bloodbank.domain.messages import N_, language_code
from bloodbank.entrypoints import languages


@pytest.mark.parametrize("header, expected", [
    ("ar", "ar"),
    ("ar-SY,ar;q=0.9,en;q=0.5", "ar"),
    ("fr-CA", "fr"),
    ("de-DE,fr;q=0.7,ar;q=0.3", "fr"),
    ("en;q=0.2,ar;q=0.8", "ar"),
    ("de,es", None),
    ("", None),
    (None, None),
    ("ar;q=0", None),
    ("*", None),
    ("fr;q=abc,ar", "ar"),
])
def test_the_browsers_preferences_are_read_by_weight(header, expected):
    assert languages.from_accept_language(header) == expected


def test_a_persons_own_choice_comes_before_the_browsers():
    assert languages.choose("fr", accept_language="ar") == "fr"
    assert languages.choose(None, "ar", accept_language="fr") == "ar"
    assert languages.choose(None, None, accept_language="fr-BE") == "fr"


def test_without_any_preference_the_pages_are_in_english():
    assert languages.choose(None, "xx", accept_language="de") == "en"


def test_arabic_alone_is_written_right_to_left():
    assert languages.is_rtl("ar") and not languages.is_rtl("fr") and not languages.is_rtl("en")


@pytest.mark.parametrize("given, kept", [("AR", "ar"), (" fr ", "fr"), ("", None), (None, None)])
def test_a_recorded_language_is_one_of_ours_or_none(given, kept):
    assert language_code(given) == kept


def test_a_language_we_do_not_speak_is_refused():
    with pytest.raises(InvalidInput):
        language_code("de")


def test_an_errors_english_message_is_its_template_filled_and_its_code_is_unchanged():
    error = NotFound(N_("No donor has the number %(number)s."), params={"number": "D123"})
    assert error.message == "No donor has the number D123." and error.code == "not_found"


def test_an_error_is_shown_in_the_current_language_with_its_parameters():
    error = NotFound(N_("No donor has the number %(number)s."), params={"number": "D123"})
    languages.use("fr")
    try:
        assert languages.error_message(error) == "Aucun donneur n'a le numéro D123."
        languages.use("ar")
        assert "D123" in languages.error_message(error) and "متبرع" in languages.error_message(error)
    finally:
        languages.use("en")
    assert languages.error_message(error) == "No donor has the number D123."


def test_an_untranslated_message_comes_with_its_codes_gist_in_the_readers_language():
    error = NotFound("A message nobody has translated yet.")
    languages.use("fr")
    try:
        assert languages.error_message(error) == "Introuvable. (A message nobody has translated yet.)"
    finally:
        languages.use("en")


def test_every_domain_error_code_has_a_gist():
    import bloodbank.domain as domain_package
    import importlib
    import pkgutil

    codes = set()
    for module in pkgutil.walk_packages(domain_package.__path__, "bloodbank.domain."):
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, DomainError):
                codes.add(value.code)
    assert codes <= set(languages.GIST_BY_CODE), codes - set(languages.GIST_BY_CODE)
