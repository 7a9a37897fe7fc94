"""Public pages for journalists: unsubscribe (RFC 8058 one-click too) and asking for releases."""

from flask import abort, current_app, render_template

from press.contacts import emails, services, signups
from press.contacts.forms import SignupForm
from press.extensions import csrf, db, limiter
from press.forms import BaseForm
from press.limits import public_limit
from press.contacts.blueprints import public as bp



def contact_or_404(token: str):
    """The token's contact; a forged token and an unknown one get the same answer."""
    contact = services.contact_for_token(db.session, token)
    if contact is None:
        abort(404)
    return contact


@bp.get("/unsubscribe/<token>")
@limiter.limit(public_limit)
def unsubscribe_page(token: str):
    contact = contact_or_404(token)
    return render_template("contacts/unsubscribe.html", contact=contact, token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: mail providers post without a session; the signed token is the credential.
@limiter.limit(public_limit)
def unsubscribe(token: str):
    contact = contact_or_404(token)
    services.unsubscribe(db.session, contact, how="Unsubscribed with the link in an email")
    db.session.commit()
    return render_template("contacts/unsubscribe.html", contact=contact, token=token, done=True)


@bp.route("/get-releases", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def signup():
    media_list = signups.signup_list(db.session)
    if media_list is None:
        return render_template("contacts/signup_closed.html")
    form = SignupForm()
    organisation = current_app.config["PRESS_ORGANISATION"]
    form.consent.label.text = signups.CONSENT_TEXT.format(organisation=organisation)
    if form.validate_on_submit():
        if not form.website.data:
            signups.request_signup(db.session, name=form.name.data, email=form.email.data,
                                   outlet=form.outlet.data or "", media_list=media_list, organisation=organisation)
            db.session.commit()
        # A filled honeypot gets the same page, so a bot learns nothing.
        return render_template("contacts/signup_sent.html", email=form.email.data)
    return render_template("contacts/signup.html", form=form)


@bp.route("/get-releases/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def confirm(token: str):
    config = current_app.config
    signup = emails.signup_for_token(db.session, token, config["PRESS_SIGNUP_CONFIRM_DAYS"])
    if signup is None:
        return render_template("contacts/signup_invalid.html"), 404
    form = BaseForm()
    # Confirming takes a press of the button: mail scanners that open links must not sign people up.
    if form.validate_on_submit():
        signups.confirm_signup(db.session, signup)
        db.session.commit()
        return render_template("contacts/signup_confirmed.html", signup=signup)
    return render_template("contacts/signup_confirm.html", signup=signup, form=form)
