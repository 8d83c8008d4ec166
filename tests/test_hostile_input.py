"""Hostile input anywhere gets a clear answer (a Chinese 400/404 page, a field message, a
redirect), never a 500.

``test_no_endpoint_answers_hostile_input_with_a_server_error`` sweeps every rule of
``app.url_map`` (static files aside) for every role and for anonymous users:

- path variables: real ids and names from the data built here, and hostile ones;
- query strings: ``id``, ``page``, ``page_size``, ``period``, ``sort``, ``desc``,
  ``search``, ``next``, every ``flt0_…`` filter argument of the view, the pickers'
  ``query``/``offset``/``limit`` and the custom screens' ``child``/``show``/``kind``;
- POSTs with a valid CSRF token: every control of every form that posts to the rule (read
  from the pages that show those forms), or a generic set of names where no page shows
  one (inline edit, bulk actions, uploads), each set to the hostile value.

Values: numbers at and far over 2^63, ``-1``, a NUL byte, whitespace only, plain text,
a CR/LF (the login's ``next=``), and in form fields JSON nested 10,000 deep. Each
(rule, role, value) gets one request with the value in the id and path, one in
``period``, one in every other query parameter and one POST: about 8,000 requests.
The focused tests below pin each fix with its own message.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import defaultdict
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from admin_app.cases import core as cases
from admin_app.choices import CaseKind, CaseSource, NoticeKind, OutOfSchoolReason, Role
from admin_app.extensions import db
from admin_app.models import (
    Child,
    ImportBatch,
    Notice,
    User,
    Village,
)
from admin_app.reports.tables import store_upload
from admin_app.util.dates import local_today
from tests import factories as f
from tests.forms import form_of, forms_of, open_form
from tests.helpers import World, login, session_token, view_of
from tests.spreadsheets import csv_bytes, poverty_row

OVER_2_63 = str(2**63)
HOSTILE: dict[str, str] = {
    "2^63": OVER_2_63,
    "-1": "-1",
    "NUL": "1\x00",
    "blank": "   ",
    "newline": "/admin/\r\nX-Injected: 1",
}
#: Only in form fields: a JSON parser recursing per level gives up long before this.
DEEP_JSON = "[" * 10_000 + "]" * 10_000
FORM_ONLY: dict[str, str] = {"deep JSON": DEEP_JSON}
QUERY_NAMES = (
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "next",
    "child",
    "show",
    "kind",
    "schools",
    "name",
    "query",
    "offset",
    "limit",
    "url",
)
#: POST names where no page shows the form (x-editable, bulk actions, uploads, pickers).
GENERIC_POST_NAMES = ("id", "rowid", "action", "url", "list_form_pk", "name", "value", "kind")
#: POST endpoints that read a record id (or period) from the query string.
ID_ON_POST = ("edit_view", "step_view", "notice_result_view", "propose_view")
ANONYMOUS = "anonymous"
#: The case page's lifecycle forms posted to (each reads its own prefixed fields).
CASE_STEPS = ("visit", "notice", "plan", "relapse", "return")


def build_data(app: Flask, world: World) -> dict[str, str]:
    """Every kind of record an endpoint opens, so path ids and ``?id=`` hit real rows."""
    with app.app_context():
        village = db.session.get(Village, world.village_a)
        child = db.session.get(Child, world.child_a)
        period = f.make_period()
        f.make_period(name="2025年度", start_on=dt.date(2025, 1, 1), end_on=dt.date(2025, 12, 31))
        inspection = f.make_inspection(village, period)
        f.make_agreement(village=village)
        f.make_assistance(child)
        db.session.flush()
        case = cases.open_case(
            db.session,
            child,
            CaseKind.DROPOUT,
            CaseSource.SCHOOL_REPORT,
            OutOfSchoolReason.LEARNING,
            on=local_today() - dt.timedelta(days=30),
        )
        cases.start_verification(db.session, case, on=case.discovered_on, actor=None)
        cases.confirm_case(db.session, case, on=case.discovered_on, actor=None)
        cases.start_persuasion(db.session, case, on=case.discovered_on, actor=None)
        cases.issue_notice(
            db.session,
            case,
            NoticeKind.RETURN,
            issued_on=case.discovered_on,
            deadline=case.discovered_on + dt.timedelta(days=10),
            actor=None,
        )
        db.session.commit()
        content = csv_bytes([poverty_row(f.make_id_number(), name="张三")])
        sha = store_upload(app.config["IMPORT_DIR"], content, "名单.csv")
        batch = ImportBatch(
            source="poverty", file_name="名单.csv", sha256=sha, n_new=0, n_updated=0
        )
        db.session.add(batch)
        db.session.commit()
        admin = db.session.scalar(select(User).where(User.username == world.users[Role.ADMIN]))
        from admin_app.reports.core import REPORTS, ReportRequest, issue_report

        record = issue_report(
            db.session, REPORTS["ranking"], ReportRequest(user=admin, period=period)
        )
        db.session.commit()
        return {
            "village_id": str(world.village_a),
            "record_id": str(record.id),
            "batch_id": str(batch.id),
            "sha": sha,
            "step_name": "visit",
            "export_type": "xlsx",
            "period": str(period.id),
            "case": str(case.id),
            "notice": str(db.session.scalar(select(Notice.id))),
            "inspection": str(inspection.id),
        }


def real_id(app: Flask, rule: Rule, data: dict[str, str]) -> str:
    """The ``?id=`` of a real record for the rule's screen (the first row of its model)."""
    if rule.endpoint.startswith("case.notice"):
        return data["notice"]
    view_endpoint = rule.endpoint.split(".")[0]
    try:
        view = view_of(app, view_endpoint)
    except StopIteration:
        return "1"
    model = getattr(view, "model", None)
    if model is None:
        return "1"
    with app.app_context():
        return str(db.session.scalar(select(model.id).order_by(model.id).limit(1)) or 1)


def filter_args(app: Flask, rule: Rule) -> list[str]:
    """The ``flt{n}_{arg}`` names of every filter of the rule's list."""
    try:
        view = view_of(app, rule.endpoint.split(".")[0])
    except StopIteration:
        return []
    return [f"flt{n}_{key}" for n, key in enumerate(getattr(view, "_filter_args", None) or {})]


def rule_url(app: Flask, rule: Rule, values: dict[str, str]) -> str:
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, values, append_unknown=False)


def path_values(rule: Rule, data: dict[str, str], hostile: str | None) -> dict[str, str] | None:
    """The rule's variables, real or hostile (None when an int variable cannot hold it)."""
    values = {}
    for name in rule.arguments:
        if hostile is None:
            values[name] = data[name]
        elif rule._converters[name].regex == r"\d+":
            if not hostile.isdigit():
                return None
            values[name] = hostile
        else:
            values[name] = hostile
    return values


def login_clients(app: Flask, world: World) -> dict[str, FlaskClient]:
    clients: dict[str, FlaskClient] = {ANONYMOUS: app.test_client()}
    for role in Role:
        client = app.test_client()
        assert login(client, world.users[role]).status_code == 302
        clients[role.value] = client
    return clients


def post_names(app: Flask, clients: dict[str, FlaskClient], data: dict[str, str]) -> dict:
    """Rule endpoint -> every control name of the forms posting to it, read from the pages
    that show them (as admin, clerk, inspector and anonymous)."""
    pages = [
        "/admin/login/",
        "/admin/reports/",
        f"/admin/accountability/propose/?period={data['period']}",
        f"/admin/case/details/?id={data['case']}",
        f"/admin/import/preview/{data['sha']}?kind=poverty",
        f"/admin/crosscheck/result/{data['sha']}",
        "/admin/import/",
        "/admin/crosscheck/",
    ]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith(("create_view", "edit_view", "index_view")):
            pages.append(rule_url(app, rule, {}) + f"?id={real_id(app, rule, data)}")
    adapter = app.url_map.bind("localhost")
    names: dict[str, set[str]] = defaultdict(set)
    for role, url in itertools.product((ANONYMOUS, "admin", "clerk", "inspector"), pages):
        response = clients[role].get(url)
        if response.status_code != 200:
            continue
        for form in forms_of(response, url):
            if form.method != "post":
                continue
            try:
                endpoint, _ = adapter.match(form.action.split("?")[0], method="POST")
            except Exception:
                continue
            names[endpoint].update(n for n in form.names() if n and n != "csrf_token")
    return names


Request = tuple[str, str, dict[str, Any]]


def request_groups(
    app: Flask, rule: Rule, data: dict[str, str], names: dict
) -> list[list[Request]]:
    """Per hostile value, the requests carrying it: (method, url, test client arguments)."""
    methods = rule.methods or set()
    real = real_id(app, rule, data)
    filters = filter_args(app, rule)
    base_url = rule_url(app, rule, path_values(rule, data, None) or {})
    posts = "POST" in methods
    fields = names.get(rule.endpoint) or set(GENERIC_POST_NAMES)
    groups = []
    for value in (*HOSTILE.values(), *FORM_ONLY.values()):
        group: list[Request] = []
        hostile_path = path_values(rule, data, value) if rule.arguments else None
        url = rule_url(app, rule, hostile_path) if hostile_path is not None else base_url
        if value in HOSTILE.values():
            if "GET" in methods:
                group.append(("GET", url, {"query_string": {"id": value, "period": value}}))
                others = {name: value for name in (*QUERY_NAMES, *filters)}
                query = {"id": real, "period": data["period"], **others}
                group.append(("GET", base_url, {"query_string": query}))
            if rule.endpoint.endswith(ID_ON_POST):
                group.append(("POST", url, {"query_string": {"id": value, "period": value}}))
        if posts:
            body: dict[str, Any] = {name: value for name in fields}
            if rule.endpoint.endswith(".upload"):
                body["file"] = (csv_bytes([poverty_row(value)]), f"{value}.csv")
            query = {"id": real, "period": data["period"]}
            if rule.endpoint == "case.step_view":
                for step in CASE_STEPS:
                    step_url = rule_url(app, rule, {"step_name": step})
                    query = {"id": data["case"]}
                    group.append(("POST", step_url, {"query_string": query, "data": body}))
            else:
                group.append(("POST", base_url, {"query_string": query, "data": body}))
        if group:
            groups.append(group)
    return groups


def sweep_rules(app: Flask) -> list[Rule]:
    """Every rule but static files and logout (which would end the sweep's sessions)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.endswith("static") and rule.endpoint != "admin.logout_view"
    ]


def denied(response: Any) -> bool:
    return response.status_code == 403 or (
        response.status_code == 302 and "/admin/login/" in response.headers.get("Location", "")
    )


def csrf_tokens(clients: dict[str, FlaskClient]) -> dict[str, str]:
    tokens = {role: session_token(client) for role, client in clients.items() if role != ANONYMOUS}
    login_page = clients[ANONYMOUS].get("/admin/login/")
    tokens[ANONYMOUS] = form_of(login_page).value("csrf_token") or ""
    return tokens


def send(client: FlaskClient, token: str, request: Request) -> Any:
    method, url, kwargs = request
    if method == "POST":
        body = {**kwargs.get("data", {}), "csrf_token": token}
        if "file" in body:  # a fresh stream per request
            content, file_name = body["file"]
            body["file"] = (io.BytesIO(content), file_name)
        kwargs = {**kwargs, "data": body}
    return client.open(url, method=method, **kwargs)


def run_sweep(app: Flask, world: World) -> tuple[int, list[str]]:
    """Send every rule's hostile requests as every role; (requests sent, failures).

    Where the role is turned away at the door (403, or anonymous sent to log in) for
    every request of the first value, the other values get one request each: they
    cannot get further, and the sweep stays fast.
    """
    data = build_data(app, world)
    clients = login_clients(app, world)
    names = post_names(app, clients, data)
    tokens = csrf_tokens(clients)
    plan = [(rule, request_groups(app, rule, data, names)) for rule in sweep_rules(app)]
    sent, failures = 0, []
    for role, client in clients.items():
        for _rule, groups in plan:
            turned_away = False
            for number, group in enumerate(groups):
                answers = []
                for request in group[:1] if turned_away else group:
                    response = send(client, tokens[role], request)
                    sent += 1
                    answers.append(response)
                    if response.status_code >= 500:
                        method, url, kwargs = request
                        shown = kwargs.get("query_string")
                        failures.append(
                            f"{role} {method} {url} {shown!r} -> {response.status_code}"
                        )
                if number == 0:
                    turned_away = all(denied(a) for a in answers)
    return sent, failures


@pytest.fixture
def import_dir(app: Flask, tmp_path: Any) -> None:
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")


def test_no_endpoint_answers_hostile_input_with_a_server_error(app, world, import_dir):
    sent, failures = run_sweep(app, world)
    print(f"hostile sweep: {sent} requests, {len(failures)} answered >= 500")
    assert not failures, f"{len(failures)} of {sent} requests answered >= 500:\n" + "\n".join(
        failures[:60]
    )


# --- Each fix on its own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(2**31 - 1), 2**31 - 1),
        (str(2**31), None),  # over PostgreSQL's INTEGER: refused before it reaches a filter
        (str(2**63 - 1), None),
        (OVER_2_63, None),
        ("1" + "0" * 30, None),
        ("0", None),
        ("-1", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("abc", None),
        ("1_000", None),  # int() takes it
        ("１２", None),  # full-width digits: int() takes them too
        ("١٢", None),  # Arabic-Indic digits
        ("1.0", None),
        ("+1", None),
        (True, None),
        (7, 7),
    ],
)
def test_parse_id_takes_only_ids_an_integer_key_holds(raw, expected):
    from admin_app.util.params import parse_id

    assert parse_id(raw) == expected


def test_parse_page_and_count_bounds():
    from admin_app.util.params import MAX_PAGE, parse_count, parse_page

    assert parse_page("1") == 1 and parse_page("0") is None and parse_page("-1") is None
    assert parse_page("0", first=0) == 0 and parse_page(str(MAX_PAGE + 1)) is None
    assert parse_page(OVER_2_63) is None
    assert parse_count("0") == 0 and parse_count("abc") is None and parse_count("-3") is None


def page_text(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("value", [OVER_2_63, "-1", "abc", "   "])
def test_an_id_that_is_no_id_is_not_found(client_as, world, value):
    clerk = client_as(Role.CLERK)
    for url in (
        "/admin/child/details/",
        "/admin/child/edit/",
        "/admin/case/details/",
        "/admin/case/notice/print/",
    ):
        response = clerk.get(url, query_string={"id": value})
        assert response.status_code == 404, (url, response.status_code)
        assert "记录不存在" in page_text(response)


def test_path_ids_over_2_63_are_not_found(app, client_as, world):
    admin = client_as(Role.ADMIN)
    with app.app_context():
        f.make_period()
        db.session.commit()
    assert admin.get(f"/admin/ranking/{world.village_a}").status_code == 200
    for url in (
        f"/admin/ranking/{OVER_2_63}",
        f"/admin/reports/download/{OVER_2_63}",
        f"/admin/import/batch/{OVER_2_63}/rejects",
    ):
        assert admin.get(url).status_code == 404, url


@pytest.mark.parametrize("page", ["-1", OVER_2_63, "abc", "   "])
def test_a_page_that_is_no_page_shows_the_first_page(client_as, world, page):
    clerk = client_as(Role.CLERK)
    for url in ("/admin/child/", "/admin/audit/", "/admin/reports/"):
        response = clerk.get(url, query_string={"page": page, "page_size": page, "sort": page})
        if url == "/admin/audit/":
            continue  # admins only; the clerk is refused at the door
        assert response.status_code == 200, (url, response.status_code)
    response = clerk.get("/admin/child/", query_string={"page": page})
    assert "王小明" in page_text(response)


def test_a_filter_value_outside_its_options_is_refused_with_a_message(client_as, world):
    village = client_as(Role.VILLAGE)
    view = "/admin/child/"
    ok = village.get(view, query_string={"flt0_0": str(world.village_a)})
    assert ok.status_code == 200 and "王小明" in page_text(ok)
    for value in (OVER_2_63, "   ", "abc", "-1"):
        response = village.get(view, query_string={"flt0_0": value})
        assert response.status_code == 200, value
        assert "无效的筛选器值" in page_text(response), value
    other = village.get(view, query_string={"flt0_0": str(world.village_b)})
    assert other.status_code == 200 and "王小明" not in page_text(other)  # scope holds
    for value in ("dropout ", "nonsense", OVER_2_63):  # an enumeration's filter
        response = village.get(view, query_string={"flt0_2": value})
        assert response.status_code == 200, value


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-13-01", OVER_2_63])
def test_a_day_filter_takes_only_days_it_can_compare(app, client_as, world, day):
    admin = client_as(Role.ADMIN)
    for endpoint, url in (("audit", "/admin/audit/"), ("case", "/admin/case/")):
        for key in view_of(app, endpoint)._filter_args:
            response = admin.get(url, query_string={f"flt0_{key}": day})
            assert response.status_code == 200, (url, key, response.status_code)


@pytest.mark.parametrize(
    "query",
    [
        {"search": "王\x00"},
        {"page": "1\x00"},
        {"id": "1\x00"},
        {"flt0_0": "1\x00"},
    ],
)
def test_a_nul_byte_in_the_query_is_a_chinese_400(client_as, world, query):
    clerk = client_as(Role.CLERK)
    response = clerk.get("/admin/child/", query_string=query)
    assert response.status_code == 400
    assert "控制字符" in page_text(response)


def test_a_nul_byte_in_a_form_field_saves_nothing(app, client_as, world):
    from tests.helpers import submit

    clerk = client_as(Role.CLERK)
    url = f"/admin/household/edit/?id={world.household_a}"
    response = submit(clerk, url, {"head_name": "王\x00大山"})
    assert response.status_code == 400
    assert "控制字符" in page_text(response)
    with app.app_context():
        from admin_app.models import Household

        assert db.session.get(Household, world.household_a).head_name == "王大山"


def test_line_breaks_in_a_textarea_are_kept(app, client_as, world):
    from tests.helpers import submit

    clerk = client_as(Role.CLERK)
    url = f"/admin/child/edit/?id={world.child_a}"
    response = submit(clerk, url, {"status_note": "第一行\r\n第二行\t完"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Child, world.child_a).status_note == "第一行\r\n第二行\t完"


@pytest.mark.parametrize("target", ["/admin/\r\nSet-Cookie: x=1", "/admin/\nx", "/admin/\x00"])
def test_a_line_break_in_the_login_next_is_refused(client, world, target):
    response = client.get("/admin/login/", query_string={"next": target})
    assert response.status_code == 400
    form = login_form(client)
    response = client.post(
        "/admin/login/",
        query_string={"next": target},
        data={**form, "username": world.users[Role.CLERK], "password": f.PASSWORD},
    )
    assert response.status_code == 400
    assert "x=1" not in str(response.headers)


def login_form(client: FlaskClient) -> dict[str, str]:
    return form_of(client.get("/admin/login/")).values()


def test_a_line_break_in_a_redirect_target_of_a_form_is_refused(client_as, world):
    clerk = client_as(Role.CLERK)
    token = session_token(clerk)
    response = clerk.post(
        "/admin/child/action/",
        data={"csrf_token": token, "action": "delete", "url": "/admin/\r\nX: 1"},
    )
    assert response.status_code == 400


def test_offered_that_is_no_count_still_confirms(app, client_as, world):
    from tests.helpers import seed_report_data

    data = seed_report_data(app, world)
    inspector = client_as(Role.INSPECTOR)
    url = f"/admin/accountability/propose/?period={data['period']}"
    form = form_of(inspector.get(url), action="/propose/")
    for box in form.named("confirm"):  # nothing is ticked to start with
        box.checked = True
    form.force("offered", "abc")
    response = form.submit(inspector, follow_redirects=True)
    assert response.status_code == 200
    assert "已确认" in page_text(response)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("NaN", "有限"),
        ("1e999", "有限"),
        ("9" * 400, "有限"),
        ("inf", "有限"),
        ("七", "请填写数字"),
        ("2.5", "应为整数"),
        ("0", "应在1至90之间"),
    ],
)
def test_indicator_parameters_the_rules_cannot_use_get_a_field_message(
    app, client_as, world, typed, message
):
    """The 首次走访期限(天) box takes a number; what the rules cannot use is refused at it."""
    from admin_app.models import AssessmentIndicator
    from tests.helpers import field_errors

    admin = client_as(Role.ADMIN)
    with app.app_context():
        indicator = db.session.scalar(
            select(AssessmentIndicator).where(AssessmentIndicator.code == "visit_timeliness")
        )
        key, before = indicator.id, indicator.params
    form = open_form(admin, f"/admin/indicator/edit/?id={key}")
    response = form.set("param_visit_timeliness_days", typed).submit(admin)
    assert response.status_code == 200
    assert any(message in error for error in field_errors(response)), field_errors(response)
    with app.app_context():
        assert db.session.get(AssessmentIndicator, key).params == before


def test_inline_edit_without_a_record_id_is_a_400(client_as, world):
    admin = client_as(Role.ADMIN)
    token = session_token(admin)
    response = admin.post(
        "/admin/indicator/ajax/update/", data={"csrf_token": token, "points": "5"}
    )
    assert response.status_code == 400


def test_a_picker_offset_over_2_63_answers_an_empty_page(client_as, world):
    clerk = client_as(Role.CLERK)
    response = clerk.get(
        "/admin/child/ajax/lookup/",
        query_string={"name": "household", "query": "", "offset": OVER_2_63, "limit": "-1"},
    )
    assert response.status_code == 200
