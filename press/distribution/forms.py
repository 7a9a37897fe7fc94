"""The form for sending a release: who gets it, when it goes, and when sending must stop."""

import re
from datetime import datetime, timedelta

from wtforms import DateField, HiddenField, RadioField, SubmitField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from press import clock, uktime
from press.contacts.staff_forms import CheckboxesField
from press.forms import BaseForm

MAX_TYPED_ADDRESSES = 1000
# Nobody schedules a release further ahead; a date past it is a slip of the keyboard.
FURTHEST_AHEAD = timedelta(days=366)
ZONE_CHOICES = [
    SelectChoice("BST", "BST, the first time (before the clocks go back)"),
    SelectChoice("GMT", "GMT, the second time"),
]


def zone_field() -> RadioField:
    return RadioField("Which time do you mean?", choices=ZONE_CHOICES, validators=[Optional()])


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
    send_date = DateField("Date to send", validators=[Optional()])
    send_time = TimeField("Time to send (UK time)", validators=[Optional()])
    send_zone = zone_field()
    stop_date = DateField("Date to stop sending", validators=[Optional()])
    stop_time = TimeField("Time to stop sending (UK time)", validators=[Optional()])
    stop_zone = zone_field()
    # One key per form shown: a double click or a resubmitted page lands on the distribution already made.
    request_key = HiddenField(validators=[
        InputRequired("The form has lost its one-time key: reload the page and choose again."),
        Length(max=64), Regexp(r"^[A-Za-z0-9_-]+$", message="The form's one-time key is not valid: reload the page."),
    ])
    check = SubmitField("Check who will receive it")
    send = SubmitField("Send the release")
    test = SubmitField("Send me a test")

    send_at: datetime | None = None
    stop_at: datetime | None = None

    def addresses(self) -> list[str]:
        """The addresses typed, lower-case and each once, in the order they were typed."""
        typed = re.split(r"[\s,;]+", (self.emails.data or "").lower())
        return list(dict.fromkeys(address.strip("<>") for address in typed if address.strip("<>")))

    def uk_moment(self, prefix: str, what: str) -> datetime | None:
        """The UTC moment in a date, time and zone trio of fields, or None; a problem goes on the field."""
        day, at, zone = self[f"{prefix}_date"], self[f"{prefix}_time"], self[f"{prefix}_zone"]
        if day.errors or at.errors or zone.errors or (day.data is None and at.data is None):
            return None
        if day.data is None or at.data is None:
            missing = day if day.data is None else at
            missing.errors = [f"Enter the {'date' if missing is day else 'time'} {what} as well."]
            return None
        ambiguous = uktime.is_ambiguous(day.data, at.data)
        try:
            moment = uktime.london_to_utc(day.data, at.data, zone.data if ambiguous else None)
        except uktime.AmbiguousTimeError as error:
            zone.errors = [str(error)]
            return None
        except ValueError as error:
            at.errors = [*at.errors, str(error)]
            return None
        if moment > clock.now() + FURTHEST_AHEAD:
            day.errors = [f"Choose a date {what} within the next year."]
            return None
        return moment

    def needs_zone(self, prefix: str) -> bool:
        """Whether the time typed happens twice, so the page must ask which one is meant."""
        day, at, zone = self[f"{prefix}_date"], self[f"{prefix}_time"], self[f"{prefix}_zone"]
        return bool(zone.errors) or (day.data is not None and at.data is not None
                                     and uktime.is_ambiguous(day.data, at.data))

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        now = clock.now()
        self.send_at = self.stop_at = None
        if self.when.data == "later":
            self.send_at = self.uk_moment("send", "to send it")
            if self.send_at is None and not (self.send_date.errors or self.send_time.errors or self.send_zone.errors):
                self.send_date.errors = ["Enter the date and time to send it, or choose Send now."]
            elif self.send_at is not None and self.send_at < now.replace(second=0, microsecond=0):
                self.send_time.errors = ["That time has passed: choose a later time, or choose Send now."]
        else:
            # Sending now: whatever is in the send time fields is not used, so it cannot be wrong.
            self.send_date.errors, self.send_time.errors, self.send_zone.errors = [], [], []
        self.stop_at = self.uk_moment("stop", "to stop sending")
        if self.stop_at is not None and self.stop_at <= (self.send_at or now):
            self.stop_time.errors = [*self.stop_time.errors, "The time to stop sending must be after the time to send."]
        if len(self.addresses()) > MAX_TYPED_ADDRESSES:
            self.emails.errors = [*self.emails.errors, f"Enter at most {MAX_TYPED_ADDRESSES:,} addresses here: "
                                  "put more people on a list instead."]
        if not self.test.data and not self.lists.data and not self.addresses() and not self.lists.errors:
            self.lists.errors = ["Choose at least one list, or enter the addresses of contacts to send it to."]
        return not self.errors
