"""The form on an enquiry's page that writes to the journalist."""

from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from press.enquiries.forms import MAX_ENQUIRY_LENGTH
from press.forms import BaseForm


class ReplyForm(BaseForm):
    text = TextAreaField(
        "Your reply", description="Sent by email from the press office, signed with your name and the reference.",
        validators=[InputRequired("Enter your reply."),
                    Length(max=MAX_ENQUIRY_LENGTH, message=f"Your reply must be {MAX_ENQUIRY_LENGTH:,} characters or fewer.")],
    )
