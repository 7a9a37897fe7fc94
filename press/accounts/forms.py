from wtforms import EmailField, PasswordField
from wtforms.validators import Email, InputRequired, Length

from press.forms import BaseForm


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
