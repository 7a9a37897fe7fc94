"""The form for sending a release: who gets it, when it goes, and when sending must stop."""

import re
from datetime import datetime

from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from press import clock
from press.forms import BaseForm, CheckboxesField, ClockTimeField, DatePartsField, needs_zone, uk_moment, zone_field

MAX_TYPED_ADDRESSES = 1000
# The fields a manager fills in; the confirmation page sends them back unchanged.
CHOICES = ("lists", "emails", "when", "send_date", "send_time", "send_zone", "stop_date", "stop_time", "stop_zone")


class SendForm(BaseForm):
    lists = CheckboxesField("Lists", coerce=int, choices=[])
    emails = TextAreaField(
        "Other contacts (optional)",
        description="Email addresses of people already in the contacts list, one a line.",
        validators=[Optional(), Length(max=100_000)],
        render_kw={"spellcheck": "false"},
    )
    when = RadioField(
        "When should it go?",
        choices=[SelectChoice("now", "Send now"), SelectChoice("later", "Schedule")],
        default="now",
        validators=[InputRequired("Choose Send now or Schedule.")],
    )
    send_date = DatePartsField("Date to send", validators=[Optional()])
    send_time = ClockTimeField("Time to send (UK time)", validators=[Optional()])
    send_zone = zone_field()
    stop_date = DatePartsField("Date to stop sending", validators=[Optional()])
    stop_time = ClockTimeField("Time to stop sending (UK time)", validators=[Optional()])
    stop_zone = zone_field()
    # One key per form shown: a double click or a resubmitted page lands on the distribution already made.
    request_key = HiddenField(validators=[
        InputRequired("The form has lost its one-time key: reload the page and choose again."),
        Length(max=64), Regexp(r"^[A-Za-z0-9_-]+$", message="The form's one-time key is not valid: reload the page."),
    ])
    check = SubmitField("Check who will receive it")
    # Goes to the confirmation page, which queues nothing; only its own button sends.
    send = SubmitField("Continue to check and send")
    test = SubmitField("Send me a test")
    # The confirmation page's buttons, and the number of recipients it showed (recounted before anything goes).
    confirm = SubmitField("Send")
    change = SubmitField("Change lists")
    expected = HiddenField()

    send_at: datetime | None = None
    stop_at: datetime | None = None

    def addresses(self) -> list[str]:
        """The addresses typed, lower-case and each once, in the order they were typed."""
        typed = re.split(r"[\s,;]+", (self.emails.data or "").lower())
        return list(dict.fromkeys(address.strip("<>") for address in typed if address.strip("<>")))

    def choices_made(self) -> list[tuple[str, str]]:
        """Each choice as it was sent, to carry through the confirmation page as hidden fields and back."""
        return [(self[name].name, value) for name in CHOICES for value in (self[name].raw_data or [])]

    def needs_zone(self, prefix: str) -> bool:
        return needs_zone(self, prefix)

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        now = clock.now()
        self.send_at = self.stop_at = None
        if self.when.data == "later":
            self.send_at = uk_moment(self, "send", "to send it")
            if self.send_at is None and not (self.send_date.errors or self.send_time.errors or self.send_zone.errors):
                self.send_date.errors = ["Enter the date and time to send it, or choose Send now."]
            elif self.send_at is not None and self.send_at < now.replace(second=0, microsecond=0):
                self.send_time.errors = ["That time has passed: choose a later time, or choose Send now."]
        else:
            # Sending now: whatever is in the send time fields is not used, so it cannot be wrong.
            self.send_date.errors, self.send_time.errors, self.send_zone.errors = [], [], []
        self.stop_at = uk_moment(self, "stop", "to stop sending")
        if self.stop_at is not None and self.stop_at <= (self.send_at or now):
            self.stop_time.errors = [*self.stop_time.errors, "The time to stop sending must be after the time to send."]
        if len(self.addresses()) > MAX_TYPED_ADDRESSES:
            self.emails.errors = [*self.emails.errors, f"Enter at most {MAX_TYPED_ADDRESSES:,} addresses here: "
                                  "put more people on a list instead."]
        if not self.test.data and not self.lists.data and not self.addresses() and not self.lists.errors:
            self.lists.errors = ["Choose at least one list, or enter the addresses of contacts to send it to."]
        return not self.errors
