"""The base of every form: CSRF from Flask-WTF, and text cleaned before any validator sees it."""

from typing import Any

from flask_wtf import FlaskForm

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
