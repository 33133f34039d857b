"""No page a role can reach shows text that did not come through the catalogues.

Each demo account follows the site's links from its home (`crawler`, as `test_web_crawl` does), in three languages:
- in Arabic: any word in Latin letters a person reads is English left untranslated;
- in a pseudo-language whose every catalogue entry is written in accented look-alike letters ("Ŝçàñ"): a
  plain-Latin word there was never marked for translation at all, whatever the catalogues hold;
- in French, for every staff role: no run of four English words from a message whose French differs.

What a person reads excludes what is deliberately left to right and untranslated: identifiers isolated in
`<bdi>`/`dir="ltr"` (DINs, codes, groups), scripts, styles and code samples. Data that is not text of the
system (donors', staff's, sites' and hospitals' names, incidents' descriptions) is read from the database and
allowed, and so are acronyms in capitals (DIN, HIV, ISBT).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from sqlalchemy import select

from bloodbank.adapters.db import models
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.catalogues import LOCALE_DIR
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.i18n import LANGUAGE_COOKIE
from bloodbank.entrypoints.demo import accounts as demo_users, region as demo_data
from bloodbank.service_layer.donor_portal import sign_in
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

from tests.integration.crawler import crawl
from tests.integration.web_fixtures import log_in, browser

# Pages of one shape (the same route with another id) read alike: two of each are enough.
SAME_SHAPE = 2
MOST_PAGES = 150
WORD = re.compile(r"[^\W\d_]+")
ENGLISH = re.compile(r"[A-Za-z]")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdfr]|%[sdfr]|\{[a-z_]*\}|<[^>]*>|&[a-z]+;|&#\d+;")
LOOK_ALIKE = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                           "àƀçđéƒĝĥîĵķĺɱñöþʠŕŝţûṽŵẋýžÀßÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŜŢÛṼŴẊÝŽ")
# Written so in every language: the international notation of the D antigen, and the system's own name.
NOTATION = {"RhD", "bloodbank"}
NOT_READ = ("script", "style", "code", "kbd", "samp", "svg", "bdi", "title")
VOID = ("br", "input", "img", "meta", "link", "hr", "col", "source", "wbr", "area", "base")


def pseudo(message: str) -> str:
    """The message in look-alike letters, its placeholders and markup untouched so it still formats."""
    out, position = [], 0
    for kept in PLACEHOLDER.finditer(message):
        out += [message[position:kept.start()].translate(LOOK_ALIKE), kept.group(0)]
        position = kept.end()
    return "".join(out) + message[position:].translate(LOOK_ALIKE)


class Pseudo(NullTranslations):
    def gettext(self, message):
        return pseudo(message)

    def ngettext(self, singular, plural, n):
        return pseudo(singular if n == 1 else plural)


class ReadText(HTMLParser):
    """The text a person reads, outside what is isolated left to right."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []
        self.read: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        attributes = dict(attrs)
        # An element in a language of its own (the switcher names each language in itself) is not the page's.
        # The page's own language and direction are on <html>: only an element inside it sets one apart.
        apart = tag != "html" and (attributes.get("dir") == "ltr" or "lang" in attributes)
        self.open.append((tag, tag in NOT_READ or apart or attributes.get("translate") == "no"))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not any(isolated for _, isolated in self.open):
            self.read.append(data)


def names_in(database) -> set[str]:
    """Words of the records' own data: people's and places' names and user names, incidents' descriptions."""
    columns = (models.Donor.given_name, models.Donor.family_name, models.User.full_name, models.User.username,
               models.Site.name, models.Site.code, models.Hospital.name, models.Hospital.code,
               models.Patient.given_name, models.Patient.family_name, models.Incident.place,
               models.Incident.note, models.AuditEntry.actor)
    words: set[str] = set()
    with database.sessions() as session:
        for column in columns:
            for value in session.scalars(select(column)):
                words.update(WORD.findall(value or ""))
    return words


def untranslated(page: str, allowed: set[str]) -> list[str]:
    reader = ReadText()
    reader.feed(page)
    found = []
    for text in reader.read:
        for word in WORD.findall(text):
            if not ENGLISH.search(word) or word in allowed or word in NOTATION or (word.isupper() and len(word) <= 5):
                continue
            found.append(word)
    return found


def flagged_from(client, start: str, allowed: set[str] | Callable[[str], list[str]]) -> dict[str, list[str]]:
    """The pages reached from `start` and what each shows that did not come through the catalogues. `allowed`:
    the data words a page may show, or the check a page's HTML is put to."""
    check = allowed if callable(allowed) else lambda page: untranslated(page, allowed)
    flagged: dict[str, list[str]] = {}

    def on_page(path: str, html: str) -> None:
        if words := check(html):
            flagged[path] = sorted(set(words))

    crawl(client, start, most=MOST_PAGES, on_page=on_page, same_shape=SAME_SHAPE)
    return flagged


def use_catalogue(monkeypatch, catalogue: str) -> None:
    """The pseudo-language stands in for every catalogue; the others are the shipped ones."""
    if catalogue == "pseudo":
        monkeypatch.setattr(languages, "translations", lambda language: Pseudo())


@cache
def english_sentences() -> tuple[str, ...]:
    """Runs of four words or more from messages whose French differs: read on a French page, they are English
    the page failed to translate (a missing or bypassed lookup), whatever the catalogue holds."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="fr")
    runs = set()
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or message.string == message.id:
            continue
        for piece in PLACEHOLDER.split(message.id):
            piece = " ".join(piece.split()).strip(" .,:;()")
            if len(piece.split()) >= 4:
                runs.add(piece)
    return tuple(sorted(runs))


def english_in_french(page: str) -> list[str]:
    reader = ReadText()
    reader.feed(page)
    shown = " ".join(" ".join(reader.read).split())
    return [run for run in english_sentences() if run in shown]


def report(flagged: dict[str, list[str]]) -> str:
    return "words not from the catalogues:\n" + "\n".join(f"  {path}: {' '.join(words)}"
                                                           for path, words in flagged.items())


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('untranslated')}/crawl.db"
    upgrade(url)
    database = Database(url)
    make_uow = lambda: UnitOfWork(database, actor="demo")  # noqa: E731
    demo_data.load_demo(make_uow, donors=60, seed=11, appointments_per_site_day=1)
    demo_users.ensure_demo_users(make_uow)
    return database, names_in(database)


@pytest.mark.parametrize("catalogue", ["arabic", "pseudo", "french"])
@pytest.mark.parametrize("username", [name for name, _, _ in demo_users.DEMO_ACCOUNTS])
def test_every_page_a_role_reaches_reads_entirely_from_the_catalogues(demo_site, monkeypatch, catalogue, username):
    database, allowed = demo_site
    use_catalogue(monkeypatch, catalogue)
    client = browser(database)
    answer = log_in(client, username, demo_users.DEMO_PASSWORD)
    home = answer.headers["location"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(home).text).group(1)
    language = "fr" if catalogue == "french" else "ar"
    assert client.post("/account/language", data={"language": language, "csrf_token": token}).status_code == 303
    flagged = flagged_from(client, home, english_in_french if catalogue == "french" else allowed)
    assert flagged == {}, report(flagged)


@pytest.mark.parametrize("catalogue", ["arabic", "pseudo"])
def test_every_page_a_donor_reaches_from_home_reads_entirely_from_the_catalogues(demo_site, monkeypatch, catalogue):
    database, allowed = demo_site
    use_catalogue(monkeypatch, catalogue)
    client = browser(database)
    client.cookies.set(LANGUAGE_COOKIE, "ar")
    page = client.get(_sign_in_link(database))
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
    assert client.post("/my/link", data=fields).status_code == 303
    flagged = flagged_from(client, "/my", allowed)
    assert flagged == {}, report(flagged)


def _sign_in_link(database) -> str:
    """A demo donor signs in from home with the link the outbox would email them."""
    with database.sessions() as session:
        donor = session.scalars(select(models.Donor).where(models.Donor.email.is_not(None))
                                .order_by(models.Donor.id)).first()
        number, born, email = donor.donor_number, donor.date_of_birth, donor.email
    sign_in.request_sign_in(UnitOfWork(database, actor="donor"), donor_number=number, date_of_birth=born,
                            channel="email", contact=email)
    with database.sessions() as session:
        body = session.scalars(select(models.OutboxMessage).order_by(models.OutboxMessage.id.desc())).first().body
    return re.search(r"/my/link/\S+", body).group(0)


@pytest.mark.parametrize("catalogue", ["arabic", "pseudo"])
def test_the_pages_read_before_logging_in_read_entirely_from_the_catalogues(demo_site, monkeypatch, catalogue):
    database, allowed = demo_site
    use_catalogue(monkeypatch, catalogue)
    client = browser(database)
    client.cookies.set(LANGUAGE_COOKIE, "ar")
    flagged = {}
    for start in ("/login", "/public", "/my/sign-in", "/help"):
        flagged |= flagged_from(client, start, allowed)
    assert flagged == {}, report(flagged)
