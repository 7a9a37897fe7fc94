"""What every area's forms share: the base form (CSRF from Flask-WTF, text cleaned before any validator sees
it), an action button's form, checkboxes, dates and times typed the same way in every browser, and a moment
typed in UK time."""

import calendar
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from press import clock, uktime

# Characters no person types into a form; NUL in particular is refused by PostgreSQL.
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


def strip_control_characters(value: Any) -> Any:
    return value.translate(_CONTROL) if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            own = unbound_field.kwargs.get("filters", ())
            options["filters"] = (strip_control_characters, *own)
            return unbound_field.bind(form=form, **options)


def repeat_args(form: BaseForm, names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The query-string arguments that ask for a filter form's good choices again, for links to other pages."""
    typed = {name: str(form[name].raw_data[0]) for name in names
             if not form[name].errors and form[name].raw_data and form[name].raw_data[0]}
    return {name: value.translate(dict.fromkeys(range(32))) for name, value in typed.items()}


class ActionForm(BaseForm):
    """A button that changes something: the form carries only the CSRF token."""


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes rather than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WholeNumberField(IntegerField):
    """A whole number typed in a box; anything else gets the field's own message, and is shown again as typed.

    A text box (with a numeric keypad on phones) rather than type=number, which lets a browser change or
    drop what was typed before the form sees it.
    """

    widget = TextInput()

    def __init__(self, *args: Any, invalid: str = "Enter a whole number, such as 30.", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
            return
        if not re.fullmatch(r"\d{1,9}", text):
            self.data = None
            raise ValueError(self.invalid)
        self.data = int(text)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            # The message above says it all; a range check on nothing would only repeat it.
            raise StopValidation


# --- Dates and times, typed the same way whatever the browser's language ----------------------------------

DATE_PARTS = ("day", "month", "year")
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9


def _typed(value: Any, longest: int) -> str:
    """A box's value as typed, without control characters or spare spaces, cut to a length that can be shown."""
    return " ".join(strip_control_characters(str(value)).split())[:longest]


class DatePartsField(Field):
    """A date typed as Day, Month and Year in three boxes (the GOV.UK date input), never a browser's picker.

    The boxes are ``<name>-day``, ``<name>-month`` and ``<name>-year``; a month may be typed as a number or a
    name. A form posted with the one value ``<name>`` (2024-09-03 or 3/9/2024) is read as well. What was typed
    is kept to show again (``parts``), and an error says which part is wrong and marks it (``wrong``).
    """

    widget = TextInput()  # never used to render: templates/macros/forms.html draws the three boxes

    def __init__(self, label: str | None = None, validators=None, *, earliest: int = 1900, latest: int = 2100,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.earliest, self.latest = earliest, latest
        self.parts = dict.fromkeys(DATE_PARTS, "")
        self.wrong: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """The id of the box an error summary's link should land on: the first wrong part, or the day."""
        return f"{self.id}-{self.wrong[0] if self.wrong else 'day'}"

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = self.data = data
        self.parts = self._shown(data)
        self.wrong = ()
        self.raw_data = []
        if formdata is None:
            return
        keys = [f"{self.name}-{part}" for part in DATE_PARTS]
        one_value = False
        if any(key in formdata for key in keys):
            self.parts = {part: _typed(formdata.get(key, ""), 20) for part, key in zip(DATE_PARTS, keys, strict=True)}
        elif self.name in formdata:
            self.parts = self._one_value(_typed(formdata.get(self.name, ""), 40))
            one_value = True
        else:
            return
        typed = [value for value in self.parts.values() if value]
        self.raw_data = [" ".join(typed)]
        self.data = None
        if not typed:
            return
        try:
            self.data = self._parse()
        except ValueError as error:
            self.process_errors.append(str(error))
            return
        self.raw_data = [self.data.isoformat()]
        if one_value:
            self.parts = self._shown(self.data)

    def _shown(self, value: date | None) -> dict[str, str]:
        if not isinstance(value, date):
            return dict.fromkeys(DATE_PARTS, "")
        return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}

    def _one_value(self, value: str) -> dict[str, str]:
        """The parts of 2024-09-03 or 3/9/2024, checked afterwards as if typed in the boxes."""
        if found := re.fullmatch(r"(\d{1,6})-(\d{1,2})-(\d{1,2})", value):
            return {"day": found.group(3), "month": found.group(2), "year": found.group(1)}
        if found := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{1,6})", value):
            return {"day": found.group(1), "month": found.group(2), "year": found.group(3)}
        # Something else: shown as typed in the day box, and said to be wrong there.
        return {"day": value, "month": "", "year": ""}

    def _parse(self) -> date:
        what = self.label.text
        missing = [part for part in DATE_PARTS if not self.parts[part]]
        if missing:
            self.wrong = tuple(missing)
            listed = " and a ".join(missing) if len(missing) == 2 else missing[0]
            raise ValueError(f"{what} must include a {listed}.")
        day_text, month_text, year_text = (self.parts[part] for part in DATE_PARTS)
        month = int(month_text) if month_text.isdigit() else MONTHS.get(month_text.lower().rstrip("."))
        if not day_text.isdigit() or not 1 <= int(day_text) <= 31:
            self.wrong = ("day",)
            raise ValueError(f"{what}: the day must be a number from 1 to 31.")
        if month is None or not 1 <= month <= 12:
            self.wrong = ("month",)
            raise ValueError(f"{what}: the month must be a number from 1 to 12, or its name.")
        if not re.fullmatch(r"\d{4}", year_text):
            self.wrong = ("year",)
            raise ValueError(f"{what}: the year must have 4 numbers, like {clock.now().year}.")
        year = int(year_text)
        if not self.earliest <= year <= self.latest:
            self.wrong = ("year",)
            raise ValueError(f"{what}: the year must be between {self.earliest} and {self.latest}.")
        days_in_month = calendar.monthrange(year, month)[1]
        if int(day_text) > days_in_month:
            self.wrong = ("day",)
            raise ValueError(f"{what} must be a real date: {calendar.month_name[month]} {year} has {days_in_month} "
                             "days.")
        return date(year, month, int(day_text))


TIME_PATTERN = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)


class ClockTimeField(StringField):
    """A time of day typed in one box as 16:30 (or 16.30, 4:30pm, 4pm), the same in every browser; midday is
    12:00 and midnight 00:00."""

    def __init__(self, label: str | None = None, validators=None, **kwargs: Any) -> None:
        render_kw = {"autocomplete": "off", "spellcheck": "false"} | kwargs.pop("render_kw", {})
        kwargs.setdefault("description", "For example, 16:30.")
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        typed = _typed(valuelist[0], 20)
        found = TIME_PATTERN.fullmatch(typed)
        if found is None:
            raise ValueError(f"{self.label.text}: enter hours and minutes, like 16:30.")
        hours, minutes, half = int(found.group(1)), int(found.group(2) or 0), (found.group(3) or "").lower()
        if half:
            if not 1 <= hours <= 12:
                raise ValueError(f"{self.label.text}: with am or pm the hour must be from 1 to 12, like 4:30pm.")
            hours = hours % 12 + (12 if half.startswith("p") else 0)
        elif found.group(2) is None:
            raise ValueError(f"{self.label.text}: enter hours and minutes, like 16:30.")
        if hours > 23:
            raise ValueError(f"{self.label.text}: the hour must be from 0 to 23.")
        if minutes > 59:
            raise ValueError(f"{self.label.text}: the minutes must be from 00 to 59.")
        self.data = time(hours, minutes)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return f"{self.data:%H:%M}" if isinstance(self.data, time) else ""


# --- A moment in UK time: a date, a time, and GMT or BST only when the clocks go back ------------------

ZONE_CHOICES = [
    SelectChoice("BST", "BST, the first time (before the clocks go back)"),
    SelectChoice("GMT", "GMT, the second time"),
]
# Nobody plans a release, a send or a deadline further ahead; a date past it is a slip of the keyboard.
FURTHEST_AHEAD = timedelta(days=366)


def zone_field() -> RadioField:
    """The question asked only when a time happens twice, in the hour the clocks go back in autumn."""
    return RadioField("Which time do you mean?", choices=ZONE_CHOICES, validators=[Optional()])


def uk_moment(form: BaseForm, prefix: str, what: str = "", *, missing: str = "Enter the {part} {what} as well.",
              too_far: str | None = "Choose a date {what} within the next year.") -> datetime | None:
    """The UTC moment in a form's ``<prefix>_date``, ``_time`` and ``_zone`` fields, or None.

    None when nothing was typed, or when something is wrong, which is then said on the field it concerns:
    only one of date and time (``missing``, given {part} and {other}), a time the clocks skip in spring, a
    time they pass twice in autumn without GMT or BST chosen (the same rule everywhere), or a date more
    than a year ahead (``too_far``, unless None). ``what`` goes into both messages.
    """
    day, at, zone = form[f"{prefix}_date"], form[f"{prefix}_time"], form[f"{prefix}_zone"]
    if day.errors or at.errors or zone.errors or (day.data is None and at.data is None):
        return None
    if day.data is None or at.data is None:
        part, other = ("date", "time") if day.data is None else ("time", "date")
        (day if day.data is None else at).errors = [missing.format(part=part, other=other, what=what)]
        return None
    try:
        moment = uktime.london_to_utc(day.data, at.data, zone.data if uktime.is_ambiguous(day.data, at.data) else None)
    except uktime.AmbiguousTimeError as error:
        zone.errors = [str(error)]
        return None
    except ValueError as error:
        at.errors = [*at.errors, str(error)]
        return None
    if too_far is not None and moment > clock.now() + FURTHEST_AHEAD:
        day.errors = [too_far.format(what=what)]
        return None
    return moment


def needs_zone(form: BaseForm, prefix: str) -> bool:
    """Whether the time typed happens twice, so the page must ask which one is meant."""
    day, at, zone = form[f"{prefix}_date"], form[f"{prefix}_time"], form[f"{prefix}_zone"]
    return bool(zone.errors) or (day.data is not None and at.data is not None
                                 and uktime.is_ambiguous(day.data, at.data))
