"""Forms for the staff contacts pages: contacts, their status, lists, imports and erasure."""

import phonenumbers
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from press.contacts.csvimport import ALL_FIELDS, FIELD_LABELS
from press.contacts.models import LAWFUL_BASES
from press.forms import BaseForm, CheckboxesField, DatePartsField

PHONE_MESSAGE = "Enter a UK phone number like 07700 900123, or an international one starting with +."
EXTENSION_MESSAGE = "Leave the extension out of the phone number and put it in the notes."


def is_drama_number(number: phonenumbers.PhoneNumber) -> bool:
    """Whether a number is in Ofcom's ranges kept for drama and examples, which phonenumbers calls invalid."""
    national = number.national_number
    return number.country_code == 44 and (
        7700900000 <= national <= 7700900999 or 1632960000 <= national <= 1632960999
    )


def phone_to_e164(text: str) -> str:
    """A phone number as someone typed it, in E.164; UK numbers may be written without +44."""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError(PHONE_MESSAGE) from None
    if not (phonenumbers.is_valid_number(number) or is_drama_number(number)):
        raise ValueError(PHONE_MESSAGE)
    if number.extension:
        raise ValueError(EXTENSION_MESSAGE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as people write it: 07700 900123 for UK numbers, +33 1 42 68 53 00 for others."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(number, style.NATIONAL if number.country_code == 44 else style.INTERNATIONAL)


def strip(value: str | None) -> str | None:
    """Text without the spaces a paste brings along at either end."""
    return value.strip() if isinstance(value, str) else value


class PhoneField(StringField):
    """A phone number typed in any common way, held as E.164 and shown in the national format."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = ""
        if text:
            self.data = phone_to_e164(text)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return display_phone(self.data or "")


class ContactForm(BaseForm):
    name = StringField("Name", validators=[DataRequired("Enter the contact's name."), Length(max=200)])
    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter the contact's email address."),
            Email("Enter an email address like name@example.com."),
            Length(max=254),
        ],
        render_kw={"spellcheck": "false"},
    )
    readd_erased = BooleanField("They have asked to be added again")
    outlet = StringField("Outlet (optional)", description="For example: Northshire Gazette",
                         validators=[Optional(), Length(max=200)])
    job_title = StringField("Job title or beat (optional)", validators=[Optional(), Length(max=200)])
    phone = PhoneField("Phone (optional)", description="For example: 07700 900123, or +33 1 42 68 53 00 abroad.",
                       render_kw={"type": "tel", "autocomplete": "off"})
    lists = CheckboxesField("Lists", coerce=int, choices=[])
    lawful_basis = RadioField(
        "Lawful basis for keeping their details",
        choices=[SelectChoice(key, label) for key, label in LAWFUL_BASES.items()],
        default="legitimate_interests",
        validators=[InputRequired("Choose the lawful basis for keeping their details.")],
    )
    consent_date = DatePartsField("Date they gave consent (optional)", validators=[Optional()])
    consent_text = TextAreaField(
        "What they agreed to (optional)",
        description="For example: Asked by phone to receive our releases by email.",
        validators=[Optional(), Length(max=5000)],
    )
    source = StringField(
        "Source (optional)", description="Where the details came from, for example: met at a briefing.",
        validators=[Optional(), Length(max=200)],
    )
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=5000)])

    # Set by the view when the address typed was erased at its owner's request.
    was_erased = False

    # Inline filters, run on what was typed: pasted text brings spaces along at either end.
    filter_name = filter_email = filter_outlet = filter_job_title = filter_source = staticmethod(strip)


class StatusForm(BaseForm):
    status = RadioField("Change their status", validators=[InputRequired("Choose the new status.")], choices=[])
    reason = TextAreaField(
        "Reason", description="Needed to resubscribe someone: for example, they asked by email on 3 September.",
        validators=[Optional(), Length(max=2000)],
    )


class ConfirmForm(BaseForm):
    """A button that confirms an action: the form carries only the CSRF token."""


class MediaListForm(BaseForm):
    name = StringField("Name", validators=[DataRequired("Enter the list's name."), Length(max=100)])
    description = TextAreaField("Description (optional)", validators=[Optional(), Length(max=2000)])
    for_signups = BooleanField("Journalists who ask for releases in the newsroom join this list")

    filter_name = staticmethod(strip)


class ImportUploadForm(BaseForm):
    document = FileField(
        "Contacts file (CSV)",
        description="Save the spreadsheet as CSV first: in Excel choose File > Save As > CSV UTF-8.",
        validators=[FileRequired("Choose the CSV file to upload.")],
    )
    lists = CheckboxesField("Add everyone in the file to these lists (optional)", coerce=int, choices=[])
    new_lists = StringField(
        "New lists to add everyone to (optional)",
        description="Names separated by commas, for example: Health, Business",
        validators=[Optional(), Length(max=1000)],
    )
    lawful_basis = RadioField(
        "Lawful basis for holding these contacts",
        description="Given to each new contact whose row in the file names none. Contacts already held keep"
                    " theirs unless the file names another.",
        choices=[SelectChoice(key, label) for key, label in LAWFUL_BASES.items()],
        validators=[InputRequired("Choose the lawful basis for holding these contacts.")],
    )

    def list_names(self, existing: dict[int, str]) -> list[str]:
        """The names of the lists chosen and typed, in that order."""
        typed = [" ".join(name.split()) for name in (self.new_lists.data or "").split(",")]
        return [existing[list_id] for list_id in self.lists.data or [] if list_id in existing] + [n for n in typed if n]


# Fields the importer lets several columns feed; every other field takes one column at most.
MULTI_COLUMN_FIELDS = ("notes", "lists")
FIELD_CHOICES = [SelectChoice("", "Ignore this column"), *(SelectChoice(f, FIELD_LABELS[f]) for f in ALL_FIELDS)]


class MappingForm(BaseForm):
    """One select per column of an uploaded file: the contact field the column holds, or Ignore."""

    column_fields: list[SelectField]

    def mapping(self) -> list[str | None]:
        return [field.data or None for field in self.column_fields]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        first_for: dict[str, SelectField] = {}
        for field in self.column_fields:
            chosen = field.data
            if not chosen or chosen in MULTI_COLUMN_FIELDS:
                continue
            if chosen in first_for:
                field.errors.append(f"Column '{first_for[chosen].label.text}' is already set to {FIELD_LABELS[chosen]}:"
                                    " choose another field for this one, or Ignore.")
                valid = False
            else:
                first_for[chosen] = field
        if "email" not in first_for:
            self.form_errors.append("Choose which column holds the email addresses.")
            valid = False
        return valid


def mapping_form(headers: list[str], guess: list[str | None], **kwargs) -> MappingForm:
    """A mapping form for a file with these column names, each select starting at the guessed field."""

    class FileMappingForm(MappingForm):
        pass

    for index, header in enumerate(headers):
        default = guess[index] if index < len(guess) and guess[index] in ALL_FIELDS else ""
        setattr(FileMappingForm, f"column_{index}",
                SelectField(header or f"Column {index + 1}", choices=FIELD_CHOICES, default=default))
    form = FileMappingForm(**kwargs)
    form.column_fields = [form[f"column_{index}"] for index in range(len(headers))]
    return form
