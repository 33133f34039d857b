"""Donor search by the start of a name word and by a phone's ending, through indexes, with a capped count."""

from datetime import date

from sqlalchemy import select, text

from bloodbank.adapters.db.models import DonorNameToken
from bloodbank.service_layer.donors.history_import import ImportedDonor, import_donors
from bloodbank.service_layer.donors.registry import update_donor
from bloodbank.service_layer.donors.search import COUNT_CAP, find_donors, search_donors
from bloodbank.domain.search_keys import prefix_bounds
from tests.integration.donor_fixtures import clerk, register


def names(views) -> list[str]:
    return [v.full_name for v in views]


def test_the_start_of_any_name_word_finds_the_donor_whatever_the_accents_and_punctuation(database):
    register(database, given_name="María José", family_name="O'Brien-Núñez", phone="+34 600 123 456")
    for typed in ("nun", "NÚÑ", "obr", "obrien-nun", "jos", "maria jo"):
        assert names(search_donors(clerk(database), text=typed)) == ["María José O'Brien-Núñez"], typed
    assert search_donors(clerk(database), text="rien") == []  # the middle of a word is not its start


def test_an_arabic_name_is_found_whatever_spelling_of_its_letters_is_typed(database):
    register(database, given_name="فاطمة", family_name="مصطفى", phone="+963 944 123 456")
    for typed in ("فاطمه", "فاطمة", "فاطِمة", "فاطـمة", "مصطفي", "مصط", "فاطمة مصطفى"):
        assert names(search_donors(clerk(database), text=typed)) == ["فاطمة مصطفى"], typed


def test_a_phone_typed_in_arabic_indic_digits_finds_the_donor_by_its_last_digits(database):
    register(database, given_name="Layla", family_name="Haddad", phone="+963 944 123 456")
    assert names(search_donors(clerk(database), phone="٠٩٤٤ ١٢٣ ٤٥٦")) == ["Layla Haddad"]
    assert names(search_donors(clerk(database), text="123456")) == ["Layla Haddad"]
    assert search_donors(clerk(database), text="944123") == []  # digits in the middle are not an ending


def test_a_corrected_name_or_phone_is_found_by_the_new_one_only(database):
    donor = register(database, given_name="Hana", family_name="Novak", phone="07700 900111")
    update_donor(clerk(database), donor.id, family_name="Dvorak", phone="07700 900222", reason="married")
    assert search_donors(clerk(database), text="novak") == []
    assert names(search_donors(clerk(database), text="dvor")) == ["Hana Dvorak"]
    assert search_donors(clerk(database), phone="07700 900111") == []
    assert names(search_donors(clerk(database), phone="900222")) == ["Hana Dvorak"]


def test_imported_donors_are_found_like_registered_ones(database):
    import_donors(clerk(database), [ImportedDonor("Kofi", "Mensah-Owusu", date(1980, 5, 17), "M",
                                                  phone="024 555 0199")], source="paper register 2019")
    assert names(search_donors(clerk(database), text="owu")) == ["Kofi Mensah-Owusu"]
    assert names(search_donors(clerk(database), phone="5550199")) == ["Kofi Mensah-Owusu"]


def test_the_count_stops_past_the_cap_and_says_so(database):
    people = [ImportedDonor("Amal", f"Saleh{n:04d}", date(1950 + n % 50, 1 + n % 12, 1 + n % 28), "F")
              for n in range(COUNT_CAP + 5)]
    import_donors(clerk(database), people, source="bulk")
    found = find_donors(clerk(database), text="saleh", limit=10)
    assert found.capped and found.total == COUNT_CAP + 1 and len(found.items) == 10
    narrow = find_donors(clerk(database), text="saleh0001", limit=10)
    assert not narrow.capped and narrow.total == 1


def test_a_name_prefix_search_is_a_range_on_the_token_index(database):
    register(database, given_name="Ines", family_name="Tanaka")
    low, high = prefix_bounds("tan")
    query = select(DonorNameToken.donor_id).where(DonorNameToken.token >= low, DonorNameToken.token < high)
    engine = database.engine
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "USING COVERING INDEX ix_donor_name_token_token" in plan, plan
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))
            assert "ix_donor_name_token_token" in plan, plan
        assert conn.execute(query).scalars().all()


def test_every_search_finds_exactly_the_donors_whose_names_number_or_phone_fit_each_word(database):
    from bloodbank.domain.search_keys import donor_name_tokens, phone_digits_last_first, search_word, word_fits

    people = [("Anna", "Annan", "0161 496 0777"), ("Annabel", "Kovacs", "0161 496 0778"),
              ("Jan", "Annerstedt", None), ("Maria Anna", "Lopez-Annan", "+34 600 100 200"),
              ("Kofi", "Mensah", "024 555 0199"), ("Zofia", "Nowak", "+44 7700 900123")]
    donors = [register(database, given_name=g, family_name=f, phone=p) for g, f, p in people]
    for query in ("ann", "anna ann", "annan", "lopez ann", "ko", "0777", "4960777", "nowak 900123",
                  "annan 4960777", donors[4].donor_number[:4].lower(), "zzz", "an-na"):
        words = [search_word(w) for w in query.split()]
        expected = {d.id for d in donors if all(
            word_fits(w, donor_name_tokens(d.given_name, d.family_name), d.donor_number,
                      phone_digits_last_first(d.phone)) for w in words)}
        assert {d.id for d in search_donors(clerk(database), text=query, limit=50)} == expected, query


def test_a_page_of_forty_donors_found_costs_the_same_statements_as_a_page_of_three(database):
    from tests.integration.query_budget import statements

    def cost(limit):
        with statements(database) as sent:
            found = find_donors(clerk(database), text="amal", limit=limit)
        return len(found.items), len(sent)

    import_donors(clerk(database), [ImportedDonor("Amal", f"Karim{n:03d}", date(1960 + n % 40, 1 + n % 12, 2), "F")
                                    for n in range(45)], source="bulk")
    (three, few), (forty, many) = cost(3), cost(40)
    assert (three, forty) == (3, 40)
    assert many == few
