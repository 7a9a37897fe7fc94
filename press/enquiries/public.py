"""The journalist's side: the enquiry form and its confirmation."""

from flask import Response, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from press import clock
from press.database import unavailable
from press.enquiries import queries, services
from press.enquiries.forms import NO_RELEASE, SUBJECT_LENGTH, PublicEnquiryForm
from press.enquiries.services import ReleaseRoute
from press.extensions import db, limiter
from press.security import handle_database_error, stand_down_database, unavailable_response
from press.tokens import Token
from press.enquiries.blueprints import public as bp


RELEASE_CHOICES = 100
# How long the confirmation link shows the reference: long enough to note it down, not for ever.
CONFIRMATION_MAX_AGE = 24 * 60 * 60

TOKEN_PROBLEM = ("This form was open for a long time or came from another page, so it was not sent. "
                 "Your answers are still here: check them and send the enquiry again.")
TOO_MANY = "You have sent several enquiries in a short time. Wait a minute, then send this one again."


def enquiry_limit() -> str:
    return current_app.config["PRESS_ENQUIRY_RATE_LIMIT"]


# The confirmation page's link: the enquiry's id, signed and timed; it shows only the reference.
CONFIRMATION = Token("enquiry-sent", timed=True)


def public_release(reference: str) -> ReleaseRoute | None:
    """A release the public may see now, by reference; embargoed and draft ones do not exist here."""
    if not reference or len(reference) > 40:
        return None
    return queries.public_release(db.session.connection(), reference, clock.now())


def show_form(form: PublicEnquiryForm, status: int = 200, chosen: ReleaseRoute | None = None) -> Response:
    """Render the form with the recent public releases to choose from (and the chosen one, however old)."""
    recent = queries.recent_public_releases(db.session, clock.now(), RELEASE_CHOICES)
    choices = [(reference, f"{headline} ({reference})") for reference, headline in recent]
    if chosen is not None and chosen.reference not in {reference for reference, _ in choices}:
        choices.insert(0, (chosen.reference, f"{chosen.headline} ({chosen.reference})"))
    form.set_releases(choices)
    return make_response(render_template("enquiries/new.html", form=form), status)


def posted_again(message: str, status: int) -> Response:
    """The posted form back, everything typed kept, with one message for the whole form."""
    form = PublicEnquiryForm()
    form.form_errors.append(message)
    return show_form(form, status, public_release(form.release.data or ""))


def too_many_requests(limit) -> Response:  # noqa: ARG001 - Flask-Limiter passes the limit it hit
    """Over the limit: the form comes back with everything typed and says when to try again."""
    return posted_again(TOO_MANY, 429)


def form_unavailable(error: SQLAlchemyError) -> Response:
    """The database cannot be reached: the form, without it, keeps everything typed and says how to reach the office.

    The release list comes from the database, so the only choice offered is the release the journalist
    chose (or asked for in the address), by its reference: it goes with the enquiry when it is sent again.
    """
    stand_down_database(error)
    form = PublicEnquiryForm()
    if request.method == "GET":
        form.release.data = request.args.get("release", NO_RELEASE)
    reference = form.release.data or NO_RELEASE
    if len(reference) > 40:
        form.release.data = reference = NO_RELEASE
    form.set_releases([(reference, f"Press release {reference}")] if reference else [])
    return unavailable_response(render_template("enquiries/new.html", form=form, unavailable=True))


@bp.errorhandler(DBAPIError)
@bp.errorhandler(PoolTimeout)
def database_trouble(error: SQLAlchemyError) -> Response:
    """An outage while the form is shown or sent gives the form back, answers kept; elsewhere, the usual pages."""
    if request.endpoint == "enquiries_public.new" and unavailable(error):
        return form_unavailable(error)
    return handle_database_error(error)


@bp.errorhandler(CSRFError)
def token_problem(error: CSRFError) -> Response:
    """A missing or stale form token: nothing is sent, and the form comes back with the answers kept."""
    db.session.rollback()
    if request.endpoint != "enquiries_public.new":
        return make_response(render_template("errors/csrf.html", error=error), 400)
    try:
        return posted_again(TOKEN_PROBLEM, 400)
    except (DBAPIError, PoolTimeout) as problem:
        # Flask gives an error handler's own errors to no handler: this one must answer the outage itself.
        return database_trouble(problem)


# On the blueprint rather than the view, so the limit is checked once per request, not twice; the form
# is the blueprint's only POST.
limiter.limit(enquiry_limit, methods=["POST"], on_breach=too_many_requests)(bp)


@bp.route("/enquiries/new", methods=["GET", "POST"])
def new():
    form = PublicEnquiryForm()
    if request.method == "GET":
        release = public_release(request.args.get("release", ""))
        form.release.data = release.reference if release is not None else NO_RELEASE
        if release is not None:
            # Only a release the public may see gets this far: an embargoed headline is never put in the page.
            form.subject.data = release.headline[:SUBJECT_LENGTH]
        return show_form(form, chosen=release)
    valid = form.validate()
    release = public_release(form.release.data or "")
    if form.release.data and release is None:
        form.release.errors = ["Choose a press release from the list, or none."]
        valid = False
    if not valid:
        return show_form(form, 422, release)
    if form.website.data:
        # A filled honeypot looks like success, so a bot learns nothing; nothing is kept or sent.
        return redirect(url_for("enquiries_public.sent", token="received"), 303)
    enquiry_id = services.take_enquiry(db.session, release=release, **form.enquiry_fields()).id
    db.session.commit()
    return redirect(url_for("enquiries_public.sent", token=CONFIRMATION.make(enquiry_id)), 303)


@bp.get("/enquiries/sent/<token>")
def sent(token: str):
    enquiry = None
    if token != "received":
        enquiry_id = CONFIRMATION.read(token, max_age=CONFIRMATION_MAX_AGE)
        enquiry = queries.enquiry_by_id(db.session, enquiry_id) if type(enquiry_id) is int else None
        if enquiry is None:
            abort(404)
    return render_template("enquiries/sent.html", enquiry=enquiry)
