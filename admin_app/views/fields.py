"""Form fields shared by the panel's screens.

One kind of date input across the panel: the browser's own ``<input type="date">``. It
accepts typing and picking alike, follows the browser's language (年/月/日 in a Chinese
Chromium) and always posts ``YYYY-MM-DD``. Flask-Admin's default date picker (an English
daterangepicker on a text box) mangled typed dates into ``0002-01-01026-11-20``.
"""

from __future__ import annotations

import json
from typing import Any

from flask_admin.form.fields import JSONField
from wtforms import DateField
from wtforms.widgets import DateInput

DATE_FORMAT_HINT = "日期格式应为“年-月-日”，如 2026-09-01"


class BoundedDateInput(DateInput):
    """``<input type="date">`` with a four-digit year range.

    Without ``max`` Chromium lets the year take six digits, so typing ``20261120`` fills
    the year with 202611; with it the year stops at four digits and moves on to the
    month, and ``2026-11-20`` typed straight through lands as 2026年11月20日.
    """

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("min", "1900-01-01")
        kwargs.setdefault("max", "2099-12-31")
        return super().__call__(field, **kwargs)


class LocalDateField(DateField):
    """A native date input whose parse error reads in Chinese."""

    widget = BoundedDateInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(DATE_FORMAT_HINT) from exc


#: Longer than any parameter set of the panel ever needs (a few keys and numbers).
JSON_MAX_CHARS = 2000


def _no_constant(name: str) -> Any:
    raise ValueError(name)


class BoundedJSONField(JSONField):
    """A JSON text box (an indicator's parameters) that refuses in Chinese what it cannot use.

    ``json.loads`` recurses per nesting level: ``[[[[…]]]]`` 10,000 deep raised
    RecursionError, which Flask-Admin's field does not catch (a 500). Parameter sets are
    a few keys, so the text is bounded first, and NaN/Infinity (which Python's parser
    accepts and no rule can compare) are refused too.
    """

    def process_formdata(self, valuelist: list[Any] | None) -> None:
        if not valuelist or not valuelist[0]:
            super().process_formdata(valuelist)
            return
        text = str(valuelist[0])
        if len(text) > JSON_MAX_CHARS:
            self.data = None
            raise ValueError(f"参数过长（最多{JSON_MAX_CHARS}个字符）")
        try:
            self.data = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            self.data = None
            raise ValueError('参数不是有效的JSON，例如 {"target": 100}') from exc


def place_errors(form: Any, errors: dict[str, str]) -> list[str]:
    """Put each message of a refused business rule under its form field; return those
    that belong to no field ("_" is the rule's message for the whole step, which the
    caller shows with the refusal itself)."""
    general = []
    for key, message in errors.items():
        if key in form:
            form[key].errors = [*form[key].errors, message]
        elif key != "_":
            general.append(message)
    return general
