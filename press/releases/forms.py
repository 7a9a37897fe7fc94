from datetime import datetime

from flask_wtf.file import FileField
from wtforms import EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError

from press.accounts.models import Role
from press.forms import BaseForm, CheckboxesField, ClockTimeField, DatePartsField, needs_zone, uk_moment, zone_field
from press.releases.models import Withdrawal


def optional_id(value: object) -> int | None:
    """A chosen id, or None for the empty choice, so a select can start with nobody chosen."""
    if value in (None, ""):
        return None
    return int(value)  # type: ignore[call-overload]


class ReleaseForm(BaseForm):
    reference = StringField(
        "Reference",
        description="Leave blank for the next number in this financial year, for example PRESS 2024/25-07.",
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9][A-Za-z0-9 /.\-]*$", message="Use letters, numbers, spaces, / and - only."),
        ],
    )
    headline = StringField("Headline", validators=[InputRequired("Enter a headline."), Length(max=300)])
    release_date = DatePartsField("Release date", validators=[InputRequired("Enter the release date.")])
    standfirst = TextAreaField(
        "Standfirst (optional)",
        description="One or two sentences that sum the release up.",
        validators=[Optional(), Length(max=2000)],
    )
    body = TextAreaField(
        "Body",
        description="Markdown: a blank line between paragraphs, - for a list, **bold**, [link](https://...).",
        validators=[InputRequired("Enter the body of the release."), Length(max=200_000)],
    )
    notes_to_editors = TextAreaField("Notes to editors", validators=[Optional(), Length(max=50_000)])
    helpline = TextAreaField(
        "Helpline or public-safety box (optional)",
        description="For example: If you are worried about a child, ring ...",
        validators=[Optional(), Length(max=5000)],
    )
    contact_id = SelectField(
        "Media contact", coerce=optional_id, description="Named in the release and sent its enquiries.",
        validators=[Optional()],
    )
    tags = CheckboxesField(
        "Safeguarding tags (optional)",
        description="A tagged release has a safeguarding checklist to answer before it can be approved.",
        validators=[Optional()],
    )
    embargo_date = DatePartsField("Embargo date", validators=[Optional()])
    embargo_time = ClockTimeField("Embargo time (UK time)", validators=[Optional()])
    embargo_zone = zone_field()

    embargo_at: datetime | None = None
    # Set by the view: False while the person named in an imported release is being added as a user instead.
    contact_needed = True
    contact_message = "Choose the media contact."

    @property
    def needs_zone(self) -> bool:
        return needs_zone(self, "embargo")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.contact_needed and self.contact_id.data is None and not self.contact_id.errors:
            self.contact_id.errors = [self.contact_message]
            valid = False
        # An embargo may lie far ahead (a report due next year), so no date is too far.
        self.embargo_at = uk_moment(self, "embargo", missing="Enter the embargo {part} as well as the {other}.",
                                    too_far=None)
        return valid and not (self.embargo_date.errors or self.embargo_time.errors or self.embargo_zone.errors)


def _label(name: str) -> str:
    return getattr(ReleaseForm, name).args[0].removesuffix(" (optional)")


# What the history calls each field it records: the form's own labels, and words for the rest.
HISTORY_LABELS = {
    **{name: _label(name) for name in ("reference", "headline", "release_date", "standfirst", "body",
                                       "notes_to_editors", "helpline", "contact_id", "tags")},
    "helpline": "Helpline or public-safety box", "embargo_at": "Embargo", "public_from": "Public from",
    "kind": "How it was withdrawn", "reason": "Public reason", "filename": "File", "size": "Size in bytes",
}


ADD, EXISTING = "add", "existing"
EMAIL_MESSAGE = "Enter an email address like name@example.com."


class NamedContactForm(BaseForm):
    """The choice asked when an imported release names someone with no account: add them as a user, or pick one.

    Sent with the release form, whose CSRF token covers both, so this one carries none of its own.
    """

    class Meta:
        csrf = False

    # The contact block as the release has it, carried from the import to each save so the page can name them.
    named_name = HiddenField(validators=[Optional(), Length(max=200)])
    named_job_title = HiddenField(validators=[Optional(), Length(max=200)])
    named_organisation = HiddenField(validators=[Optional(), Length(max=200)])
    named_email = HiddenField(validators=[Optional(), Length(max=254)])
    named_phone = HiddenField(validators=[Optional(), Length(max=40)])
    choice = RadioField("Who is the media contact?", choices=[], validators=[Optional()])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    job_title = StringField("Job title (optional)", validators=[Optional(), Length(max=200)])
    email = EmailField("Email address", validators=[Optional(), Length(max=254)], render_kw={"spellcheck": "false"})
    phone = StringField("Mobile (optional)", validators=[Optional(), Length(max=40)], render_kw={"type": "tel"})
    role = RadioField(
        "What may they do here?",
        choices=[SelectChoice(Role.MANAGER.value, "Manager: writes, publishes and sends releases"),
                 SelectChoice(Role.STAFF.value, "Staff: reads releases and works on enquiries")],
        validators=[Optional()],
    )

    filter_name = filter_job_title = filter_email = filter_phone = staticmethod(
        lambda value: value.strip() if isinstance(value, str) else value)

    @property
    def named(self) -> str:
        """The person as the release names them: name, job title, organisation and email address."""
        label = ", ".join(x for x in (self.named_name.data, self.named_job_title.data, self.named_organisation.data)
                          if x) or "someone"
        return f"{label} ({self.named_email.data})" if self.named_email.data else label

    @property
    def short_name(self) -> str:
        return self.named_name.data or self.named_email.data or "this person"

    def offer(self) -> None:
        """Word the two choices with the name the release gives."""
        self.choice.choices = [SelectChoice(ADD, f"Add {self.short_name} as a user"),
                               SelectChoice(EXISTING, "Choose an existing user")]

    @property
    def adding(self) -> bool:
        return self.choice.data == ADD

    def validate(self, extra_validators=None) -> bool:
        self.offer()
        valid = super().validate(extra_validators)
        if self.choice.data not in (ADD, EXISTING):
            self.choice.errors = [f"Choose whether to add {self.short_name} as a user or to choose an existing user."]
            return False
        if self.adding:
            if not (self.name.data or "").strip():
                self.name.errors = [*self.name.errors, "Enter the name of the person to add."]
            if not (self.email.data or "").strip():
                self.email.errors = [*self.email.errors, "Enter the email address of the person to add."]
            elif not self.email.errors:
                try:
                    Email(EMAIL_MESSAGE)(self, self.email)
                except ValidationError as error:
                    self.email.errors = [str(error)]
            if self.role.data not in (Role.MANAGER, Role.STAFF):
                self.role.errors = ["Choose what they may do here."]
            valid = valid and not (self.name.errors or self.email.errors or self.role.errors)
        return valid


class ImportForm(BaseForm):
    text = TextAreaField(
        "Paste the release",
        description="Paste the whole release as text, from the reference line to the media contact.",
        validators=[Optional(), Length(max=500_000)],
    )
    document = FileField("Or upload a Word document (.docx) or text file (.txt)")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not (self.text.data or "").strip() and not self.document.data:
            self.text.errors = ["Paste the release or choose a file."]
            return False
        return valid


class AttachmentForm(BaseForm):
    document = FileField("File", description="PDF, Word (.docx) or image (PNG, JPEG, GIF, WebP), up to 20 MB.")
    title = StringField("Title (optional)", description="For example: Full report (PDF)", validators=[Optional(), Length(max=255)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.document.data:
            self.document.errors = ["Choose a file to attach."]
            return False
        return valid


class WithdrawForm(BaseForm):
    kind = RadioField(
        "How should it be withdrawn?",
        choices=[
            SelectChoice(Withdrawal.SUPERSEDED.value, "Superseded: keep the text public under a withdrawal notice"),
            SelectChoice(Withdrawal.REMOVED.value, "Removed: take the text and attachments down, leave only the notice"),
        ],
        validators=[InputRequired("Choose how to withdraw the release.")],
    )
    reason = TextAreaField(
        "Public reason", description="Shown on the release page.",
        validators=[InputRequired("Give the public reason for withdrawing it."), Length(max=2000)],
    )
