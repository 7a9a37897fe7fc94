"""Searching contacts: each word anywhere in the name, outlet or email, from an index on SQLite and PostgreSQL;
hostile words, erasure, imports and the migration that builds SQLite's index."""

import re
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, delete, insert, inspect, select, table, text, update

from press import create_app
from press.contacts import importing, services
from press.contacts.models import Contact, ContactStatus
from press.extensions import db
from tests.conftest import base_config

NAME_LINK = re.compile(r'href="/staff/contacts/\d+">([^<]+)</a>')

PEOPLE = [
    ("Alice Archer", "Northshire Gazette", "alice.archer@gazette.example"),
    ("Bob Baker", "BBC Radio Northshire", "bob@bbc.example"),
    ("Carol O'Connor", "Daily Post", "carol.oconnor@post.example"),
    ("Dev Patel", "Freelance", "dev_patel@mail.example"),
    ("Zoë Quinn", "Trade Weekly", "zoe.quinn@trade.example"),
    ('Eve "Scoop" Ng', "AND-NEAR(Radio): News 😀", "eve-ng@radio.example"),
    ("Li Wu", "Star 100% FM", "li.wu@star.example"),
]


@pytest.fixture
def people(app):
    """The contacts above, added through the service; their names by id."""
    with app.app_context():
        ids = {}
        for name, outlet, email in PEOPLE:
            ids[services.create_contact(db.session, by=None, name=name, outlet=outlet, email=email).id] = name
        db.session.commit()
    return ids


def found(client, q: str) -> list[str]:
    response = client.get("/staff/contacts/", query_string={"q": q})
    assert response.status_code == 200, q
    return NAME_LINK.findall(response.data.decode())


def expected(q: str, people=PEOPLE) -> list[str]:
    """What the search means, worked out in Python: every word somewhere in name, outlet or email, any case."""
    words = q[:200].replace("\x00", " ").split()[:10]
    return sorted(name for name, outlet, email in people
                  if all(any(word.lower() in field.lower() for field in (name, outlet, email)) for word in words))


def unescape(names: list[str]) -> list[str]:
    return [name.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&")
            for name in names]


@pytest.mark.parametrize("q", [
    "", "gazette", "GAZETTE", "Northshire", "northshire gazette", "archer gazette", "bbc.example", "example",
    "arch", "rch", "ar", "a", "ch er", "li", "wu", "Wu star", "100%", "%", "_", "dev_", "o'connor", "'", "quinn zoë",
    "ZOË", "nobody", "gazette nobody", "radio", "radio bob", "post.example carol",
])
def test_search_means_every_word_somewhere(client, manager, people, q):
    assert sorted(unescape(found(client, q))) == expected(q)


@pytest.mark.parametrize("q", [
    '"', '""', '"scoop"', '"Scoop', "*", "scoo*", "AND", "and", "OR", "NOT", "NEAR(", "NEAR(radio news)",
    "near(", "-", "-ng", "eve-ng", ":", "radio:", "name:alice", "'", "o'c", "^alice", "(", ")", "{name}", "+",
    "a" * 500, "alice " * 100, "\x00", "ali\x00ce", "\x00alice", "😀", "😀😀😀", "news 😀", "\\", "/", "%_/",
    "';--", "\"AND\" OR \"NEAR(\"",
])
def test_hostile_words_are_searched_for_literally(app, client, manager, people, q):
    if "\x00" not in q:
        assert sorted(unescape(found(client, q))) == expected(q)
    else:
        # The app answers 400 to any address with a NUL in it; the search itself takes one in its stride.
        assert client.get("/staff/contacts/", query_string={"q": q}).status_code == 400
    with app.app_context():
        names = [contact.name for contact in db.session.scalars(services.search_contacts(q))]
    assert sorted(names) == expected(q)


def test_the_words_and_the_filters_must_all_hold(app, client, manager, people):
    bob = next(i for i, name in people.items() if name == "Bob Baker")
    client.post(f"/staff/contacts/{bob}/status", data={"status": "bounced"})
    assert sorted(unescape(found(client, "radio"))) == ["Bob Baker", 'Eve "Scoop" Ng']
    for q in ("radio", "radio northshire", "bbc.example", "radio ng"):
        response = client.get("/staff/contacts/", query_string={"q": q, "status": "active"})
        assert "Bob Baker" not in response.data.decode(), q
    assert unescape(found(client, "radio ng")) == ['Eve "Scoop" Ng']


def test_hostile_words_in_the_export_too(client, manager, people):
    for q in ('"', "NEAR(", "a" * 500):
        response = client.get("/staff/contacts/export.csv", query_string={"q": q})
        assert response.status_code == 200, q
        rows = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
        response.close()
        assert len(rows) == 1 + len(expected(q)), q


def test_search_follows_changes_and_erased_contacts_are_never_found(app, client, manager, people):
    alice = next(i for i, name in people.items() if name == "Alice Archer")
    bob = next(i for i, name in people.items() if name == "Bob Baker")
    with app.app_context():
        services.update_contact(db.session, db.session.get(Contact, bob), by=None, name="Robert Baxter",
                                outlet="Southshire Echo")
        db.session.commit()
    assert found(client, "baker") == [] and found(client, "baxter") == ["Robert Baxter"]
    assert found(client, "echo") == ["Robert Baxter"] and found(client, "bbc radio") == []
    assert found(client, "bob@bbc") == ["Robert Baxter"], "the address did not change"
    assert client.post(f"/staff/contacts/{alice}/erase").status_code == 302
    for q in ("alice", "archer", "alice.archer@gazette.example", "gazette"):
        assert found(client, q) == [], q
    with app.app_context():
        db.session.execute(delete(Contact).where(Contact.id == bob))
        db.session.commit()
    assert found(client, "baxter") == []


def index_finds(q: str) -> list[int]:
    """Rowids the FTS5 index itself finds, without the contacts table's WHERE terms."""
    return list(db.session.scalars(text("SELECT rowid FROM contacts_search WHERE contacts_search MATCH :q"),
                                   {"q": f'"{q}"'}))


def check_index_matches_contacts() -> None:
    """FTS5's own check that the index holds exactly the words of the contacts table; raises if not."""
    db.session.execute(text("INSERT INTO contacts_search (contacts_search, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.sqlite
def test_erasure_leaves_nothing_of_the_person_in_the_index(app, client, manager):
    with app.app_context():
        erased = services.create_contact(db.session, by=None, name="Xaviera Qwzyk", outlet="Zzqv Jmxpost",
                                         email="qwzyk@zzqv.example").id
        services.create_contact(db.session, by=None, name="Bob Baker", outlet="Daily Post", email="bob@post.example")
        db.session.commit()
        # Trigrams that only the erased person's name, outlet and address hold.
        theirs = ["qwz", "wzy", "zyk", "avi", "vie", "zzq", "zqv", "jmx", "mxp"]
        blocks = b"".join(db.session.scalars(text("SELECT block FROM contacts_search_data WHERE block IS NOT NULL")))
        assert any(trigram.encode() in blocks for trigram in theirs), "the check below would see them"
        assert index_finds("qwzyk") == [erased]

    assert client.post(f"/staff/contacts/{erased}/erase").status_code == 302

    with app.app_context():
        assert db.session.get(Contact, erased).status == ContactStatus.ERASED
        for q in ("xaviera", "qwzyk", "zzqv", "jmxpost", "qwzyk@zzqv.example"):
            assert index_finds(q) == [], q
        db.session.execute(text("CREATE VIRTUAL TABLE temp.search_terms USING fts5vocab(main, contacts_search, "
                                "instance)"))
        assert db.session.scalar(text("SELECT count(*) FROM temp.search_terms WHERE doc = :id"), {"id": erased}) == 0
        assert db.session.scalar(text("SELECT count(*) FROM temp.search_terms")) > 0, "Bob is still indexed"
        # Not only unfindable: the index's own pages no longer hold the words, not even marked as deleted.
        blocks = b"".join(db.session.scalars(text("SELECT block FROM contacts_search_data WHERE block IS NOT NULL")))
        assert [trigram for trigram in theirs if trigram.encode() in blocks] == []
        check_index_matches_contacts()
    assert found(client, "qwzyk") == [] and found(client, "bob") == ["Bob Baker"]


IMPORT = (
    "name,email,outlet\r\n"
    "Ann Lee,ann.lee@gazette.example,Northshire Gazette\r\n"
    "Bob Roe,bob@radio.example,Radio Northshire\r\n"
)


def test_imports_keep_the_search_in_step(app, client, manager, tmp_path):
    def import_csv(data: str) -> None:
        with app.app_context():
            importing.import_file(db.session, data.encode(), filename="contacts.csv", list_names=[], by=None,
                                  directory=str(tmp_path))
            db.session.commit()

    import_csv(IMPORT)
    assert found(client, "lee") == ["Ann Lee"] and found(client, "northshire") == ["Ann Lee", "Bob Roe"]
    assert found(client, "radio.example") == ["Bob Roe"]
    # A second file changes Ann's outlet through the merge, and adds Cy.
    import_csv("name,email,outlet\r\n,ann.lee@gazette.example,The Times\r\nCy Dee,cy@times.example,The Times\r\n")
    assert found(client, "times") == ["Ann Lee", "Cy Dee"] and found(client, "northshire") == ["Bob Roe"]
    assert found(client, "dee") == ["Cy Dee"]
    # A file big enough to go in several statements.
    import_csv("name,email,outlet\r\n" + "".join(f"Row {n:04d},row{n}@bulk.example,Bulk Weekly\r\n"
                                                for n in range(2500)))
    page = client.get("/staff/contacts/", query_string={"q": "bulk weekly"}).data.decode()
    assert "2,500 contacts" in page
    assert found(client, "row2499@") == ["Row 2499"] and found(client, "row 0007") == ["Row 0007"]
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            check_index_matches_contacts()
            cy = db.session.scalar(select(Contact.id).where(Contact.email == "cy@times.example"))
            assert index_finds("cy dee") == [cy] and len(index_finds("@bulk.example")) == 2500


@pytest.mark.sqlite
def test_core_writes_keep_the_index_in_step(app):
    with app.app_context():
        db.session.execute(insert(Contact), [
            {"name": f"Person {n}", "email": f"person{n}@bulk.example", "outlet": "Bulk Weekly",
             "unsubscribe_key": f"key-{n}"} for n in range(300)
        ])
        db.session.execute(update(Contact).where(Contact.id <= 100).values(outlet="Other Daily"))
        db.session.execute(update(Contact).values(status=ContactStatus.UNSUBSCRIBED))
        db.session.execute(delete(Contact).where(Contact.id > 250))
        db.session.commit()
        check_index_matches_contacts()
        assert len(index_finds("bulk weekly")) == 150 and len(index_finds("other daily")) == 100
        # Person n has id n + 1: those from 250 on were deleted.
        assert index_finds("person25") == [26] and index_finds("person250") == []


def test_the_migration_builds_the_index_from_contacts_already_held(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path))
    with app.app_context():
        upgrade(revision="0011")
        # The contacts table as it was at 0011: the model has columns that later migrations add.
        held = [{"name": "Held Before", "email": "held@before.example", "outlet": "Old Gazette", "unsubscribe_key": "k1"},
                {"name": "Also Held", "email": "also@before.example", "outlet": "Old Echo", "unsubscribe_key": "k2"}]
        now = datetime(2024, 9, 3, tzinfo=UTC)
        rows = [row | {"job_title": "", "phone": "", "notes": "", "source": "", "lawful_basis": "legitimate_interests",
                       "consent_text": "", "status": "active", "status_reason": "", "created_at": now, "updated_at": now}
                for row in held]
        then = table("contacts", *(column(name) for name in rows[0]))
        db.session.execute(insert(then), rows)
        db.session.commit()
        upgrade(revision="0012")
        assert "contacts_search" in inspect(db.engine).get_table_names()
        query = services.search_contacts("old gazette").with_only_columns(Contact.name).order_by(Contact.name)
        assert list(db.session.scalars(query)) == ["Held Before"]
        check_index_matches_contacts()
        db.session.commit()
        downgrade(revision="0011")
        assert not any(name.startswith("contacts_search") for name in inspect(db.engine).get_table_names())
        triggers = db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
        assert not [name for name in triggers if name.startswith("contacts_search")]
        # No trigger is left behind to write to the index that is gone.
        db.session.execute(update(Contact).values(outlet="New Post"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
