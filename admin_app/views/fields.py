"""Form fields shared by the panel's screens.

One kind of date input across the panel: the browser's own ``<input type="date">``. It
accepts typing and picking alike, follows the browser's language (年/月/日 in a Chinese
Chromium) and always posts ``YYYY-MM-DD``. Flask-Admin's default date picker (an English
daterangepicker on a text box) mangled typed dates into ``0002-01-01026-11-20``.
"""

from __future__ import annotations

from typing import Any

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
