from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from press.forms import BaseForm


class SignupForm(BaseForm):
    name = StringField("Your name", validators=[InputRequired("Enter your name."), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("Email address", validators=[InputRequired("Enter your email address."),
                                                    Email("Enter an email address like name@example.com."),
                                                    Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"})
    outlet = StringField("Media outlet (optional)", description="For example: Northshire Gazette, BBC Radio Northshire",
                         validators=[Optional(), Length(max=200)], render_kw={"autocomplete": "organization"})
    consent = BooleanField(validators=[DataRequired("Tick the box to say you want our press releases.")])
    # Hidden from people; bots fill every field they find.
    website = StringField("Leave this field empty", validators=[Optional(), Length(max=200)])
