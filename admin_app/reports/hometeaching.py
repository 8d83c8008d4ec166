"""送教上门登记表: one line per child under 送教上门 in a month, with the month's sessions.

Written by the streaming engine (``xlsx.ReportWriter``) into the archive (``archive.issue``)
like every official sheet: title rows, 序号, sign-off block, ID numbers masked unless the
user may read them and chose to. The month's reckoning is ``cases.hometeaching``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from ..access.scope import scope_criterion
from ..cases import hometeaching
from ..models import Child, ExportRecord, User
from .archive import issue
from .columns import CHILD, HOME_TEACHING, sheet_column
from .xlsx import EXCEL_MAX_ROWS, Col, Heading, ReportWriter, Summary

KEY = "hometeaching"
TITLE = "送教上门登记表"

COLUMNS = (
    sheet_column(CHILD["village"], "village", 10),
    sheet_column(CHILD["name"], "name", 8),
    sheet_column(CHILD["id_number"], "id_number", 20, "id"),
    sheet_column(CHILD["school"], "school", 14),
    sheet_column(CHILD["disability_category"], "disability_category", 8),
    sheet_column(CHILD["disability_grade"], "disability_grade", 6),
    Col("送教次数", "done", 6, "int"),
    Col("送教记录（日期 教师 课时：内容）", "sessions", 44, "wrap"),
    Col(f"合计{HOME_TEACHING['hours'].label}", "hours", 8, "number"),
    Col("应送教次数", "required", 7, "int"),
    Col("差额(次)", "shortfall", 6, "int"),
    Col("情况", "state", 12),
)

SUMMARIES = (
    Summary("全部", by=None, sums=("done", "hours", "shortfall"), count_label="人数"),
    Summary("按情况", by="state", sums=("shortfall",), count_label="人数"),
    Summary("按行政村", by="village", sums=("done", "shortfall"), count_label="人数"),
)


def session_text(record: Any) -> str:
    hours = hometeaching.hours_text(record.hours)
    return f"{record.taught_on:%m-%d} {record.teacher} {hours}小时：{record.content or ''}"


def register_rows(dues: Iterable[hometeaching.ChildDue]) -> Iterator[SimpleNamespace]:
    for due in dues:
        child = due.child
        yield SimpleNamespace(
            village=hometeaching.village_name(due),
            name=child.name,
            id_number=child.id_number or "",
            school=child.school.name if child.school else "",
            disability_category=child.disability_category or "",
            disability_grade=child.disability_grade or "",
            done=due.done,
            sessions="\n".join(session_text(s) for s in due.sessions),
            hours=due.hours,
            required=due.required,
            shortfall=due.shortfall,
            state=due.state,
        )


def issue_register(
    session: Session,
    user: User,
    month: dt.date,
    *,
    masked: bool,
    today: dt.date | None = None,
) -> ExportRecord:
    """Write the month's register for ``user``'s scope into the archive and record it.

    Raises ``hometeaching.FutureMonth`` for a month not yet begun.
    """
    dues = hometeaching.sessions_due(session, month, scope_criterion(Child, user), today=today)
    label = hometeaching.month_label(month)
    per_month = hometeaching.required_per_month(session)
    township = current_app.config["TOWNSHIP_NAME"]
    heading = Heading(
        title=f"{township}控辍保学{TITLE}（{label}）",
        township=township,
        period=label,
        generated_by=f"{user.display_name}（{user.role.label}）",
        filters=f"频次要求：每月至少{per_month}次（不满一个月按天数折算，向上取整）",
        masked=masked,
        period_label="月份",
    )
    limit = current_app.config.get("EXPORT_MAX_ROWS", EXCEL_MAX_ROWS)

    def write(path: Any) -> int:
        writer = ReportWriter(str(path), heading, max_rows=limit)
        written = writer.sheet(
            "送教上门",
            COLUMNS,
            register_rows(dues),
            summaries=SUMMARIES,
            frozen_columns=2,
            numbered=True,
            sign_off=True,
        )
        writer.close()
        return written.rows

    return issue(
        report=KEY,
        title=f"{TITLE}_{label}",
        user=user,
        filters={"month": month.strftime("%Y-%m"), "description": f"月份：{label}"},
        masked=masked,
        write=write,
    )
