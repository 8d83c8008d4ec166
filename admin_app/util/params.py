"""Request values read as ids, pages and counts, and refused when they are not.

One bounded parser for every place that turns a value a browser sent into a number the
database will see: record ids (``?id=``, ``?period=``, path ids, picker ids, filter
options, ticked rows), page numbers and counts. Python's ``int()`` takes anything —
``99999999999999999999``, ``-1``, ``١٢``, ``1_000`` — and the database then fails:
SQLite raises ``OverflowError`` above 2^63−1, PostgreSQL refuses a BIGINT out of range
or a negative ``OFFSET``. Each of those was an HTTP 500. Here a value is either a number
within the bounds the database can hold, or None, and the caller answers None with a
404 (no such record), the first page, or a message.

Also the request-wide refusal of control characters (``init_app``):
PostgreSQL cannot store a NUL byte in a text column, and a CR/LF in a redirect target
cannot go into a ``Location`` header; both ended in 500s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app, request
from werkzeug.routing import BaseConverter, ValidationError

#: The largest id a key column holds: every key is INTEGER, 32 bits on PostgreSQL (SQLite
#: would take 64), and PostgreSQL refuses a larger bound value with an error, not no rows.
MAX_ID = 2**31 - 1
#: The largest page number accepted: offsets (page × at most 200 rows) stay far inside
#: BIGINT, and no list of the panel comes near a billion pages.
MAX_PAGE = 10**9
#: ASCII digits only (``int()`` also takes other scripts' digits and ``_``), at most 19.
_DIGITS = re.compile(r"[0-9]{1,19}")
#: Form fields that are redirect targets: one line, like a query value.
SINGLE_LINE_FIELDS = frozenset({"url", "next"})

CONTROL_CHARACTER_MESSAGE = (
    "提交的内容含有不可见的控制字符（如空字符、换行符），无法处理，未保存任何内容。"
    "请删除这些字符（可重新输入，不要从其他软件直接粘贴）后重试。"
)


def parse_int(raw: Any, low: int, high: int) -> int | None:
    """``raw`` as an integer within ``low..high``, or None (not a plain number, or outside).

    Surrounding spaces are allowed; a sign only as a leading ``-`` for negative bounds.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        negative = text.startswith("-")
        digits = text[1:] if negative else text
        if not _DIGITS.fullmatch(digits):
            return None
        value = -int(digits) if negative else int(digits)
    return value if low <= value <= high else None


def parse_id(raw: Any) -> int | None:
    """A record id (1..2^31−1) from a request value, or None."""
    return parse_int(raw, 1, MAX_ID)


def parse_ids(raws: Iterable[Any]) -> list[int]:
    """The valid ids among ``raws`` (ticked rows, picked children), in order, once each."""
    return list(dict.fromkeys(i for i in map(parse_id, raws) if i is not None))


def parse_page(raw: Any, *, first: int = 1) -> int | None:
    """A page number (``first``..``first`` + 10^9 − 1; Flask-Admin counts from 0), or None."""
    return parse_int(raw, first, first + MAX_PAGE - 1)


def parse_count(raw: Any, high: int = MAX_PAGE) -> int | None:
    """A count of things (0..``high``), e.g. how many proposals a page offered, or None."""
    return parse_int(raw, 0, high)


class IdConverter(BaseConverter):
    """``<int:…>`` in a route, bounded like ``parse_id``: a path id over 2^63−1 is a 404.

    Installed as the app's ``int`` converter, so every route (Flask-Admin's too) gets it.
    """

    regex = r"\d+"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value: Any) -> str:
        return str(int(value))


#: Control characters (C0, DEL, C1); the text set leaves out tab, LF and CR.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_problem(
    path: str, args: Iterable[tuple[str, str]], form: Iterable[tuple[str, str]]
) -> str | None:
    """The name of the first value holding a control character it may not, or None.

    The path and query values are single lines; form values may hold tabs and line
    breaks (textareas) except redirect targets (``url``, ``next``). Nothing may hold
    NUL or other control characters: no screen of the panel takes them, and PostgreSQL
    cannot store NUL.
    """
    if _CONTROL.search(path):
        return "path"
    for name, value in args:
        if _CONTROL.search(name) or _CONTROL.search(value):
            return name
    for name, value in form:
        pattern = _CONTROL if name in SINGLE_LINE_FIELDS else _TEXT_CONTROL
        if _CONTROL.search(name) or pattern.search(value):
            return name
    return None


def init_app(app: Flask) -> None:
    """Bounded path ids for every route, and the request-wide control character check.

    Call before any view is registered: a rule takes its converter when it is added.
    """
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_control_characters)


def _refuse_control_characters() -> tuple[str, int] | None:
    """Answer 400 with a Chinese page before a view sees a control character.

    The body is read only when its declared length is within MAX_CONTENT_LENGTH, so an
    oversized upload still reaches the upload view, which words its own refusal.
    """
    form: list[tuple[str, str]] = []
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    if (
        request.method in ("POST", "PUT", "PATCH")
        and length is not None
        and (limit is None or length <= limit)
        and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = list(request.form.items(multi=True))
        form += [(name, upload.filename or "") for name, upload in request.files.items(multi=True)]
    problem = control_character_problem(request.path, request.args.items(multi=True), form)
    if problem is None:
        return None
    from .errors import render_error

    current_app.logger.info("refused a control character in %r of %s", problem, request.path)
    return render_error(400, CONTROL_CHARACTER_MESSAGE)
