"""Staff pages for one enquiry: reading it, logging a new one, and choosing the duty press officer."""


from flask import flash, make_response, redirect, render_template, request, url_for

from press import clock
from press.accounts.access import editor_required, staff_required
from press.audit import audit
from press.enquiries import queries, services
from press.enquiries.pages import acting_user, active_people, enquiry_page, get_enquiry, plain_choice_errors
from press.enquiries.forms import (
    NO_RELEASE,
    DutyOfficerForm,
    StaffEnquiryForm,
)
from press.enquiries.models import Channel
from press.extensions import db
from press.releases.models import Release
from press.enquiries.blueprints import staff as bp


RELEASE_CHOICES = 200
DUTY_HISTORY = 50


@bp.get("/<int:enquiry_id>")
@staff_required
def show(enquiry_id: int):
    return enquiry_page(get_enquiry(enquiry_id))


# --- Logging an enquiry that came by phone or email ------------------------------------------------------------

def staff_release(reference: str) -> Release | None:
    """A final release by reference, embargoed or not: staff may log enquiries about either."""
    if not reference or len(reference) > 40:
        return None
    return queries.final_release(db.session, reference)


def staff_enquiry_form() -> StaffEnquiryForm:
    form = StaffEnquiryForm()
    now = clock.now()
    recent = queries.recent_final_releases(db.session, RELEASE_CHOICES)
    chosen = staff_release((form.release.data if request.method == "POST" else request.args.get("release")) or "")
    if chosen is not None and chosen not in recent:
        recent.insert(0, chosen)
    form.set_releases([
        (r.reference, f"{r.headline} ({r.reference}{', embargoed' if r.under_embargo(now) else ''})") for r in recent
    ])
    if request.method == "GET":
        form.release.data = chosen.reference if chosen is not None else NO_RELEASE
    return form


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = staff_enquiry_form()
    if request.method == "GET":
        return render_template("enquiries/new_staff.html", form=form)
    valid = form.validate()
    plain_choice_errors(form.channel, "Choose how the enquiry came in: phone or email.")
    release = staff_release(form.release.data or "")
    if form.release.data and release is None:
        form.release.errors = ["Choose a press release from the list, or none."]
        valid = False
    if not valid:
        return make_response(render_template("enquiries/new_staff.html", form=form), 422)
    enquiry = services.submit_enquiry(db.session, channel=Channel(form.channel.data), by=acting_user(),
                                      release=release, **form.enquiry_fields())
    audit(db.session, "enquiry logged", acting_user(), enquiry, channel=form.channel.data)
    db.session.commit()
    flash(f"Enquiry logged with reference {enquiry.reference}.")
    return redirect(url_for(".show", enquiry_id=enquiry.id), 303)


# --- The duty press officer ------------------------------------------------------------------------------------

@bp.route("/duty-officer", methods=["GET", "POST"])
@editor_required
def duty_officer():
    form = DutyOfficerForm()
    form.user.choices = active_people()
    current = services.duty_officer(db.session)
    if request.method == "GET" and current is not None:
        form.user.data = current.id
    if form.validate_on_submit():
        chosen = queries.user_by_id(db.session, form.user.data)
        try:
            services.set_duty_officer(db.session, chosen, by=acting_user())
        except services.EnquiryError as error:
            form.user.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{chosen.name} is now the duty press officer.")
            return redirect(url_for(".duty_officer"), 303)
    plain_choice_errors(form.user, "Choose a person from the list of active accounts.")
    history = queries.duty_officer_history(db.session, DUTY_HISTORY)
    page = render_template("enquiries/duty_officer.html", form=form, current=current, history=history)
    return make_response(page, 422 if form.errors else 200)
