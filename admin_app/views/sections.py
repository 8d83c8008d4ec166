"""Forms laid out in titled sections, two columns wide on a wide screen.

The child's form was 35 fields in one column, about 3,300 px tall, each yes/no box on
its own line. These Flask-Admin form rules group a form's fields in sections (身份,
家庭与监护, …); panel.css lays each section's fields out in two columns on a wide
screen and one below ~900 px, and a row of yes/no boxes (重点群体, 帮扶类别) as one line.

A role that may change only some fields (a school edits enrolment only) gets a form with
the others removed: these rules draw only the fields the form has, and a section with none
of them is not drawn at all. The hidden ``version`` field is declared here too, so that
Flask-Admin, which drops every field a rule set does not name, keeps the optimistic lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_admin.form import rules
from markupsafe import Markup

from ..util.locking import VERSION_FIELD


class OptionalField(rules.Field):
    """A field drawn if the form has it (a role's form may have had it removed)."""

    def __call__(self, form: Any, form_opts: Any = None, field_args: Any = None) -> Any:
        if getattr(form, self.field_name, None) is None:
            return ""
        return super().__call__(form, form_opts, field_args)


class CheckRow(rules.BaseRule):
    """Yes/no boxes side by side on one line, each with its label to its right."""

    def __init__(self, title: str, names: Iterable[str]) -> None:
        super().__init__()
        self.title = title
        self.names = list(names)

    @property
    def visible_fields(self) -> list[str]:
        return self.names

    def __call__(self, form: Any, form_opts: Any = None, field_args: Any = None) -> Any:
        fields = [form[name] for name in self.names if name in form]
        if not fields:
            return ""
        boxes = []
        for field in fields:
            error = Markup("").join(
                Markup(
                    '<div class="invalid-feedback"><ul class="form-text text-danger">'
                    "<li>{}</li></ul></div>"
                ).format(message)
                for message in field.errors
                if isinstance(message, str)
            )
            boxes.append(
                Markup(
                    '<div class="form-check form-check-inline form-group mb-1">{}'
                    '<label class="form-check-label" for="{}">{}</label>{}</div>'
                ).format(field(class_="form-check-input"), field.id, field.label.text, error)
            )
        return Markup(
            '<div class="form-check-row"><div class="form-check-row-title">{}</div>'
            '<div class="form-check-row-boxes">{}</div></div>'
        ).format(self.title, Markup("").join(boxes))


class Section(rules.NestedRule):
    """A titled group of fields; a string names a field, a rule is drawn as it is."""

    def __init__(self, title: str, items: Iterable[str | rules.BaseRule]) -> None:
        self.title = title
        super().__init__([OptionalField(item) if isinstance(item, str) else item for item in items])

    def __call__(self, form: Any, form_opts: Any = None, field_args: Any = None) -> Any:
        if not any(name in form for name in self.visible_fields):
            return ""
        inner = super().__call__(form, form_opts, field_args)
        return Markup(
            '<fieldset class="form-section" data-section="{0}">'
            '<legend class="form-section-title">{0}</legend>'
            '<div class="form-section-grid">{1}</div></fieldset>'
        ).format(self.title, inner)


class Hidden(rules.BaseRule):
    """Hidden fields, drawn by the form template itself: named here so they are kept."""

    def __init__(self, *names: str) -> None:
        super().__init__()
        self.names = list(names)

    @property
    def visible_fields(self) -> list[str]:
        return self.names

    def __call__(self, form: Any, form_opts: Any = None, field_args: Any = None) -> Any:
        return ""


def sections(*parts: Section) -> list[rules.BaseRule]:
    """A form's rules: its sections, and the record version that every edit form carries."""
    return [*parts, Hidden(VERSION_FIELD)]
