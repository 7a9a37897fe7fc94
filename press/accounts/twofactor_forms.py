"""The forms of two-factor sign-in: a code typed at sign-in (or a recovery code), and the first code when setting up."""

import re

from wtforms import StringField, ValidationError
from wtforms.validators import InputRequired

from press.accounts.twofactor import CODE_DIGITS, RECOVERY_CODE_LENGTH, normalise_recovery_code
from press.forms import BaseForm

CODE_ATTRIBUTES = {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}


def digits_only(value: str | None) -> str:
    """The code as typed, without the spaces apps show in the middle of it."""
    return re.sub(r"[\s-]", "", value or "")


def check_app_code(_form: BaseForm, field: StringField) -> None:
    if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", field.data):
        raise ValidationError(f"Enter the {CODE_DIGITS}-digit code from your authenticator app.")


class EnrolForm(BaseForm):
    code = StringField(
        "Code from your authenticator app",
        description=f"The {CODE_DIGITS}-digit code the app shows once you have added the account.",
        filters=[digits_only],
        validators=[InputRequired(f"Enter the {CODE_DIGITS}-digit code from your authenticator app."), check_app_code],
        render_kw=CODE_ATTRIBUTES,
    )


def check_sign_in_code(form: "CodeForm", field: StringField) -> None:
    """A 6-digit code from the app, or a recovery code (letters and digits, hyphens optional)."""
    if re.fullmatch(r"[0-9]+", digits_only(field.data)):
        field.data = digits_only(field.data)
        check_app_code(form, field)
        form.recovery = False
    elif len(normalise_recovery_code(field.data)) == RECOVERY_CODE_LENGTH:
        form.recovery = True
    else:
        raise ValidationError(f"Enter the {CODE_DIGITS}-digit code from your authenticator app, or one of your "
                              "recovery codes.")


class CodeForm(BaseForm):
    recovery = False
    code = StringField(
        "Code",
        description=f"The {CODE_DIGITS}-digit code your authenticator app shows now. If you do not have your phone, "
                    "type one of your recovery codes instead.",
        filters=[lambda value: (value or "").strip()[:100]],
        validators=[InputRequired(f"Enter the {CODE_DIGITS}-digit code from your authenticator app."), check_sign_in_code],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )
