"""Who may use which enquiry route, checked for every route the app has, so a new one cannot slip through."""

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from press import clock
from press.enquiries.models import Enquiry, EnquiryAttachment, EnquiryEmail, EnquiryEvent
from press.extensions import db

PUBLIC = {"enquiries_public.new", "enquiries_public.sent"}
# Everything else under /staff/enquiries is for staff and above; these only for managers and admins.
MANAGERS_ONLY = {"enquiries.export", "enquiries.duty_officer"}


def enquiry_routes(app) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.rule, rule.endpoint, method)
        for rule in app.url_map.iter_rules() if "enquir" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def url(rule: str, enquiry_id: int) -> str:
    # The enquiry's one email and its one file have id 1, as the fixture makes them.
    path = rule.replace("<int:enquiry_id>", str(enquiry_id)).replace("<token>", "not-a-token")
    return re.sub(r"<int:(email|attachment)_id>", "1", path)


@pytest.fixture
def enquiry_id(app, make_enquiry, frozen_clock):
    """An enquiry with an email from the journalist that suggests a deadline and brought a file."""
    enquiry_id = make_enquiry()
    with app.app_context():
        email = EnquiryEmail(enquiry_id=enquiry_id, direction="in", message_id="one@gazette.example",
                             from_address="sam.reporter@gazette.example", subject="Re: hours", body="By 4pm please",
                             suggested_deadline_at=clock.now() + timedelta(hours=5), suggested_deadline_words="by 4pm")
        os.makedirs(app.config["PRESS_UPLOAD_DIR"], exist_ok=True)
        with open(os.path.join(app.config["PRESS_UPLOAD_DIR"], "f00d.pdf"), "wb") as handle:
            handle.write(b"%PDF-1.7\n")
        email.attachments.append(EnquiryAttachment(filename="hours.pdf", content_type="application/pdf", size=9,
                                                   sha256="0" * 64, stored_name="f00d.pdf"))
        db.session.add(email)
        db.session.commit()
    return enquiry_id


def test_every_enquiry_route_is_listed_here(app):
    endpoints = {endpoint for _, endpoint, _ in enquiry_routes(app)}
    assert PUBLIC <= endpoints and MANAGERS_ONLY <= endpoints
    assert all(rule.startswith("/staff/enquiries") for rule, endpoint, _ in enquiry_routes(app)
               if endpoint not in PUBLIC)


def test_the_public_reaches_only_the_form_and_its_confirmation(app, client, enquiry_id):
    for rule, endpoint, method in enquiry_routes(app):
        with client.open(url(rule, enquiry_id), method=method) as response:
            response.get_data()
        if endpoint in PUBLIC:
            assert response.status_code in (200, 404, 422), (method, rule)
        else:
            assert response.status_code == 302, (method, rule)
            assert response.headers["Location"].startswith("/staff/login"), (method, rule)
    with app.app_context():
        # Nothing a signed-out visitor posted changed the enquiry or its timeline.
        assert db.session.scalar(select(func.count(EnquiryEvent.id))) == 1
        assert db.session.get(Enquiry, enquiry_id).status == "new"


@pytest.mark.parametrize(("role", "may_manage"), [("staff", False), ("manager", True), ("admin", True)])
def test_staff_work_the_log_and_only_managers_export_or_choose_the_duty_officer(
        app, client, auth, make_user, enquiry_id, role, may_manage):
    make_user(role, email=f"{role}@council.example")
    auth.login(f"{role}@council.example")
    for rule, endpoint, method in enquiry_routes(app):
        if endpoint in PUBLIC:
            continue
        with client.open(url(rule, enquiry_id), method=method, data={}) as response:
            response.get_data()  # the export streams: read it to the end
        if endpoint in MANAGERS_ONLY and not may_manage:
            assert response.status_code == 403, (role, method, rule)
        else:
            # A page, or an empty form answered with its errors: never refused, never a 500.
            assert response.status_code in (200, 303, 422), (role, method, rule, response.status_code)


def test_a_deactivated_account_is_signed_out_of_the_log(app, client, auth, make_user):
    from press.accounts.models import User

    user_id = make_user("staff", email="leaver@council.example")
    auth.login("leaver@council.example")
    assert client.get("/staff/enquiries/").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/staff/enquiries/").status_code == 302
