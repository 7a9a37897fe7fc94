"""The enquiry form (the journalist's and the one staff fill in for a call), and the forms that work an enquiry."""

from datetime import datetime

from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, Email, InputRequired, Length, Optional, Regexp

from press import clock
from press.enquiries.models import (
    CHANNEL_LABELS,
    INTERVIEW_FORMATS,
    INTERVIEW_MODES,
    KIND_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Channel,
    EnquiryKind,
    EnquiryStatus,
)
from press.forms import BaseForm, ClockTimeField, DatePartsField, needs_zone, uk_moment, zone_field

MAX_ENQUIRY_LENGTH = 20_000
TOO_FAR = "Enter a date within the next year."
NO_RELEASE = ""
# The questions only an interview request asks (shown together on the page, in one fieldset).
INTERVIEW_FIELDS = ("interviewee", "interview_format", "interview_mode", "proposed_date", "proposed_time",
                    "proposed_zone", "proposed_place")
SUBJECT_LENGTH = 300


def choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


class EnquiryForm(BaseForm):
    """What a journalist tells us; staff logging a call fill in the same fields."""

    name = StringField("Your name", validators=[InputRequired("Enter your name."), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    outlet = StringField("Media outlet", description="For example: Northshire Gazette, BBC Radio Northshire, freelance",
                         validators=[InputRequired("Enter your media outlet, or freelance."), Length(max=200)],
                         render_kw={"autocomplete": "organization"})
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."),
                                                    Email("Enter an email address like name@example.com."),
                                                    Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"})
    phone = StringField("Phone number (optional)", description="So we can call you back before your deadline.",
                        validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel", "type": "tel"})
    kind = RadioField("Type of enquiry", choices=choices(KIND_LABELS),
                      validators=[InputRequired("Choose the type of enquiry.")])
    release = SelectField("Press release it is about (optional)", validators=[Optional()], validate_choice=False)
    subject = StringField("Subject", validators=[InputRequired("Enter a subject."), Length(max=SUBJECT_LENGTH)])
    body = TextAreaField("Your enquiry", description="What you would like to know, and anything we should know.",
                         validators=[InputRequired("Enter your enquiry."),
                                     Length(max=MAX_ENQUIRY_LENGTH,
                                            message=f"Your enquiry must be {MAX_ENQUIRY_LENGTH:,} characters or fewer.")])
    deadline_date = DatePartsField("Deadline date", validators=[InputRequired("Enter the date of your deadline.")])
    deadline_time = ClockTimeField("Deadline time (UK time)", description="For example 16:30.",
                              validators=[InputRequired("Enter the time of your deadline.")])
    deadline_zone = zone_field()
    interviewee = StringField("Who you would like to interview",
                              description="A name or a role, for example the director of children's services.",
                              validators=[Optional(), Length(max=200)])
    interview_format = RadioField("Format", choices=choices(INTERVIEW_FORMATS), validators=[Optional()])
    interview_mode = RadioField("Live or recorded", choices=choices(INTERVIEW_MODES), validators=[Optional()])
    proposed_date = DatePartsField("Proposed date", validators=[Optional()])
    proposed_time = ClockTimeField("Proposed time (UK time)", validators=[Optional()])
    proposed_zone = zone_field()
    proposed_place = StringField("Proposed place", description="Or say if it would be by phone or video.",
                                 validators=[Optional(), Length(max=300)])

    deadline_at: datetime | None = None
    proposed_at: datetime | None = None

    def set_releases(self, releases: list[tuple[str, str]]) -> None:
        self.release.choices = [SelectChoice(NO_RELEASE, "Not about a particular release")] + [
            SelectChoice(reference, label) for reference, label in releases
        ]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self.deadline_at = uk_moment(self, "deadline", too_far=TOO_FAR)
        if self.deadline_at is not None and self.deadline_at <= clock.now():
            self.deadline_time.errors = ["Your deadline must be in the future. Check the date and time."]
            self.deadline_at = None
        if self.kind.data == EnquiryKind.INTERVIEW:
            if not self.interviewee.data:
                self.interviewee.errors = ["Say who you would like to interview, or a spokesperson."]
            if not self.interview_format.data:
                self.interview_format.errors = ["Choose the format of the interview."]
        if self.other_kind_chosen():
            # The page hides the interview questions for other kinds and their answers are not kept, so
            # nothing left in them (typed before the type was changed, say) can hold the enquiry up.
            for name in INTERVIEW_FIELDS:
                self[name].errors = []
            self.proposed_at = None
        else:
            self.proposed_at = uk_moment(self, "proposed", missing="Enter the proposed {part} as well as the {other}.",
                                         too_far=TOO_FAR)
        # Not super()'s answer: it counts the interview answers whose errors were just set aside.
        return not any(field.errors for field in self)

    def other_kind_chosen(self) -> bool:
        """Whether a real type of enquiry other than an interview request was chosen."""
        return not self.kind.errors and self.kind.data in KIND_LABELS and self.kind.data != EnquiryKind.INTERVIEW

    def needs_zone(self, prefix: str) -> bool:
        return needs_zone(self, prefix)

    def enquiry_fields(self) -> dict:
        """The form's answers as Enquiry columns; interview details are kept only for interview requests."""
        interview = self.kind.data == EnquiryKind.INTERVIEW
        return {
            "journalist_name": " ".join(self.name.data.split()),
            "outlet": " ".join(self.outlet.data.split()),
            "email": self.email.data.strip(),
            "phone": (self.phone.data or "").strip(),
            "kind": self.kind.data,
            "subject": " ".join(self.subject.data.split()),
            "body": self.body.data.strip(),
            "deadline_at": self.deadline_at,
            "interviewee": (self.interviewee.data or "").strip() if interview else "",
            "interview_format": (self.interview_format.data or "") if interview else "",
            "interview_mode": (self.interview_mode.data or "") if interview else "",
            "proposed_at": self.proposed_at if interview else None,
            "proposed_place": (self.proposed_place.data or "").strip() if interview else "",
        }


class PublicEnquiryForm(EnquiryForm):
    # Hidden from people; bots fill every field they find.
    website = StringField("Leave this field empty", validators=[Optional(), Length(max=200)])


class StaffEnquiryForm(EnquiryForm):
    """An enquiry that came by phone or email, logged by a press officer."""

    channel = RadioField("How it came in", choices=choices({k: v for k, v in CHANNEL_LABELS.items() if k != Channel.WEB}),
                         validators=[InputRequired("Choose how the enquiry came in.")])
    email = EmailField("Journalist's email address (optional)",
                       validators=[Optional(), Email("Enter an email address like name@example.com."), Length(max=254)],
                       render_kw={"spellcheck": "false"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name.label.text = "Journalist's name"
        self.outlet.label.text = "Media outlet"
        self.phone.label.text = "Journalist's phone number (optional)"
        self.body.label.text = "The enquiry"
        self.body.description = "What they asked, in their words where you can."
        self.deadline_date.label.text = "Their deadline: date"
        self.deadline_time.label.text = "Their deadline: time (UK time)"


class NoteForm(BaseForm):
    text = TextAreaField("Internal note", description="Only staff see notes. Notes cannot be edited afterwards.",
                         validators=[InputRequired("Enter the note."), Length(max=MAX_ENQUIRY_LENGTH)])


class ResponseForm(BaseForm):
    text = TextAreaField("What we told the journalist", description="Paste the statement or sum up what was said.",
                         validators=[InputRequired("Enter the response."), Length(max=MAX_ENQUIRY_LENGTH)])


class StatusForm(BaseForm):
    status = SelectField("Status", choices=choices({s: STATUS_LABELS[s] for s in
                                                    (EnquiryStatus.NEW, EnquiryStatus.IN_PROGRESS, EnquiryStatus.RESPONDED)}),
                         validators=[InputRequired("Choose a status.")])


class AssignForm(BaseForm):
    assignee = SelectField("Assign to", coerce=int, validators=[InputRequired("Choose a person.")])


class CloseForm(BaseForm):
    outcome = RadioField("Outcome", choices=choices(OUTCOME_LABELS), validators=[InputRequired("Choose the outcome.")])
    coverage_url = StringField("Link to the coverage (optional)", description="For example https://www.northshiregazette.example/news/123",
                               validators=[Optional(), Length(max=1000),
                                           Regexp(r"(?i)^https?://", message="Enter a full web address starting https://"),
                                           URL(require_tld=False, message="Enter a full web address starting https://")])
    text = TextAreaField("Closing note (optional)", validators=[Optional(), Length(max=MAX_ENQUIRY_LENGTH)])


class DutyOfficerForm(BaseForm):
    user = SelectField("Duty press officer", coerce=int, validators=[InputRequired("Choose the duty press officer.")],
                       description="Enquiries that are not about a release go to this person.")
