"""The forms of an FOI or EIR request's statutory clock, and of the admins' one-off non-working days."""

from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from press.enquiries import foi
from press.enquiries.forms import MAX_ENQUIRY_LENGTH, choices
from press.enquiries.models import LAW_NAMES, PAUSE_LABELS
from press.forms import BaseForm, DatePartsField, WholeNumberField

NEITHER = "none"  # the radio's value for "not an FOI or EIR request": a radio cannot post an empty value


class FlagForm(BaseForm):
    law = RadioField("Is this a request for information under the law?",
                     choices=choices({**{law: f"Yes, under the {name}" for law, name in LAW_NAMES.items()},
                                      NEITHER: "No, an ordinary media enquiry"}),
                     validators=[InputRequired("Choose FOI, EIR, or neither.")])

    @property
    def chosen_law(self) -> str:
        return "" if self.law.data == NEITHER else self.law.data


class PauseForm(BaseForm):
    kind = RadioField("What was sent to the requester", choices=choices(PAUSE_LABELS),
                      validators=[InputRequired("Choose a clarification or a fees notice.")])
    started_on = DatePartsField("Date sent", validators=[InputRequired("Enter the date it was sent.")], earliest=2000)
    note = TextAreaField("Note (optional)", description="What was asked, or the fee and how to pay it.",
                         validators=[Optional(), Length(max=MAX_ENQUIRY_LENGTH)])


class ResumeForm(BaseForm):
    ended_on = DatePartsField("Date answered", description="The day the clarification or the fee came in.",
                              validators=[InputRequired("Enter the date the answer or the fee came in.")], earliest=2000)


class ExtensionForm(BaseForm):
    days = WholeNumberField("Extra working days", description=f"From 1 to {foi.MOST_EXTRA_DAYS}. This replaces any "
                            "extension recorded before.",
                            validators=[InputRequired(f"Enter the extra working days, from 1 to {foi.MOST_EXTRA_DAYS}."),
                                        NumberRange(1, foi.MOST_EXTRA_DAYS,
                                                    f"Enter a number of working days from 1 to {foi.MOST_EXTRA_DAYS}.")],
                            render_kw={"inputmode": "numeric"})
    reason = TextAreaField("Reason", description="For FOI, the exemption whose public interest test needs the time; "
                           "for EIR, why the request is complex and voluminous.",
                           validators=[InputRequired("Enter the reason for the extension."),
                                       Length(max=MAX_ENQUIRY_LENGTH)])


class NonWorkingDayForm(BaseForm):
    day = DatePartsField("Date", validators=[InputRequired("Enter the date.")], earliest=2000)
    name = StringField("Name", description="For example: State funeral of Queen Elizabeth II",
                       validators=[InputRequired("Enter a name for the day."), Length(max=200)])
