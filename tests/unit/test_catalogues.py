"""Every message marked for translation is translated in Arabic and French, with the same placeholders."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bloodbank.adapters import catalogues
from bloodbank.entrypoints import languages

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("ar", "fr")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{(\w+)\}")


def _extracted() -> set:
    """The messages the code and pages mark today, as `make i18n-extract` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _catalogue(language):
    with (catalogues.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _key(message):
    return message.id[0] if isinstance(message.id, tuple) else message.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_message_has_a_reviewed_translation(language, extracted):
    catalogue = {_key(m): m for m in _catalogue(language) if m.id}
    missing = sorted(m for m in extracted if m not in catalogue)
    untranslated = sorted(k for k in extracted if k in catalogue and (
        catalogue[k].fuzzy or not all(catalogue[k].string if isinstance(catalogue[k].string, tuple)
                                      else [catalogue[k].string])))
    assert not missing, f"not in the {language} catalogue (run make i18n-update): {missing}"
    assert not untranslated, f"untranslated or fuzzy in {language}: {untranslated}"


def _placeholders(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_has_exactly_the_placeholders_of_its_message(language):
    for message in _catalogue(language):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = _placeholders(sources[-1])
        for string in strings:
            if string:
                assert _placeholders(string) == wanted, (language, message.id, string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_compiles_and_answers(language):
    languages.translations.cache_clear()
    assert languages.translations(language).gettext("Log in") != "Log in"


def test_a_catalogue_without_its_compiled_form_is_compiled_on_first_use(tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(catalogues.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po", folder / "messages.po")
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    languages.translations.cache_clear()
    try:
        assert languages.translations("fr").gettext("Log in") == "Se connecter"
        assert (folder / "messages.mo").exists() and not list(folder.glob("messages.mo.*"))
    finally:
        languages.translations.cache_clear()
