"""The case screens: opening a case, the lifecycle buttons, visits, notices and their print
page, plans, the overdue filter and dashboard section, scope for every path, no 500s."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from admin_app.cases import core as cases
from admin_app.cases.notices import EDU_58, LIABILITY, MINORS_16, MINORS_83
from admin_app.choices import (
    CaseKind,
    CaseSource,
    CaseStatus,
    ChildStatus,
    NoticeKind,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.models import (
    AssistancePlan,
    CaseEvent,
    CaseVisit,
    Child,
    DropoutCase,
    Notice,
)
from tests.forms import open_form
from tests.helpers import (
    TODAY,
    case_version,
    days_ago,
    field_errors,
    fill,
    notice_form,
    open_case_at,
    page,
    post_elsewhere,
    row_delete_form,
    session_token,
    step,
    step_form,
    submit,
)


def fetch_case(app, case_id: int) -> DropoutCase:
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        db.session.expunge(case)
        return case


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- Opening -------------------------------------------------------------------------------


def test_child_page_links_to_opening_a_case_prefilled(app, client_as, world):
    clerk = client_as(Role.CLERK)
    html = page(clerk, f"/admin/child/details/?id={world.child_a}")
    assert 'id="open-case"' in html
    url = f"/admin/case/new/?child={world.child_a}"
    assert url.replace("&", "&amp;") in html or url in html
    form = page(clerk, url)
    assert f'id="child" name="child" type="hidden" value="{world.child_a}"' in form
    response = submit(
        clerk, url, {"kind": "dropout", "source": "school_report", "reason": "learning"}
    )
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalar(select(DropoutCase))
        assert (case.child_id, case.status) == (world.child_a, CaseStatus.SUSPECTED)
        assert case.discovered_on == TODAY
        assert [e.kind.value for e in case.events] == ["open"]
        assert case.events[0].actor_name == "测试乡镇工作人员"
    assert f"/admin/case/details/?id={case.id}" in response.headers["Location"]


def test_opening_twice_is_refused_with_the_reason_and_nothing_saved(app, client_as, world):
    clerk = client_as(Role.CLERK)
    open_case_at(app, world.child_a, CaseStatus.SUSPECTED)
    url = f"/admin/case/new/?child={world.child_a}"
    response = submit(clerk, url, {"kind": "dropout", "source": "school_report"})
    assert response.status_code == 200
    assert any("该儿童已有在办案件" in e for e in field_errors(response))
    assert count(app, DropoutCase) == 1


def test_opening_with_bad_input_keeps_the_typing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    url = f"/admin/case/new/?child={world.child_a}"
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    response = submit(
        clerk,
        url,
        {
            "kind": "dropout",
            "source": "school_report",
            "reason": "other",
            "discovered_on": future,
            "family_situation": "父母外出务工，祖母照看",
        },
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert "日期不能晚于今天" in errors
    assert "原因为“其他”时须写明具体情况" in errors
    assert "父母外出务工，祖母照看" in response.get_data(as_text=True)
    assert count(app, DropoutCase) == 0


def test_status_is_not_editable_on_any_form(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    for url in ("/admin/case/new/", f"/admin/case/edit/?id={case_id}"):
        assert 'name="status"' not in page(clerk, url)
    form = open_form(clerk, f"/admin/case/edit/?id={case_id}")
    form.set("village_person", "刘主任").force("status", "closed")
    response = form.submit(clerk)
    assert response.status_code == 302
    case = fetch_case(app, case_id)
    assert case.status == CaseStatus.PERSUADING and case.village_person == "刘主任"


# --- Steps through the screen --------------------------------------------------------------


def test_each_button_changes_the_case_and_child(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.SUSPECTED)
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert "开始核查" in html and "复学安置" not in html  # only what the status allows
    assert step(clerk, case_id, "verify", on=days_ago(50), note="入户核查").status_code == 302
    response = step(clerk, case_id, "elsewhere", on=days_ago(49), note="县城二小就读")
    assert response.status_code == 302
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        assert case.status == CaseStatus.ELSEWHERE
        assert case.child.status == ChildStatus.ELSEWHERE
        assert case.child.status_changes[-1].effective_on == days_ago(49)
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert "案件已结案" in html


def test_a_refused_step_shows_the_reason_and_saves_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.SUSPECTED)
    assert 'id="form-return"' not in page(clerk, f"/admin/case/details/?id={case_id}")
    # A page left open: 复学安置 was offered while the case was 劝返中 …
    other = open_case_at(app, world.child_b)
    stale = fill(step_form(clerk, other, "return"), "return", on=days_ago(1))
    # … and meanwhile a colleague recorded the return.
    assert step(clerk, other, "return", on=days_ago(2)).status_code == 302
    events = count(app, CaseEvent)
    response = stale.submit(clerk, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "该案件已有新的办理记录" in html and "案件现为“已复学”" in html
    assert fetch_case(app, other).status == CaseStatus.RETURNED
    assert count(app, CaseEvent) == events
    # A page whose case never offered it (with that case's current version): refused with
    # the status it is in.
    forged = post_elsewhere(stale, f"/admin/case/step/return/?id={case_id}")
    forged.force("return-version", case_version(clerk, case_id))
    response = forged.submit(clerk)
    assert response.status_code == 200
    assert "案件当前为“疑似”，不能复学安置" in response.get_data(as_text=True)
    assert fetch_case(app, case_id).status == CaseStatus.SUSPECTED
    assert count(app, CaseEvent) == events


def test_a_deadline_before_the_issue_date_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    response = step(
        clerk, case_id, "notice", issued_on=days_ago(10), deadline=days_ago(12), note="草稿说明"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "限期须晚于开具日期" in html
    assert "草稿说明" in html  # the typing is kept
    assert count(app, Notice) == 0


def test_a_visit_before_the_case_opened_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    response = step(clerk, case_id, "visit", visited_on=days_ago(61), persons="刘主任")
    assert response.status_code == 200
    assert "走访日期不能早于案件发现日期" in response.get_data(as_text=True)
    assert count(app, CaseVisit) == 0


@pytest.mark.parametrize(
    ("name", "fields", "forged"),
    [
        ("visit", {"visited_on": "2026-13-45", "persons": "刘"}, {}),
        ("notice", {"issued_on": "", "deadline": "x"}, {}),
        ("rectify", {"on": "yesterday"}, {}),
        ("return", {"on": days_ago(1), "grade": "abc"}, {}),
        ("return", {"on": days_ago(1)}, {"placement": "dropout"}),
        ("return", {"on": days_ago(1), "placement": "enrolled"}, {"school": "999999"}),
        ("plan", {"measures": "", "start_on": ""}, {}),
    ],
)
def test_garbage_input_gets_a_message_never_a_500(app, client_as, world, name, fields, forged):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    form = fill(step_form(clerk, case_id, name), name, **fields)
    for key, value in forged.items():  # options the page does not offer
        form.force(f"{name}-{key}", value)
    response = form.submit(clerk)
    assert response.status_code == 200
    assert "未保存" in response.get_data(as_text=True)
    assert fetch_case(app, case_id).status == CaseStatus.PERSUADING


@pytest.mark.parametrize(
    "url",
    [
        "/admin/case/step/nonsense/?id={case}",
        "/admin/case/step/verify/?id=abc",
        "/admin/case/step/verify/",
        "/admin/case/notice/result/?id=999",
        "/admin/case/notice/print/?id=x",
        "/admin/case/details/?id=999",
    ],
)
def test_unknown_records_and_steps_are_404(app, client_as, world, url):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    target = url.format(case=case_id)
    if "print" in target or "details" in target:
        response = clerk.get(target)
    else:  # a form of the case page, its address edited
        form = fill(step_form(clerk, case_id, "visit"), "visit", visited_on=days_ago(1))
        response = post_elsewhere(form, target).submit(clerk)
    assert response.status_code == 404


def test_a_step_without_csrf_token_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.SUSPECTED)
    form = fill(step_form(clerk, case_id, "verify"), "verify", on=days_ago(1))
    assert form.remove("verify-csrf_token").submit(clerk).status_code == 400
    assert fetch_case(app, case_id).status == CaseStatus.SUSPECTED
    # The control: the same step with the page's token goes through.
    assert step(clerk, case_id, "verify", on=days_ago(1)).status_code == 302
    assert fetch_case(app, case_id).status == CaseStatus.VERIFYING


# --- Notices and their print page ----------------------------------------------------------


def test_the_print_page_holds_names_number_and_legal_text(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    response = step(clerk, case_id, "notice", issued_on=days_ago(10), deadline=days_ago(3))
    assert response.status_code == 302
    with app.app_context():
        notice = db.session.scalar(select(Notice))
        notice_id, number = notice.id, notice.number
    assert number == f"联合乡控辍〔{days_ago(10).year}〕第1号"
    html = page(clerk, f"/admin/case/notice/print/?id={notice_id}")
    for text in (
        "劝返复学通知书",
        number,
        "联合乡人民政府",
        "王大山",  # guardian
        "王小明",  # child
        "联合乡中心小学",
        f"{days_ago(3).year}年{days_ago(3).month}月{days_ago(3).day}日",
        EDU_58.text,
        MINORS_16.text,
        MINORS_83.text,
        LIABILITY,
        "送达回执",
        "@page { size: A4",
    ):
        assert text in html, text
    assert "http://" not in html and "https://" not in html  # prints offline


def test_recording_service_and_non_compliance_on_the_case(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    step(clerk, case_id, "notice", issued_on=days_ago(10), deadline=days_ago(3))
    with app.app_context():
        notice_id = db.session.scalar(select(Notice.id))
    form = fill(
        notice_form(clerk, case_id, notice_id),
        f"n{notice_id}",
        served_on=days_ago(9),
        served_to="王大山",
        result="当面送达",
        complied="no",
    )
    assert form.submit(clerk).status_code == 302
    with app.app_context():
        notice = db.session.get(Notice, notice_id)
        assert (notice.served_on, notice.served_to, notice.complied) == (
            days_ago(9),
            "王大山",
            False,
        )
        number = notice.number
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert "逾期未履行" in html
    # The service's line in 办理过程 names the notice once (its note already says which).
    events = html[html.index('id="case-events"') : html.index('id="case-visits"')]
    served = next(row for row in events.split("<tr>") if "文书送达" in row)
    assert served.count(number) == 1, served


def test_rectify_step_issues_its_notice_with_the_next_number(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    step(clerk, case_id, "notice", issued_on=days_ago(20), deadline=days_ago(15))
    assert step(clerk, case_id, "criticism", on=days_ago(14), note="批评教育").status_code == 302
    response = step(clerk, case_id, "rectify", on=days_ago(13), deadline=days_ago(6))
    assert response.status_code == 302
    with app.app_context():
        kinds = db.session.execute(select(Notice.kind, Notice.seq).order_by(Notice.seq)).all()
        assert [k for k, _ in kinds] == [NoticeKind.RETURN, NoticeKind.RECTIFY]
        rectify_id = db.session.scalar(select(Notice.id).where(Notice.kind == NoticeKind.RECTIFY))
    html = page(clerk, f"/admin/case/notice/print/?id={rectify_id}")
    assert "责令限期改正通知书" in html and "现责令你于" in html
    assert "劝返复学通知书" in html  # the earlier notice is cited


def test_skipping_an_escalation_step_needs_a_reason(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    response = step(clerk, case_id, "rectify", on=days_ago(13), deadline=days_ago(6))
    assert response.status_code == 200
    assert "须先记录，或写明跳过的理由" in response.get_data(as_text=True)
    response = step(
        clerk,
        case_id,
        "rectify",
        on=days_ago(13),
        deadline=days_ago(6),
        skip_reason="监护人长期在外，无法当面批评教育",
    )
    assert response.status_code == 302
    assert "监护人长期在外" in page(clerk, f"/admin/case/details/?id={case_id}")


def test_a_plan_is_made_on_the_case(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    response = step(clerk, case_id, "plan", measures="落实生活补助，班主任结对", start_on=TODAY)
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(AssistancePlan))
        assert plan.case_id == case_id and plan.child_id == world.child_a
    assert "落实生活补助，班主任结对" in page(clerk, f"/admin/case/details/?id={case_id}")


# --- Overdue watch -------------------------------------------------------------------------


def test_overdue_filter_and_dashboard(app, client_as, world):
    clerk = client_as(Role.CLERK)
    late = open_case_at(app, world.child_a, CaseStatus.SUSPECTED)  # opened 60 days ago, no visit
    with app.app_context():
        child = db.session.get(Child, world.child_b)
        fresh = cases.open_case(
            db.session, child, CaseKind.DROPOUT, CaseSource.SCHOOL_REPORT, on=days_ago(7)
        )
        db.session.commit()
        fresh_id = fresh.id
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "case")
    with app.test_request_context():
        arg = view.filter_arg("督办提醒")
    html = page(clerk, f"/admin/case/?{arg}=visit")
    assert f"/admin/case/details/?id={late}" in html
    assert f"/admin/case/details/?id={fresh_id}" not in html
    dashboard = page(clerk, "/admin/")
    assert re.search(r'id="case-visit-overdue"[^>]*>1<', dashboard)
    assert re.search(r'id="case-count-suspected">(<a[^>]*>)?2<', dashboard)
    listed = dashboard[dashboard.index('id="case-overdue"') :]
    assert f"/admin/case/details/?id={late}" in listed and "发现60天未走访" in listed
    assert f"/admin/case/details/?id={fresh_id}" not in listed


# --- Roles and scope -----------------------------------------------------------------------


def test_leader_and_inspector_read_but_cannot_act(app, client_as, world):
    case_id = open_case_at(app, world.child_a, CaseStatus.SUSPECTED)
    for role in (Role.LEADER, Role.INSPECTOR):
        client = client_as(role)
        html = page(client, f"/admin/case/details/?id={case_id}")
        assert 'id="form-verify"' not in html
        child_page = page(client, f"/admin/child/details/?id={world.child_a}")
        assert f"/admin/case/details/?id={case_id}" in child_page
        assert 'id="open-case"' not in child_page
        assert client.get("/admin/case/new/").status_code == 403
        # No form on their page: the post a clerk's page would make, with their session's token.
        data = {"verify-csrf_token": session_token(client), "verify-on": days_ago(1).isoformat()}
        response = client.post(f"/admin/case/step/verify/?id={case_id}", data=data)
        assert response.status_code == 403
    assert fetch_case(app, case_id).status == CaseStatus.SUSPECTED
    # The control: the same step from a clerk's page goes through.
    clerk = client_as(Role.CLERK)
    assert step(clerk, case_id, "verify", on=days_ago(1)).status_code == 302
    assert fetch_case(app, case_id).status == CaseStatus.VERIFYING


@pytest.mark.parametrize("role", [Role.VILLAGE, Role.SCHOOL])
def test_local_users_reach_only_cases_in_their_scope(app, client_as, world, role):
    own = open_case_at(app, world.child_a)
    other = open_case_at(app, world.child_b)
    with app.app_context():
        for case_id in (own, other):
            case = db.session.get(DropoutCase, case_id)
            cases.issue_notice(
                db.session,
                case,
                NoticeKind.RETURN,
                issued_on=days_ago(20),
                deadline=days_ago(10),
                actor=None,
            )
        db.session.commit()
        other_notice = db.session.scalar(select(Notice.id).where(Notice.case_id == other))
        own_notice = db.session.scalar(select(Notice.id).where(Notice.case_id == own))
    client = client_as(role)
    listing = page(client, "/admin/case/")
    assert "王小明" in listing and "李小红" not in listing
    assert client.get(f"/admin/case/details/?id={other}").status_code == 404
    assert client.get(f"/admin/case/edit/?id={other}").status_code == 404
    assert client.get(f"/admin/case/notice/print/?id={other_notice}").status_code == 404
    assert client.get(f"/admin/case/notice/print/?id={own_notice}").status_code == 200
    # The forms of their own case, posted to the other case's address.
    for name, fields in (
        ("visit", {"visited_on": days_ago(1), "persons": "村干部"}),
        ("return", {"on": days_ago(1), "placement": "enrolled"}),
    ):
        form = fill(step_form(client, own, name), name, **fields)
        response = post_elsewhere(form, f"/admin/case/step/{name}/?id={other}").submit(client)
        assert response.status_code == 404
    # Notices are a township act: no such form on their page at all.
    assert 'action="/admin/case/notice/result/' not in page(
        client, f"/admin/case/details/?id={own}"
    )
    response = client.post(
        f"/admin/case/notice/result/?id={other_notice}",
        data={"csrf_token": session_token(client)},
    )
    assert response.status_code in (403, 404)
    # Pickers and the dashboard count only their own.
    lookup = client.get("/admin/case/ajax/lookup/?name=child&query=").get_json()
    assert [label for _, label in lookup] == ["王小明"]
    dashboard = page(client, "/admin/")
    assert re.search(r'id="case-count-persuading">(<a[^>]*>)?1<', dashboard)
    # Their own case they may work on: a visit, but no notices (a township act).
    response = step(client, own, "visit", visited_on=days_ago(1), persons="村干部")
    assert response.status_code == 302
    assert 'id="form-notice"' not in page(client, f"/admin/case/details/?id={own}")
    data = {
        "notice-csrf_token": session_token(client),
        "notice-issued_on": days_ago(1).isoformat(),
    }
    assert client.post(f"/admin/case/step/notice/?id={own}", data=data).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(CaseVisit.id))) == 1


def test_local_user_cannot_open_a_case_for_another_village_child(app, client_as, world):
    client = client_as(Role.VILLAGE)
    values = {"kind": "dropout", "source": "household_check", "discovered_on": TODAY.isoformat()}
    form = open_form(client, "/admin/case/new/").update(values)
    # The picker does not offer the child: only a forged post can name it.
    assert str(world.child_b) not in form.lookup("child")
    response = form.force("child", world.child_b).submit(client)
    assert response.status_code == 200
    assert "所选记录不存在或不在您的管辖范围内" in field_errors(response)
    assert count(app, DropoutCase) == 0
    # The control: their own child, picked from the picker, gets its case.
    form = open_form(client, "/admin/case/new/").update(values).pick("child", world.child_a, "王")
    assert form.submit(client).status_code == 302
    assert count(app, DropoutCase) == 1


def test_only_admin_deletes_cases(app, client_as, world):
    case_id = open_case_at(app, world.child_a)
    clerk = client_as(Role.CLERK)
    assert 'action="/admin/case/delete/"' not in page(clerk, "/admin/case/")
    data = {"id": case_id, "csrf_token": session_token(clerk)}
    assert clerk.post("/admin/case/delete/", data=data).status_code == 403
    assert count(app, DropoutCase) == 1
    # The control: the admin's list has the button, and it deletes.
    admin = client_as(Role.ADMIN)
    assert row_delete_form(admin, "/admin/case/", case_id).submit(admin).status_code == 302
    assert count(app, DropoutCase) == 0


@pytest.mark.parametrize("role", [Role.VILLAGE, Role.SCHOOL])
def test_local_users_report_a_suspected_case_of_their_own_child(app, client_as, world, role):
    client = client_as(role)
    response = submit(
        client,
        f"/admin/case/new/?child={world.child_a}",
        {"kind": "dropout", "source": "school_report", "reason": "learning"},
    )
    assert response.status_code == 302
    with app.app_context():
        case = db.session.scalar(select(DropoutCase))
        assert (case.child_id, case.status) == (world.child_a, CaseStatus.SUSPECTED)
        assert case.events[0].actor.role == role


def test_editing_a_case_with_other_reason_needs_its_note(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a)
    response = submit(
        clerk, f"/admin/case/edit/?id={case_id}", {"reason": "other", "reason_note": ""}
    )
    assert response.status_code == 200
    assert "原因为“其他”时须写明具体情况" in field_errors(response)
    assert fetch_case(app, case_id).reason == OutOfSchoolReason.LEARNING


# --- 复辍 ------------------------------------------------------------------------------------


def returned_case(app, child_id: int, status: CaseStatus = CaseStatus.FOLLOW_UP) -> int:
    """A case whose child was brought back to school 20 days ago (and, for 巩固跟踪, watched
    from 19 days ago), with a 劝返复学通知书 whose deadline is long past."""
    case_id = open_case_at(app, child_id)
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        cases.issue_notice(
            db.session,
            case,
            NoticeKind.RETURN,
            issued_on=days_ago(40),
            deadline=days_ago(30),
            actor=None,
        )
        cases.add_visit(db.session, case, visited_on=days_ago(56), persons="刘主任", result=None)
        cases.record_return(
            db.session, case, on=days_ago(20), actor=None, placement=ChildStatus.ENROLLED
        )
        if status == CaseStatus.FOLLOW_UP:
            cases.start_follow_up(db.session, case, on=days_ago(19), actor=None)
        db.session.commit()
    return case_id


@pytest.mark.parametrize("status", [CaseStatus.RETURNED, CaseStatus.FOLLOW_UP])
def test_a_relapse_through_the_case_page(app, client_as, world, status):
    clerk = client_as(Role.CLERK)
    case_id = returned_case(app, world.child_a, status)
    before = page(clerk, "/admin/")
    assert re.search(r'id="case-deadline-overdue"[^>]*>0<', before)
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert 'id="form-relapse"' in html and "登记复辍" in html
    response = step(
        clerk,
        case_id,
        "relapse",
        on=days_ago(3),
        reason="work",
        reason_note="随父母外出打工",
        note="班主任报告",
    )
    assert response.status_code == 302
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        assert case.status == CaseStatus.PERSUADING and case.follow_up_until is None
        child = case.child
        assert (child.status, child.status_reason) == (
            ChildStatus.DROPOUT,
            OutOfSchoolReason.WORK,
        )
        last = child.status_changes[-1]
        assert (last.from_status, last.to_status, last.effective_on, last.reason) == (
            ChildStatus.ENROLLED,
            ChildStatus.DROPOUT,
            days_ago(3),
            OutOfSchoolReason.WORK,
        )
        event = case.events[-1]
        assert (event.from_status, event.actor_name) == (status, "测试乡镇工作人员")
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert "复辍原因：外出务工（随父母外出打工）；班主任报告" in html
    assert 'id="form-return"' in html and 'id="form-relapse"' not in html  # 劝返中 again
    after = page(clerk, "/admin/")
    assert re.search(r'id="case-count-persuading">(<a[^>]*>)?1<', after)
    assert re.search(rf'id="case-count-{status.value}">(<a[^>]*>)?0<', after)
    assert re.search(r'id="case-deadline-overdue"[^>]*>1<', after)
    listed = after[after.index('id="case-overdue"') :]
    assert f"/admin/case/details/?id={case_id}" in listed


def test_a_relapse_with_bad_input_keeps_the_typing_and_saves_nothing(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = returned_case(app, world.child_a)
    events = count(app, CaseEvent)
    future = TODAY + dt.timedelta(days=2)
    response = step(clerk, case_id, "relapse", on=future, reason="", note="家访时发现未到校")
    assert response.status_code == 200
    errors = field_errors(response)
    assert "日期不能晚于今天" in errors and "请选择复辍原因" in errors
    html = response.get_data(as_text=True)
    assert "家访时发现未到校" in html and future.isoformat() in html
    response = step(clerk, case_id, "relapse", on=days_ago(1), reason="other", reason_note=" ")
    assert "原因为“其他”时须写明具体情况" in field_errors(response)
    response = step(clerk, case_id, "relapse", on=days_ago(25), reason="work")
    assert f"日期不能早于{days_ago(19):%Y-%m-%d}" in field_errors(response)
    forged_reason = fill(step_form(clerk, case_id, "relapse"), "relapse", on=days_ago(1))
    for form in (
        fill(step_form(clerk, case_id, "relapse"), "relapse", on="2026-02-30", reason="work"),
        forged_reason.force("relapse-reason", "nonsense"),  # not one of the options
        fill(
            step_form(clerk, case_id, "relapse"),
            "relapse",
            on=days_ago(1),
            reason="work",
            reason_note="长" * 201,
        ),
    ):
        response = form.submit(clerk)
        assert response.status_code == 200
        assert "未保存" in response.get_data(as_text=True)
    assert count(app, CaseEvent) == events
    with app.app_context():
        case = db.session.get(DropoutCase, case_id)
        assert case.status == CaseStatus.FOLLOW_UP and case.follow_up_until is not None
        assert case.child.status == ChildStatus.ENROLLED
    # Refused from a status that does not allow it, with the reason: a page left open
    # after a colleague recorded the relapse (the case is 劝返中 again).
    stale = fill(step_form(clerk, case_id, "relapse"), "relapse", on=days_ago(1), reason="work")
    assert step(clerk, case_id, "relapse", on=days_ago(2), reason="work").status_code == 302
    events = count(app, CaseEvent)
    response = stale.submit(clerk, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "该案件已有新的办理记录" in html and "案件现为“劝返中”" in html
    assert fetch_case(app, case_id).status == CaseStatus.PERSUADING
    assert count(app, CaseEvent) == events


def test_a_relapse_without_csrf_token_is_refused(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = returned_case(app, world.child_a)
    form = fill(step_form(clerk, case_id, "relapse"), "relapse", on=days_ago(1), reason="work")
    assert form.remove("relapse-csrf_token").submit(clerk).status_code == 400
    assert fetch_case(app, case_id).status == CaseStatus.FOLLOW_UP
    # The control: with the page's token the same relapse is recorded.
    assert step(clerk, case_id, "relapse", on=days_ago(1), reason="work").status_code == 302
    assert fetch_case(app, case_id).status == CaseStatus.PERSUADING


def test_who_may_record_a_relapse_and_where(app, client_as, world):
    from admin_app.access.permissions import roles_for
    from admin_app.choices import CaseEventKind

    assert roles_for("case", CaseEventKind.RELAPSE) == roles_for("case", CaseEventKind.RETURN)
    own = returned_case(app, world.child_a)
    other = returned_case(app, world.child_b)
    fields = {"on": days_ago(1), "reason": "learning"}
    for role in (Role.LEADER, Role.INSPECTOR):
        client = client_as(role)
        assert 'id="form-relapse"' not in page(client, f"/admin/case/details/?id={own}")
        data = {
            "relapse-csrf_token": session_token(client),
            **{f"relapse-{k}": str(v) for k, v in fields.items()},
        }
        response = client.post(f"/admin/case/step/relapse/?id={own}", data=data)
        assert response.status_code == 403
    village = client_as(Role.VILLAGE)  # 联合村: child_a's village, not child_b's
    assert village.get(f"/admin/case/details/?id={other}").status_code == 404
    form = fill(step_form(village, own, "relapse"), "relapse", **fields)
    response = post_elsewhere(form, f"/admin/case/step/relapse/?id={other}").submit(village)
    assert response.status_code == 404
    assert fetch_case(app, other).status == CaseStatus.FOLLOW_UP
    assert 'id="form-relapse"' in page(village, f"/admin/case/details/?id={own}")
    assert step(village, own, "relapse", **fields).status_code == 302
    assert fetch_case(app, own).status == CaseStatus.PERSUADING


# --- Outcomes of verification: 核实在校 (误报), 失联, 休学 ------------------------------


def status_filter(app, value: str) -> str:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "case")
    with app.test_request_context():
        return f"/admin/case/?{view.filter_arg('案件状态')}={value}"


def test_a_false_alarm_is_closed_from_the_page_and_counted_by_source(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.VERIFYING)  # source 学校报告
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert 'id="form-in_school"' in html and 'id="form-unreached"' in html
    assert 'id="form-suspended"' in html
    response = step(clerk, case_id, "in_school", on=days_ago(3), note="本校五年级在读，学籍正常")
    assert response.status_code == 302
    case = fetch_case(app, case_id)
    assert (case.status, case.closed_on) == (CaseStatus.IN_SCHOOL, days_ago(3))
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        assert child.status == ChildStatus.ENROLLED
        assert len(child.status_changes) == 1  # its status was never touched
    assert "案件已结案" in page(clerk, f"/admin/case/details/?id={case_id}")
    dashboard = page(clerk, "/admin/")
    assert re.search(r'id="false-alarm-school_report">(<a[^>]*>)1<', dashboard)
    assert re.search(r'id="false-alarm-roster_comparison">0<', dashboard)
    assert re.search(r'id="case-count-in_school">(<a[^>]*>)1<', dashboard)


def test_a_false_alarm_needs_its_note_and_saves_nothing_without(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.VERIFYING)
    events = count(app, CaseEvent)
    response = step(clerk, case_id, "in_school", on=days_ago(3), note="")
    assert response.status_code == 200
    assert "请写明核实情况" in response.get_data(as_text=True)
    assert fetch_case(app, case_id).status == CaseStatus.VERIFYING
    assert count(app, CaseEvent) == events


def test_unreachable_through_the_page_lists_and_then_resolves(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.VERIFYING)
    # Refused before any visit: 失联 means not found where the visits looked.
    response = step(clerk, case_id, "unreached", on=days_ago(5), note="电话停机")
    assert response.status_code == 200
    assert "尚未登记走访" in response.get_data(as_text=True)
    assert fetch_case(app, case_id).status == CaseStatus.VERIFYING
    visit = step(clerk, case_id, "visit", visited_on=days_ago(6), persons="村干部", result="无人")
    assert visit.status_code == 302
    response = step(clerk, case_id, "unreached", on=days_ago(5), note="三次入户无人，电话停机")
    assert response.status_code == 302
    case = fetch_case(app, case_id)
    assert case.status == CaseStatus.UNREACHED and case.closed_on is None
    # The 失联 list (a filter of the case list) and the dashboard's count.
    other = open_case_at(app, world.child_b, CaseStatus.VERIFYING)
    listed = page(clerk, status_filter(app, "unreached"))
    assert f"/admin/case/details/?id={case_id}" in listed
    assert f"/admin/case/details/?id={other}" not in listed
    dashboard = page(clerk, "/admin/")
    assert re.search(r'id="case-unreachable"[^>]*>1<', dashboard)
    assert "失联（须报县政府）" in dashboard
    # From 失联: found and out of school (确认) or in school (核实在校); nothing else.
    html = page(clerk, f"/admin/case/details/?id={case_id}")
    assert 'id="form-confirm"' in html and 'id="form-in_school"' in html
    assert 'id="form-suspended"' not in html and 'id="form-elsewhere"' not in html
    assert step(clerk, case_id, "confirm", on=days_ago(1), reason="work").status_code == 302
    assert fetch_case(app, case_id).status == CaseStatus.CONFIRMED
    with app.app_context():
        assert db.session.get(Child, world.child_a).status == ChildStatus.DROPOUT


def test_an_unreachable_child_found_in_school_through_the_page(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.VERIFYING)
    step(clerk, case_id, "visit", visited_on=days_ago(6), persons="村干部", result="无人")
    assert step(clerk, case_id, "unreached", on=days_ago(5), note="查找未果").status_code == 302
    response = step(clerk, case_id, "in_school", on=days_ago(1), note="已返校，县城二小在读")
    assert response.status_code == 302
    assert fetch_case(app, case_id).status == CaseStatus.IN_SCHOOL


def test_an_approved_suspension_closes_the_case_and_sets_the_child(app, client_as, world):
    clerk = client_as(Role.CLERK)
    case_id = open_case_at(app, world.child_a, CaseStatus.VERIFYING)
    response = step(clerk, case_id, "suspended", on=days_ago(2), note="县教育局批准休学一年")
    assert response.status_code == 302
    case = fetch_case(app, case_id)
    assert (case.status, case.closed_on) == (CaseStatus.SUSPENDED, days_ago(2))
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        assert child.status == ChildStatus.SUSPENDED
        assert child.status_changes[-1].effective_on == days_ago(2)
    assert "案件已结案" in page(clerk, f"/admin/case/details/?id={case_id}")


def test_a_suspension_is_the_township_s_act_and_needs_its_approval(app, client_as, world):
    case_id = open_case_at(app, world.child_a, CaseStatus.VERIFYING)
    village = client_as(Role.VILLAGE)  # 联合村: child_a's village
    html = page(village, f"/admin/case/details/?id={case_id}")
    assert 'id="form-suspended"' not in html and 'id="form-in_school"' in html
    data = {
        "suspended-csrf_token": session_token(village),
        "suspended-on": days_ago(1).isoformat(),
        "suspended-note": "县教育局批准",
        "suspended-version": case_version(village, case_id),
    }
    response = village.post(f"/admin/case/step/suspended/?id={case_id}", data=data)
    assert response.status_code == 403
    clerk = client_as(Role.CLERK)
    response = step(clerk, case_id, "suspended", on=days_ago(1), note="")
    assert response.status_code == 200
    assert "请写明批准机关和文号" in response.get_data(as_text=True)
    assert fetch_case(app, case_id).status == CaseStatus.VERIFYING


@pytest.mark.parametrize(
    ("status", "name", "message"),
    [
        (CaseStatus.SUSPECTED, "in_school", "案件当前为“疑似”，不能核实在校"),
        (CaseStatus.SUSPECTED, "unreached", "案件当前为“疑似”，不能登记失联"),
        (CaseStatus.PERSUADING, "suspended", "案件当前为“劝返中”，不能核实休学"),
        (CaseStatus.CONFIRMED, "in_school", "案件当前为“确认”，不能核实在校"),
    ],
)
def test_outcome_steps_from_the_wrong_status_are_refused(
    app, client_as, world, status, name, message
):
    clerk = client_as(Role.CLERK)
    source = open_case_at(app, world.child_b, CaseStatus.VERIFYING)  # a page that offers it
    case_id = open_case_at(app, world.child_a, status)
    assert f'id="form-{name}"' not in page(clerk, f"/admin/case/details/?id={case_id}")
    form = fill(step_form(clerk, source, name), name, on=days_ago(1), note="核实情况")
    forged = post_elsewhere(form, f"/admin/case/step/{name}/?id={case_id}")
    forged.force(f"{name}-version", case_version(clerk, case_id))
    events = count(app, CaseEvent)
    response = forged.submit(clerk)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert fetch_case(app, case_id).status == status
    assert count(app, CaseEvent) == events
