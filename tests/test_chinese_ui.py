"""No English on any screen, times in Beijing time, buttons that read as buttons.

Every role crawls every page it can click to, plus each list's new/edit/details page and
the pages after a failed and a successful save; the text a user sees (tags, scripts,
styles, hidden elements and unshown attributes stripped; tooltips, placeholders and the
JSON Flask-Admin turns into filter menus and confirm dialogs kept) must hold no Latin
words but a short allowlist of format and key names.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

import admin_app
from admin_app.cases import core as cases
from admin_app.choices import (
    AccountabilityAction,
    AgreementLine,
    AuditAction,
    CaseKind,
    CaseSource,
    NoticeKind,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    Accountability,
    AssistancePlan,
    AuditLog,
    Child,
    Household,
    InspectionScore,
    User,
    Village,
)
from admin_app.reports import columns
from admin_app.util.audit import UNAUDITED
from admin_app.views.base import SecureModelView
from tests import factories as f
from tests.forms import open_form
from tests.pages import reachable_pages

APP_DIR = Path(admin_app.__file__).parent

# --- What a user sees ------------------------------------------------------------------

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
#: Elements whose content is not read as UI text: code, styles, and what the user typed
#: (a textarea's content, like an input's value, is data) or must type (``<code>``).
SILENT = frozenset({"script", "style", "template", "textarea", "code", "noscript"})
#: Attributes a user reads: tooltips, hints in empty inputs, alternative texts, and
#: x-editable's text for an empty cell.
SHOWN_ATTRS = ("title", "placeholder", "alt", "data-original-title", "data-emptytext")
#: Hidden elements whose JSON Flask-Admin's scripts turn into menus and dialogs.
JSON_DATA = frozenset({"filter-groups-data", "actions-confirmation-data"})


class VisibleText(HTMLParser):
    """Collects the text of a page as a browser shows it, tooltips included."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.inline_edits_without_empty_text = 0
        self._stack: list[tuple[str, bool, str | None]] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden, _ in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        hidden = (
            tag in SILENT
            or "hidden" in a
            or "display:none" in a.get("style", "").replace(" ", "")
            or "d-none" in classes
            or "hide" in classes
            or (tag == "input" and a.get("type") == "hidden")
        )
        data = a.get("id") if a.get("id") in JSON_DATA else None
        if not (self._hidden() or hidden):
            self.texts.extend(a[name] for name in SHOWN_ATTRS if a.get(name))
            if tag == "input" and a.get("type") in ("submit", "button", "reset"):
                self.texts.append(a.get("value", ""))
            if a.get("data-role", "").startswith("x-editable") and "data-emptytext" not in a:
                self.inline_edits_without_empty_text += 1
        if tag not in VOID:
            self._stack.append((tag, hidden and data is None, data))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return

    def handle_data(self, text: str) -> None:
        if self._hidden():
            return
        data = self._stack[-1][2] if self._stack else None
        self.texts.extend(_json_labels(data, text) if data else [text])


def _json_labels(kind: str, text: str) -> list[str]:
    """The words in Flask-Admin's filter menus and action confirmations."""
    parsed = json.loads(text)
    if kind == "actions-confirmation-data":
        return [str(v) for v in parsed.values()]
    words = []
    for group, filters in parsed.items():
        words.append(group)
        for flt in filters:
            words.append(str(flt.get("operation", "")))
            words.extend(str(option[1]) for option in flt.get("options") or ())
    return words


#: Latin words a Chinese clerk reads as names: file formats, key and unit names.
ALLOWED = frozenset({"Excel", "xlsx", "xls", "csv", "CSV", "JSON", "IP", "MB", "Ctrl", "SHA"})
#: The English of Flask-Admin and WTForms that has slipped through before, named in the
#: failure message (the general pattern below catches any other Latin word too).
UI_WORDS = frozenset(
    {"Failed", "record", "Empty", "items", "item", "Created", "Updated", "List", "Create"}
    | {"Edit", "Delete", "Save", "Cancel", "Search", "Filter", "Filters", "Add", "Details"}
    | {"true", "false", "None", "Case", "At", "Toggle", "navigation", "Export", "Apply"}
    | {"Reset", "Select", "Yes", "No", "required"}
)
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z_'-]*[A-Za-z](?![A-Za-z0-9_])")


def english_on(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    found = {w for text in parser.texts for w in LATIN_WORD.findall(text)} - ALLOWED
    if parser.inline_edits_without_empty_text:
        found.add("Empty (x-editable without data-emptytext)")
    return found


def test_the_checker_sees_what_a_user_sees() -> None:
    html = (
        '<div class="d-none">Hidden</div><script>var Hidden;</script>'
        '<span title="is_dibao: false"></span><input placeholder="Search">'
        '<input type="hidden" value="x1"><input type="submit" value="Save">'
        '<textarea>{"target": 1}</textarea><code>deduct_per_child</code>'
        '<div id="filter-groups-data" class="d-none">{"状态": [{"operation": "equals",'
        ' "options": [["dropout", "辍学"]]}]}</div>'
        '<a data-role="x-editable" href="#">1</a><p>20 items · 导出Excel · 43012120140919134X</p>'
    )
    assert english_on(html) == {
        "is_dibao",
        "false",
        "Search",
        "Save",
        "equals",
        "items",
        "Empty (x-editable without data-emptytext)",
    }


# --- The data every screen gets to show ------------------------------------------------

#: One instant, stored as the database keeps it (naive UTC), with seconds and microseconds.
INSTANT_UTC = dt.datetime(2026, 11, 20, 6, 5, 33, 123456)
INSTANT_SHOWN = "2026-11-20 14:05"


@pytest.fixture
def records(app: Any, world: Any) -> dict[str, int]:
    """A record of every register, so that every details and edit page has one to show."""
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        child = db.session.get(Child, world.child_a)
        period = f.make_period()
        item = f.make_item(name="双线责任书")
        inspection = f.make_inspection(village, period, concealment_found=False)
        db.session.add(
            InspectionScore(inspection=inspection, item=item, score=Decimal(8), max_points=10)
        )
        f.make_agreement(village=village)
        case = cases.open_case(
            db.session,
            child,
            CaseKind.DROPOUT,
            CaseSource.SCHOOL_REPORT,
            OutOfSchoolReason.LEARNING,
            on=dt.date(2026, 9, 10),
        )
        cases.start_verification(db.session, case, on=dt.date(2026, 9, 11), actor=None)
        cases.confirm_case(db.session, case, on=dt.date(2026, 9, 12), actor=None)
        cases.start_persuasion(db.session, case, on=dt.date(2026, 9, 13), actor=None)
        cases.issue_notice(
            db.session,
            case,
            NoticeKind.RETURN,
            issued_on=dt.date(2026, 9, 14),
            deadline=dt.date(2026, 9, 24),
            actor=None,
        )
        plan = AssistancePlan(
            child=child,
            measures="资助学习用品",
            village_person="王书记",
            start_on=dt.date(2026, 9, 15),
            case=case,
        )
        db.session.add(plan)
        f.make_assistance(child, plan=plan)
        db.session.add(
            Accountability(
                period=period,
                village=village,
                person="刘主任",
                line=AgreementLine.GOVERNMENT,
                problem="劝返不及时",
                action=AccountabilityAction.INTERVIEW,
            )
        )
        household = db.session.get(Household, world.household_a)
        child.updated_at = INSTANT_UTC
        db.session.add(
            AuditLog(
                at=INSTANT_UTC,
                username="测试管理员",
                action=AuditAction.UPDATE,
                table_name="child",
                record_id=str(child.id),
                before={"status": "enrolled", "guardian_migrant": False},
                after={"status": "dropout", "guardian_migrant": True},
            )
        )
        db.session.commit()
        return {"period": period.id, "case": case.id, "household": household.id}


def chinese_usernames(app: Any) -> None:
    """Usernames are data the users chose; the world's are English role codes."""
    with app.app_context():
        names = {}
        for number, user in enumerate(db.session.scalars(select(User)), start=1):
            names[user.username] = user.username = f"用户{number}"
        for entry in db.session.scalars(select(AuditLog)):
            entry.username = names.get(entry.username or "", entry.username)
        db.session.commit()


def model_pages(app: Any, client: FlaskClient) -> list[str]:
    """Each list the client may open, with its new page and one row's edit and details."""
    urls = []
    with app.test_request_context():
        admin = app.extensions["admin"][0]
        views = [v for v in admin._views if isinstance(v, SecureModelView)]
    for view in views:
        base = f"/admin/{view.endpoint}/"
        listing = client.get(base)
        if listing.status_code != 200:
            continue
        urls.append(base)
        html = listing.get_data(as_text=True)
        urls.extend(
            sorted(
                {
                    u.replace("&amp;", "&")
                    for u in re.findall(rf'href="({base}(?:new|edit|details)/[^"]*)"', html)
                }
            )
        )
    return urls


def check_pages(client: FlaskClient, urls: list[str], problems: dict[str, set[str]]) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200 and response.mimetype == "text/html":
            found = english_on(response.get_data(as_text=True))
            if found:
                problems[url] = found


@pytest.mark.parametrize("role", list(Role))
def test_no_english_on_any_page_a_role_reaches(app, client_as, world, records, role):
    client = client_as(role)
    chinese_usernames(app)
    problems: dict[str, set[str]] = {}
    for url, html in reachable_pages(client, limit=200):
        found = english_on(html)
        if found:
            problems[url] = found
    seen = set(problems)
    check_pages(client, [u for u in model_pages(app, client) if u not in seen], problems)
    assert not problems, {url: sorted(words & UI_WORDS or words) for url, words in problems.items()}


def test_no_english_after_failed_and_successful_saves(app, client_as, world, records):
    clerk = client_as(Role.CLERK)
    admin = client_as(Role.ADMIN)
    chinese_usernames(app)
    problems: dict[str, set[str]] = {}

    def check(label: str, response: Any) -> str:
        assert response.status_code < 500, label
        if response.status_code in (301, 302, 303):
            response = clerk.get(response.headers["Location"])
        html = response.get_data(as_text=True)
        found = english_on(html)
        if found:
            problems[label] = found
        return html

    # A form WTForms refuses (a required field left empty): "Failed to create record."
    form = open_form(clerk, "/admin/household/new/").update({"village": world.village_a})
    html = check("household new, invalid", form.set("head_name", "").submit(clerk))
    assert "未保存" in html
    # Saved: Flask-Admin's "Record was successfully created."
    form = open_form(clerk, "/admin/household/new/")
    form.update({"village": world.village_a, "head_name": "赵明"})
    response = form.submit(clerk)
    assert response.status_code == 302, response.get_data(as_text=True)
    check("household new, saved", response)
    # An edit WTForms refuses: "Failed to save record."
    url = f"/admin/household/edit/?id={records['household']}"
    html = check(
        "household edit, invalid", open_form(clerk, url).set("head_name", "").submit(clerk)
    )
    assert "未保存" in html
    # An edit the domain rule refuses, and one that saves.
    child_url = f"/admin/child/edit/?id={world.child_a}"
    check(
        "child edit, invalid", open_form(clerk, child_url).set("guardian_phone", "12").submit(clerk)
    )
    check("child edit, saved", open_form(clerk, child_url).set("remarks", "家访").submit(clerk))
    # The audit log now holds these changes, with before/after of real columns.
    for url, html in reachable_pages(admin, "/admin/audit/", limit=5):
        if found := english_on(html):
            problems[url] = found
    assert not problems, problems


# --- Labels ------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_column_and_field_label_is_chinese(app):
    missing = []
    with app.test_request_context():
        for view in app.extensions["admin"][0]._views:
            if not isinstance(view, SecureModelView):
                continue
            columns_shown = [*view._list_columns, *view._details_columns, *view._export_columns]
            for name, label in columns_shown:
                if not CJK.search(str(label)):
                    missing.append((view.endpoint, name, str(label)))
            form = view.get_create_form()()
            for field in form:
                hidden = field.type in ("HiddenField", "CSRFTokenField")
                if not hidden and not CJK.search(str(field.label.text)):
                    missing.append((view.endpoint, field.name, str(field.label.text)))
    assert not missing


def test_every_audited_column_has_a_chinese_label(app):
    """The audit log's before/after and 数据表 name each column and table in Chinese."""
    missing = []
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if issubclass(model, UNAUDITED):
            continue
        table = model.__tablename__
        if not CJK.search(columns.TABLE_LABELS.get(table, "")):
            missing.append(table)
        for attr in inspect(model).column_attrs:
            if not CJK.search(columns.field_label(table, attr.key)):
                missing.append(f"{table}.{attr.key}")
    assert not missing


def test_the_app_catalogue_is_compiled_from_its_source():
    """admin.mo is what Flask-Admin reads; it must say what admin.po says."""
    folder = APP_DIR / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
    with open(folder / "admin.po", "rb") as po, open(folder / "admin.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)

    def flat(text: Any) -> tuple[str, ...]:
        return tuple(text) if isinstance(text, list | tuple) else (text,)

    def entries(catalog: Any) -> dict[tuple[str, ...], tuple[str, ...]]:
        return {flat(m.id): flat(m.string) for m in catalog if m.id}

    assert entries(compiled) == entries(source)


# --- JSON --------------------------------------------------------------------------------


def test_the_ranking_json_is_readable_utf8(client_as, records):
    response = client_as(Role.CLERK).get(f"/admin/ranking/data?period={records['period']}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "\\u" not in body
    assert "联合村" in body


# --- Times -------------------------------------------------------------------------------


def test_times_show_in_beijing_time_to_the_minute(app, client_as, world, records):
    """A record saved at 06:05:33.123456 UTC reads 14:05 on its list and details page."""
    admin = client_as(Role.ADMIN)
    with app.app_context():
        log_id = db.session.scalar(select(AuditLog.id).where(AuditLog.at == INSTANT_UTC))
        user = db.session.scalar(select(User).where(User.username == world.users[Role.LEADER]))
        user.last_login_at = INSTANT_UTC
        db.session.commit()
    pages = {
        "audit list": "/admin/audit/",
        "audit details": f"/admin/audit/details/?id={log_id}",
        "user list": "/admin/user/",
        "child details": f"/admin/child/details/?id={world.child_a}",
    }
    for name, url in pages.items():
        html = admin.get(url).get_data(as_text=True)
        assert INSTANT_SHOWN in html, name
        assert "2026-11-20 06:05" not in html, name
        assert not re.search(r"14:05:\d|\.123456", html), name
        assert "UTC" not in html, name


def test_archive_and_import_lists_show_beijing_time(app, client_as):
    from admin_app.choices import ImportSource
    from admin_app.models import ExportRecord, ImportBatch

    clerk = client_as(Role.CLERK)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.role == Role.CLERK))
        db.session.add(
            ExportRecord(
                report="ranking",
                title="排名表",
                path="2026/a.xlsx",
                user_id=user.id,
                username=user.username,
                role=user.role,
                filters={},
                row_count=1,
                sha256="0" * 64,
                masked=True,
                created_at=INSTANT_UTC,
            )
        )
        db.session.add(
            ImportBatch(
                source=ImportSource.ROSTER,
                file_name="名单.xlsx",
                sha256="1" * 64,
                user_id=user.id,
                n_new=1,
                n_updated=0,
                n_rejected=0,
                n_unchanged=0,
                created_at=INSTANT_UTC,
            )
        )
        db.session.commit()
    for url in ("/admin/reports/", "/admin/import/"):
        html = clerk.get(url).get_data(as_text=True)
        assert INSTANT_SHOWN in html and "UTC" not in html, url


# --- Buttons -----------------------------------------------------------------------------

TEMPLATES = APP_DIR / "templates"


def test_secondary_buttons_are_solid_and_visible(client_as, records):
    """打印, 排名数据 and 返回… were grey outlines on white, nearly invisible."""
    for template in TEMPLATES.rglob("*.html"):
        assert "btn-outline-secondary" not in template.read_text(), template
    css = (TEMPLATES.parent / "static" / "panel.css").read_text()
    rule = re.search(r"\.btn-secondary \{([^}]*)\}", css)
    assert rule and "background-image: none" in rule.group(1)
    clerk = client_as(Role.CLERK)
    case_page = clerk.get(f"/admin/case/details/?id={records['case']}").get_data(as_text=True)
    assert re.search(r'class="btn btn-sm btn-secondary"[^>]*>打印<', case_page)
    ranking = clerk.get(f"/admin/ranking/?period={records['period']}").get_data(as_text=True)
    assert re.search(r'class="btn btn-secondary"[^>]*>排名数据（JSON）<', ranking)


def test_list_exports_use_the_same_clock(app, client_as, world):
    """The sheet of a list shows the instant as the list does: Beijing time."""
    from tests.helpers import export
    from tests.xlsx_helpers import headers_of, rows_of, workbook

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == world.users[Role.LEADER]))
        user.last_login_at = INSTANT_UTC
        db.session.commit()
    sheet = workbook(export(client_as(Role.ADMIN), "/admin/user/").data).worksheets[0]
    column = headers_of(sheet).index("最近登录")
    minutes = {
        row[column].replace(second=0, microsecond=0)
        for row in rows_of(sheet)
        if isinstance(row[column], dt.datetime)
    }
    assert dt.datetime(2026, 11, 20, 14, 5) in minutes
