"""Pages with nothing on them yet say what to do next and link to it; the newsroom promises only what works."""

import html

from press.contacts import services as contacts
from press.extensions import db


def text_of(response) -> str:
    return html.unescape(response.data.decode())


def test_no_lists_yet_links_a_manager_to_adding_one(client, manager):
    page = text_of(client.get("/staff/contacts/lists"))
    assert "There are no lists yet." in page
    assert '<a href="/staff/contacts/lists/new">Make your first list</a>, such as Local press or Broadcast' in page


def test_no_lists_yet_tells_the_staff_role_who_can_add_them(client, auth, make_user):
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    page = text_of(client.get("/staff/contacts/lists"))
    assert "There are no lists yet." in page and "A manager can add lists" in page
    assert "/staff/contacts/lists/new" not in page


def test_lists_without_a_signup_list_say_how_to_choose_one(app, client, manager):
    with app.app_context():
        contacts.save_list(db.session, None, name="Broadcast", description="", for_signups=False)
        db.session.commit()
    page = text_of(client.get("/staff/contacts/lists"))
    assert "so the newsroom cannot sign them up" in page
    assert "edit a list and tick “Journalists who ask for releases in the newsroom join this list”" in page


def test_no_contacts_yet_links_to_adding_and_importing(client, manager):
    page = text_of(client.get("/staff/contacts/"))
    assert "There are no contacts yet." in page
    assert 'Start by <a href="/staff/contacts/new">adding one</a>' in page
    assert '<a href="/staff/contacts/import">uploading a spreadsheet (CSV) of them</a>' in page


def test_a_search_that_finds_nobody_offers_every_contact(app, client, manager):
    with app.app_context():
        contacts.create_contact(db.session, by=None, name="Ann Lee", email="ann@gazette.example")
        db.session.commit()
    page = text_of(client.get("/staff/contacts/?q=nobody-by-this-name"))
    assert "No contacts match." in page and '<a href="/staff/contacts/">Show every contact</a>' in page
    assert "There are no contacts yet" not in page


def test_the_newsroom_offers_releases_by_email_only_while_a_list_takes_signups(app, client):
    assert 'Journalists: <a href="/get-releases">' not in text_of(client.get("/"))
    with app.app_context():
        contacts.save_list(db.session, None, name="Newsroom signups", description="", for_signups=True)
        db.session.commit()
    assert 'Journalists: <a href="/get-releases">get our press releases by email</a>' in text_of(client.get("/"))


def test_the_newsroom_names_its_atom_feed(client):
    page = text_of(client.get("/"))
    assert '<a href="/feed.atom">Atom feed of press releases (for feed readers)</a>' in page
