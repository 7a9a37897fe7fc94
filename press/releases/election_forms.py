"""The forms of the pre-election period: the admins' periods and names, the manager's confirmation that a release
meets the publicity code, and an admin's override."""

from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from press.forms import BaseForm, DatePartsField
from press.releases.elections import CODE

MAX_WARDS = 200


class PeriodForm(BaseForm):
    name = StringField("What election", description="For example: Northshire County Council elections, 7 May 2026",
                       validators=[InputRequired("Enter what election the period is for."), Length(max=200)])
    starts_on = DatePartsField("First day", description="In UK dates. For example, 30 3 2026",
                               validators=[InputRequired("Enter the first day of the period.")], earliest=2000)
    ends_on = DatePartsField("Last day", description="Usually polling day. For example, 7 5 2026",
                             validators=[InputRequired("Enter the last day of the period.")], earliest=2000)
    scope = RadioField("Where", choices=[SelectChoice("whole", "The whole area"), SelectChoice("wards", "Listed wards")],
                       default="whole", validators=[InputRequired("Choose the whole area or listed wards.")])
    wards = TextAreaField("Wards", description="If the election is in listed wards: one ward a line.",
                          validators=[Optional(), Length(max=20_000)])

    def ward_list(self) -> list[str] | None:
        """The wards typed, each once; None for the whole area."""
        if self.scope.data != "wards":
            return None
        return list(dict.fromkeys(" ".join(line.split()) for line in (self.wards.data or "").splitlines() if line.strip()))

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.name.data is not None and not self.name.data.strip() and not self.name.errors:
            self.name.errors = ["Enter what election the period is for."]
        wards = self.ward_list()
        if wards is not None and not wards:
            self.wards.errors = [*self.wards.errors, "Enter the wards, one a line, or choose the whole area."]
        elif wards is not None and len(wards) > MAX_WARDS:
            self.wards.errors = [*self.wards.errors, f"Enter at most {MAX_WARDS} wards."]
        if self.starts_on.data and self.ends_on.data and self.ends_on.data < self.starts_on.data:
            self.ends_on.errors = [*self.ends_on.errors, "The last day must be the same as or after the first day."]
        return not self.errors


class NameForm(BaseForm):
    name = StringField("Full name", description="As a release would write it, for example: Jo Bloggs",
                       validators=[InputRequired("Enter the councillor's or candidate's full name."), Length(max=200)])
    ward = StringField("Ward (optional)", validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.name.data is not None and not self.name.data.strip() and not self.name.errors:
            self.name.errors = ["Enter the councillor's or candidate's full name."]
        return not self.errors


class ClearanceForm(BaseForm):
    """Shown with a release's publishing or sending during a period, with the prefix "election"."""

    code_confirmed = BooleanField(f"This release meets {CODE}")


class OverrideForm(BaseForm):
    reason = TextAreaField("Reason for the override",
                           description="Why this release may name them during the period: it goes in the release's "
                                       "history and the audit trail.",
                           validators=[InputRequired("Enter the reason for the override."), Length(max=5000)])

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.reason.data is not None and not self.reason.data.strip() and not self.reason.errors:
            self.reason.errors = ["Enter the reason for the override."]
        return not self.errors
