"""What every area's forms share: the base form (CSRF from Flask-WTF, text cleaned before any validator sees
it), an action button's form, checkboxes, and a moment typed in UK time."""

from datetime import datetime, timedelta
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

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


class ActionForm(BaseForm):
    """A button that changes something: the form carries only the CSRF token."""


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes rather than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
