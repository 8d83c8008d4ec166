"""List exports: the export button of every list gives an .xlsx of exactly what the list shows.

Flask-Admin's own export (tablib) builds the whole sheet in memory and writes every value
as whatever type it guesses. This replaces it with the report engine: the same query the
list runs — its scope, filters, search and sort, built by Flask-Admin's ``get_list`` —
streamed row by row into a workbook, ID and phone numbers masked for roles that may not
read them, archived like every issued report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric
from sqlalchemy import inspect as sa_inspect

from ..access.auth import may_see_unmasked
from ..access.masking import mask_text
from ..extensions import db
from ..reports.archive import issue, send_record
from ..reports.core import file_title, period_text
from ..reports.xlsx import EXCEL_MAX_ROWS, Col, Heading, write_report
from ..util.dates import beijing_time

#: Rows fetched per round trip while streaming a list export.
BATCH = 1000


def path_getter(name: str) -> Callable[[Any], Any]:
    """``"inspection.village"`` → the related object's attribute, None if a link is empty."""
    parts = name.split(".")

    def get(obj: Any) -> Any:
        for part in parts:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj

    return get


def column_format(model: type, name: str) -> str:
    """The cell format for a (possibly dotted) attribute, from the mapped column's type."""
    mapper = sa_inspect(model)
    *links, last = name.split(".")
    for link in links:
        rel = mapper.relationships.get(link)
        if rel is None:
            return "text"
        mapper = rel.mapper
    attr = mapper.column_attrs.get(last)
    if attr is None:
        return "text"
    kind = attr.columns[0].type
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Boolean):
        return "text"
    if isinstance(kind, Integer):
        return "int" if last != "id" else "text"
    if isinstance(kind, Numeric):
        return "number"
    return "text"


def _on_beijing_clock(get: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Stored instants (naive UTC) in Beijing time, as the list and the sheet's 生成时间."""

    def local(obj: Any) -> Any:
        value = get(obj)
        return beijing_time(value) if isinstance(value, dt.datetime) else value

    return local


WIDTHS = {"date": 11, "datetime": 16, "int": 8, "number": 10, "id": 20}


class XlsxExportMixin:
    """Mixed into the secure model view: ``/export/xlsx/`` through the report engine."""

    can_export = True
    export_types = ["xlsx"]

    def export_columns(self) -> list[Col]:
        masked = not may_see_unmasked()
        id_columns = set(getattr(self, "masked_id_columns", ()))
        phone_columns = set(getattr(self, "masked_phone_columns", ()))
        columns = []
        for name, label in self._export_columns:
            mask = "id" if name in id_columns else "phone" if name in phone_columns else None
            fmt = "id" if mask else column_format(self.model, name)
            width = WIDTHS.get(fmt, max(8, min(30, 2 * len(str(label)) + 2)))
            get = path_getter(name)
            if fmt == "datetime":
                get = _on_beijing_clock(get)
            columns.append(Col(str(label), get, width, fmt, mask if masked else None))
        return columns

    def export_description(self, view_args: Any) -> str:
        """The list's current filters, search and sort, in words for the title rows."""
        parts = []
        for index, _name, value in view_args.filters or ():
            flt = self._filters[index]
            shown = value
            options = getattr(flt, "get_options", None)
            if options is not None:
                try:
                    labels = dict(options(self))
                except Exception:  # an option list is a nicety, never a reason to fail
                    labels = {}
                shown = labels.get(str(value), value)
            parts.append(f"{flt.name}{flt.operation()}{shown}")
        if view_args.search:
            parts.append(f"搜索“{view_args.search}”")
        sort = self._get_column_by_idx(view_args.sort)
        if sort is not None:
            parts.append(f"按{sort[1]}{'降序' if view_args.sort_desc else '升序'}")
        description = "；".join(str(p) for p in parts) or "全部记录"
        # A masked file must not carry a full number in its heading or archive record.
        return description if may_see_unmasked() else mask_text(description)

    @staticmethod
    def archived_args(masked: bool) -> dict[str, str]:
        args = request.args.to_dict(flat=True)
        return {k: mask_text(v) for k, v in args.items()} if masked else args

    @expose("/export/<export_type>/", methods=("POST",))
    def export(self, export_type: str) -> Any:
        """POST only, checked for the CSRF token like every POST: each export is archived
        and audited, so no link or image on another page may make one in a user's name.
        The list's filters, search and sort come in the query string, as the list has them."""
        if export_type != "xlsx":
            abort(404)
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        _, query = self.get_list(
            0,
            sort[0] if sort is not None else None,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            execute=False,
            page_size=0,
        )
        masked = not may_see_unmasked()
        description = self.export_description(view_args)
        township = current_app.config["TOWNSHIP_NAME"]
        heading = Heading(
            title=f"{township}{self.name}",
            township=township,
            period=period_text(None),
            generated_by=f"{current_user.display_name}（{current_user.role.label}）",
            filters=f"列表条件：{description}",
            masked=masked,
            period_label="数据截至",
        )
        columns = self.export_columns()
        limit = current_app.config.get("EXPORT_MAX_ROWS", EXCEL_MAX_ROWS)
        record = issue(
            report=f"list:{self.endpoint}",
            title=file_title(f"{self.name}列表", None),
            user=current_user._get_current_object(),
            filters={"description": description, "args": self.archived_args(masked)},
            masked=masked,
            write=lambda path: (
                write_report(
                    str(path),
                    heading,
                    str(self.name),
                    columns,
                    query.yield_per(BATCH),
                    max_rows=limit,
                ).rows
            ),
        )
        db.session.commit()
        return send_record(record)
