"""Dates typed as Day, Month and Year, and times typed in one box: the same in every browser's language."""

from datetime import date, time

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import InputRequired, Optional

from press.forms import BaseForm, ClockTimeField, DatePartsField


class DateForm(BaseForm):
    class Meta:
        csrf = False

    release_date = DatePartsField("Release date", validators=[InputRequired("Enter the release date.")])
    embargo_date = DatePartsField("Embargo date", validators=[Optional()])
    embargo_time = ClockTimeField("Embargo time", validators=[Optional()])


def form_of(app, **typed) -> DateForm:
    with app.test_request_context():
        form = DateForm(formdata=MultiDict(typed))
        form.validate()
        return form


@pytest.mark.parametrize(("day", "month", "year", "expected"), [
    ("4", "9", "2024", date(2024, 9, 4)),
    ("04", "09", "2024", date(2024, 9, 4)),
    (" 4 ", "September", "2024", date(2024, 9, 4)),
    ("4", "sept", "2024", date(2024, 9, 4)),
    ("29", "2", "2024", date(2024, 2, 29)),
])
def test_a_date_is_read_day_first_from_three_boxes(app, day, month, year, expected):
    form = form_of(app, **{"release_date-day": day, "release_date-month": month, "release_date-year": year})
    assert form.release_date.data == expected and not form.release_date.errors


@pytest.mark.parametrize(("day", "month", "year", "message", "wrong"), [
    ("31", "4", "2026", "Release date must be a real date: April 2026 has 30 days.", ("day",)),
    ("29", "2", "2025", "Release date must be a real date: February 2025 has 28 days.", ("day",)),
    ("", "4", "2026", "Release date must include a day.", ("day",)),
    ("3", "", "", "Release date must include a month and a year.", ("month", "year")),
    ("3", "13", "2026", "Release date: the month must be a number from 1 to 12, or its name.", ("month",)),
    ("0", "4", "2026", "Release date: the day must be a number from 1 to 31.", ("day",)),
    ("3", "4", "26", "Release date: the year must have 4 numbers, like", ("year",)),
    ("3", "4", "1066", "Release date: the year must be between 1900 and 2100.", ("year",)),
    ("third", "4", "2026", "Release date: the day must be a number from 1 to 31.", ("day",)),
])
def test_a_wrong_date_names_the_part_and_keeps_what_was_typed(app, day, month, year, message, wrong):
    form = form_of(app, **{"release_date-day": day, "release_date-month": month, "release_date-year": year})
    assert form.release_date.data is None
    assert form.release_date.errors and form.release_date.errors[0].startswith(message)
    assert form.release_date.wrong == wrong
    assert form.release_date.anchor == f"release_date-{wrong[0]}"
    assert form.release_date.parts == {"day": day.strip(), "month": month, "year": year}


def test_an_empty_date_is_missing_or_optional(app):
    form = form_of(app, **{"release_date-day": "", "release_date-month": "", "release_date-year": "",
                           "embargo_date-day": "", "embargo_date-month": "", "embargo_date-year": ""})
    assert form.release_date.errors == ["Enter the release date."]
    assert form.embargo_date.data is None and not form.embargo_date.errors


@pytest.mark.parametrize("value", ["2024-09-04", "4/9/2024"])
def test_a_date_sent_as_one_value_is_read_too(app, value):
    form = form_of(app, release_date=value)
    assert form.release_date.data == date(2024, 9, 4)
    assert form.release_date.parts == {"day": "4", "month": "9", "year": "2024"}


def test_control_characters_and_long_input_are_refused_without_an_error_page(app):
    form = form_of(app, **{"release_date-day": "\x00" * 5 + "3", "release_date-month": "4" * 500,
                           "release_date-year": "2026"})
    assert form.release_date.data is None and form.release_date.errors
    assert "\x00" not in form.release_date.parts["day"] and len(form.release_date.parts["month"]) <= 20


@pytest.mark.parametrize(("typed", "expected"), [
    ("16:30", time(16, 30)), ("16.30", time(16, 30)), ("9:05", time(9, 5)), ("4:30pm", time(16, 30)),
    ("4pm", time(16, 0)), ("12am", time(0, 0)), ("12:00 pm", time(12, 0)), ("00:01", time(0, 1)),
])
def test_a_time_is_read_in_the_ways_people_type_it(app, typed, expected):
    form = form_of(app, **{"release_date": "2024-09-04", "embargo_time": typed})
    assert form.embargo_time.data == expected and not form.embargo_time.errors


@pytest.mark.parametrize(("typed", "message"), [
    ("25:00", "Embargo time: the hour must be from 0 to 23."),
    ("16:75", "Embargo time: the minutes must be from 00 to 59."),
    ("16", "Embargo time: enter hours and minutes, like 16:30."),
    ("half four", "Embargo time: enter hours and minutes, like 16:30."),
    ("13pm", "Embargo time: with am or pm the hour must be from 1 to 12, like 4:30pm."),
])
def test_a_wrong_time_says_what_is_wrong_and_is_kept(app, typed, message):
    form = form_of(app, **{"release_date": "2024-09-04", "embargo_time": typed})
    assert form.embargo_time.data is None and form.embargo_time.errors == [message]
    assert form.embargo_time._value() == typed
