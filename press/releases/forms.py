from datetime import datetime

from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from press.forms import BaseForm, needs_zone, uk_moment, zone_field
from press.releases.models import Withdrawal


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
    release_date = DateField("Release date", validators=[InputRequired("Enter the release date.")])
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
        "Media contact", coerce=int, description="Named in the release and sent its enquiries.",
        validators=[InputRequired("Choose the media contact.")],
    )
    embargo_date = DateField("Embargo date", validators=[Optional()])
    embargo_time = TimeField("Embargo time (UK time)", validators=[Optional()])
    embargo_zone = zone_field()

    embargo_at: datetime | None = None

    @property
    def needs_zone(self) -> bool:
        return needs_zone(self, "embargo")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # An embargo may lie far ahead (a report due next year), so no date is too far.
        self.embargo_at = uk_moment(self, "embargo", missing="Enter the embargo {part} as well as the {other}.",
                                    too_far=None)
        return valid and not (self.embargo_date.errors or self.embargo_time.errors or self.embargo_zone.errors)


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
