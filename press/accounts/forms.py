from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, NumberRange, Optional

from press.accounts.services import MIN_PASSWORD_LENGTH
from press.forms import BaseForm, CheckboxesField, WholeNumberField


class LoginForm(BaseForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


ROLE_CHOICES = [
    SelectChoice("staff", "Staff: works enquiries"),
    SelectChoice("manager", "Manager: also writes and sends releases, keeps contacts and lists"),
    SelectChoice("admin", "Admin: also manages users and the organisation's settings"),
]


def new_password_field(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[InputRequired("Enter a new password."),
                    Length(min=MIN_PASSWORD_LENGTH, max=1024,
                           message=f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words are easy to remember.",
        render_kw={"autocomplete": "new-password"},
    )


def confirm_field() -> PasswordField:
    return PasswordField(
        "Type the new password again",
        validators=[InputRequired("Type the new password again."),
                    EqualTo("new_password", "The two passwords are not the same.")],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileFields(BaseForm):
    name = StringField("Name", validators=[InputRequired("Enter a name."), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    job_title = StringField("Job title", validators=[Optional(), Length(max=200)],
                            description="Shown in the media contact block of the releases that name this person.",
                            render_kw={"autocomplete": "organization-title"})
    phone = StringField("Mobile", validators=[Optional(), Length(max=40)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})


class InviteForm(ProfileFields):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter their email address."), Email("Enter a valid email address."),
                    Length(max=254)],
        description="The invitation goes here, and they sign in with it.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    role = RadioField("What may they do?", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])


class RoleForm(BaseForm):
    role = RadioField("Role", choices=ROLE_CHOICES, validators=[InputRequired("Choose a role.")])


class ProfileForm(ProfileFields):
    pass


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address."), Email("Enter a valid email address."),
                    Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )


class SetPasswordForm(BaseForm):
    new_password = new_password_field("Password")
    confirm = confirm_field()


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"})
    new_password = new_password_field()
    confirm = confirm_field()


MOST_IDLE_MINUTES = 24 * 60
MOST_HOURS = 7 * 24


class SignInSettingsForm(BaseForm):
    two_factor_roles = CheckboxesField(
        "Who must sign in with a code from an authenticator app",
        choices=[SelectChoice("admin", "Admins"), SelectChoice("manager", "Managers"), SelectChoice("staff", "Staff")],
        description="Each time they sign in, after their password. Anyone in these roles who has not set it up is "
                    "asked to before they can go on.",
    )
    idle_minutes = WholeNumberField(
        "Sign people out after this many minutes unused", invalid="Enter the minutes as a whole number, such as 60.",
        validators=[InputRequired("Enter a number of minutes, or 0 for no limit."),
                    NumberRange(0, MOST_IDLE_MINUTES, f"Enter a number of minutes from 0 to {MOST_IDLE_MINUTES}.")],
        description="0 means no limit. 60 is usual for an office that handles personal data.",
        render_kw={"inputmode": "numeric"},
    )
    max_hours = WholeNumberField(
        "Sign people out this many hours after they signed in, however busy",
        invalid="Enter the hours as a whole number, such as 10.",
        validators=[InputRequired("Enter a number of hours, or 0 for no limit."),
                    NumberRange(0, MOST_HOURS, f"Enter a number of hours from 0 to {MOST_HOURS}.")],
        description="0 means no limit. 10 covers a working day.",
        render_kw={"inputmode": "numeric"},
    )
