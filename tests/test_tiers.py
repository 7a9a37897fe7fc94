"""A release under embargo sent in tiers: each journalist gets it once, in the earliest tier whose lists they
are on, at that tier's time, as the SMTP server sees it; the report shows the tiers."""

import re
from datetime import timedelta

import pytest

from press import clock
from press.contacts import services as contacts
from press.distribution.models import Distribution, EmbargoBreach, Sanction
from press.extensions import db
from press.outbox.worker import Worker
from tests.test_distribution_pages import NOW, all_of, list_id

EMBARGO = NOW + timedelta(days=3)  # 11:00 BST on Friday 6 September 2024
NINA, BOB, LARA, EVE = "nina@courier.example", "bob@radio.example", "lara@gazette.example", "eve@blog.example"


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def release_id(app, client, manager, make_release, frozen_clock):
    """An embargoed release and three lists that overlap: Bob is national and local, Nina and Lara on Everyone."""
    with app.app_context():
        for email, lists in [(NINA, ["National", "Everyone"]), (BOB, ["National", "Local"]),
                             (LARA, ["Local", "Everyone"]), (EVE, ["Everyone"])]:
            contacts.create_contact(db.session, by=None, email=email, name=email.split("@")[0].title(),
                                    outlet=email.split("@")[1], lists=contacts.lists_named(db.session, lists, create=True))
        db.session.commit()
    return make_release(final=True, headline="Library plans", embargo_at=EMBARGO)


def tiers_data(app, **overrides) -> dict:
    return {"request_key": "tiers-" + "a" * 20,
            "tier1_name": "Trusted national desks", "tier1_lists": [list_id(app, "National")], "tier1_hours": "48",
            "tier2_name": "Local press", "tier2_lists": [list_id(app, "Local")], "tier2_hours": "24",
            "tier3_name": "Everyone else", "tier3_lists": [list_id(app, "Everyone")], "tier3_hours": "0"} | overrides


def check(client, release_id, data):
    return client.post(f"/staff/releases/{release_id}/send-in-tiers", data=data | {"check": "y"})


def confirm(client, release_id, data):
    page = check(client, release_id, data).get_data(as_text=True)
    expected = re.search(r'name="expected" value="([\d,]+)"', page).group(1)
    return client.post(f"/staff/releases/{release_id}/send-in-tiers", data=data | {"confirm": "y", "expected": expected})


def received(mail_server, since: int) -> list[tuple[str, str]]:
    return sorted((rcpt, m.message["Subject"]) for m in mail_server.messages[since:] for rcpt in m.rcpt_tos)


def test_each_journalist_gets_it_once_at_their_earliest_tier(app, client, release_id, mail_server, frozen_clock):
    page = " ".join(check(client, release_id, tiers_data(app)).get_data(as_text=True).split())
    assert "Trusted national desks</strong>: Wednesday 4 September 2024, 11:00 BST, 48 hours before the lift" in page
    assert "National: 2 journalists" in page and "Local: 1 journalist" in page and "Everyone: 1 journalist" in page
    done = confirm(client, release_id, tiers_data(app))
    assert done.status_code == 302 and done.headers["Location"] == f"/staff/distributions?release={release_id}"
    made = all_of(app, Distribution)
    assert [(d.tier_number, d.tier_count, d.tier_name, d.recipients) for d in made] == [
        (1, 3, "Trusted national desks", 2), (2, 3, "Local press", 1), (3, 3, "Everyone else", 1)]
    assert [d.scheduled_at for d in made] == [EMBARGO - timedelta(hours=48), EMBARGO - timedelta(hours=24), EMBARGO]
    listing = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Tier 1 of 3: Trusted national desks" in listing and "Tier 3 of 3: Everyone else" in listing
    assert "Tier</dt><dd>2 of 3: Local press" in client.get(f"/staff/distributions/{made[1].id}").get_data(as_text=True)

    seen = 0
    for hours, expected, embargoed in [(48, [BOB, NINA], True), (24, [LARA], True), (0, [EVE], False)]:
        frozen_clock.set(EMBARGO - timedelta(hours=hours))
        Worker(app).run(once=True)
        got = received(mail_server, seen)
        assert [rcpt for rcpt, _ in got] == expected, (hours, got)
        assert all(subject.startswith("EMBARGOED") == embargoed for _, subject in got), got
        seen = len(mail_server.messages)
    assert sorted(r for m in mail_server.messages for r in m.rcpt_tos) == sorted([NINA, BOB, LARA, EVE])


def test_a_suspended_journalist_gets_it_at_the_lift_not_before(app, client, release_id, frozen_clock):
    with app.app_context():
        bob = contacts.find_contact_by_email(db.session, BOB)
        db.session.add(EmbargoBreach(release_id=release_id, contact_id=bob.id, outlet="radio.example",
                                     outlet_key="radio.example", seen_at=clock.now(), sanction=Sanction.JOURNALIST,
                                     suspended_until=EMBARGO + timedelta(days=30)))
        contacts.lists_named(db.session, ["Everyone"])[0].contacts = []
        db.session.commit()
    data = tiers_data(app, tier3_lists=[list_id(app, "National"), list_id(app, "Local")])
    page = " ".join(check(client, release_id, data).get_data(as_text=True).split())
    assert "National: 1 journalist (1 suspended for an embargo breach, left out)" in page
    assert confirm(client, release_id, data).status_code == 302
    assert [d.recipients for d in all_of(app, Distribution)] == [1, 1, 1], "Bob at the lift, once"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"tier1_lists": [], "tier2_lists": [], "tier3_lists": []}, "tier1_lists", "Choose the lists for at least one tier."),
    ({"tier1_hours": "100"}, "tier1_hours", "100 hours before the embargo lifts has passed"),
    ({"tier1_hours": "soon"}, "tier1_hours", "Enter the hours as a whole number, such as 24."),
    ({"tier2_hours": ""}, "tier2_hours", "Enter how many hours before the embargo lifts this tier goes"),
])
def test_bad_tiers_are_answered_at_the_field(app, client, release_id, overrides, field, message):
    response = check(client, release_id, tiers_data(app, **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert all_of(app, Distribution) == []


def test_a_tier_that_reaches_nobody_new_is_refused(app, client, release_id):
    response = check(client, release_id, tiers_data(app, tier2_lists=[list_id(app, "National")]))
    assert response.status_code == 422
    assert "This tier reaches nobody new" in response.get_data(as_text=True)


def test_changed_numbers_are_shown_again_before_anything_goes(app, client, release_id):
    data = tiers_data(app)
    response = client.post(f"/staff/releases/{release_id}/send-in-tiers",
                           data=data | {"confirm": "y", "expected": "9,9,9"})
    assert response.status_code == 200 and "The numbers have changed" in response.get_data(as_text=True)
    assert all_of(app, Distribution) == []


def test_only_a_release_under_embargo_is_sent_in_tiers(app, client, manager, make_release):
    open_release = make_release(final=True, headline="No embargo")
    answer = client.get(f"/staff/releases/{open_release}/send-in-tiers")
    assert answer.status_code == 302
    assert "Only a final release under embargo" in client.get(answer.headers["Location"]).get_data(as_text=True)
