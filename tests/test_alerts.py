"""动态监测预警: each kind raised for its condition and not otherwise, idempotent scans,
the owner line, scoped visibility and closing, the home panel, the absence threshold."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from admin_app.cases import alerts
from admin_app.choices import (
    AgreementLine,
    AlertAction,
    AlertKind,
    AlertStatus,
    CaseStatus,
    ChildStatus,
    OutOfSchoolReason,
    Role,
)
from admin_app.extensions import db
from admin_app.models import AbsenceReport, Alert, Child, Household
from tests import factories as f
from tests.forms import form_of, open_form
from tests.helpers import (
    TODAY,
    change,
    days_ago,
    field_errors,
    forge_entry,
    page,
    session_token,
    submit,
)


def feedback(response) -> list[str]:
    """The messages the close form shows under its fields."""
    return re.findall(
        r'<div class="invalid-feedback">([^<]+)</div>', response.get_data(as_text=True)
    )


def scan(app) -> alerts.ScanResult:
    with app.app_context():
        result = alerts.scan(db.session, TODAY)
        db.session.commit()
        return result


def alerts_of(app, kind: AlertKind | None = None) -> list[Alert]:
    with app.app_context():
        stmt = select(Alert).order_by(Alert.id)
        if kind is not None:
            stmt = stmt.where(Alert.kind == kind)
        rows = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return rows


def drop_out(app, child_id: int, on: dt.date | None = None) -> None:
    with app.app_context():
        child = db.session.get(Child, child_id)
        change(child, ChildStatus.DROPOUT, on or days_ago(2), OutOfSchoolReason.LEARNING)


def report_absence(app, child_id: int, days: int, from_on: dt.date | None = None) -> int:
    with app.app_context():
        child = db.session.get(Child, child_id)
        report = AbsenceReport(
            child=child, school_id=child.school_id, from_on=from_on or days_ago(4), days=days
        )
        db.session.add(report)
        db.session.commit()
        return report.id


def raise_alert(app, child_id: int, **kw) -> int:
    """An open alert written as a row, for tests of what is shown, scoped and closed (of a
    kind the scan does not close by itself: the children are in school)."""
    with app.app_context():
        child = db.session.get(Child, child_id)
        defaults = {
            "kind": AlertKind.KEY_GROUP_CHANGE,
            "source_key": f"test:{child_id}:{kw.get('owner_line', 'government')}",
            "child_id": child.id,
            "village_id": child.village_id,
            "owner_line": AgreementLine.GOVERNMENT,
            "raised_on": days_ago(1),
            "due_on": days_ago(1) + dt.timedelta(days=3),
            "detail": "测试预警",
            "status": AlertStatus.OPEN,
        }
        alert = Alert(**{**defaults, **kw})
        db.session.add(alert)
        db.session.commit()
        return alert.id


# --- 失学无案件 ---------------------------------------------------------------------------------


def test_out_of_school_child_without_a_case_raises_one_village_alert(app, world):
    assert scan(app).total_raised == 0  # everyone in school: nothing to watch
    drop_out(app, world.child_a)
    result = scan(app)
    assert result.raised[AlertKind.OUT_OF_SCHOOL] == 1
    [alert] = alerts_of(app)
    assert alert.child_id == world.child_a
    assert alert.owner_line == AgreementLine.GOVERNMENT
    assert alert.village_id == world.village_a
    assert alert.due_on == TODAY + dt.timedelta(days=alerts.DUE_DAYS[AlertKind.OUT_OF_SCHOOL])
    assert "辍学" in alert.detail and "学习困难" in alert.detail
    # Idempotent: the same condition never raises a second alert.
    assert scan(app).total_raised == 0
    assert len(alerts_of(app)) == 1


def test_out_of_school_child_with_an_open_case_raises_nothing(app, world):
    with app.app_context():
        f.make_case(db.session.get(Child, world.child_a))
        db.session.commit()
    drop_out(app, world.child_a)
    assert scan(app).raised[AlertKind.OUT_OF_SCHOOL] == 0


def test_pending_child_is_left_to_the_verification_screen(app, world):
    with app.app_context():
        change(db.session.get(Child, world.child_a), ChildStatus.PENDING, days_ago(1))
    assert alerts_of(app, AlertKind.OUT_OF_SCHOOL) == [] and scan(app).total_raised == 0


def test_opening_a_case_closes_the_alert_as_case_opened(app, world):
    drop_out(app, world.child_a)
    scan(app)
    with app.app_context():
        case = f.make_case(db.session.get(Child, world.child_a), status=CaseStatus.SUSPECTED)
        db.session.commit()
        case_id = case.id
    result = scan(app)
    assert result.closed == 1
    [alert] = alerts_of(app)
    assert alert.status == AlertStatus.CLOSED
    assert alert.closed_action == AlertAction.CASE_OPENED
    assert f"#{case_id}" in alert.closed_note
    assert alert.closed_by_name == alerts.AUTOMATIC


def test_back_in_school_closes_the_alert_and_a_new_dropout_raises_a_new_one(app, world):
    drop_out(app, world.child_a, days_ago(10))
    scan(app)
    with app.app_context():
        change(db.session.get(Child, world.child_a), ChildStatus.ENROLLED, days_ago(5))
    scan(app)
    [alert] = alerts_of(app, AlertKind.OUT_OF_SCHOOL)
    assert alert.closed_action == AlertAction.RETURNED
    drop_out(app, world.child_a, days_ago(1))
    scan(app)
    out = alerts_of(app, AlertKind.OUT_OF_SCHOOL)
    assert [a.status for a in out] == [AlertStatus.CLOSED, AlertStatus.OPEN]


# --- 重点群体状态变化 ----------------------------------------------------------------------------


def test_key_group_child_status_change_raises_and_others_do_not(app, world):
    with app.app_context():
        db.session.get(Child, world.child_a).is_left_behind = True
        db.session.commit()
    scan(app)  # the registrations before are no change
    with app.app_context():
        change(db.session.get(Child, world.child_a), ChildStatus.HOME_TEACHING, days_ago(1))
        # Not of a key group: no alert.
        change(db.session.get(Child, world.child_b), ChildStatus.HOME_TEACHING, days_ago(1))
    result = scan(app)
    assert result.raised[AlertKind.KEY_GROUP_CHANGE] == 1
    [alert] = alerts_of(app, AlertKind.KEY_GROUP_CHANGE)
    assert alert.child_id == world.child_a
    assert "留守儿童" in alert.detail and "送教上门" in alert.detail
    assert alert.owner_line == AgreementLine.GOVERNMENT
    assert scan(app).total_raised == 0


def test_household_category_makes_a_key_group_child(app, world):
    with app.app_context():
        db.session.get(Household, world.household_b).is_monitored = True
        db.session.commit()
        change(db.session.get(Child, world.child_b), ChildStatus.SPECIAL_SCHOOL, days_ago(1))
    scan(app)
    [alert] = alerts_of(app, AlertKind.KEY_GROUP_CHANGE)
    assert alert.child_id == world.child_b and "防返贫监测户" in alert.detail


def test_key_group_dropout_raises_out_of_school_only(app, world):
    with app.app_context():
        db.session.get(Child, world.child_a).is_orphan = True
        db.session.commit()
    drop_out(app, world.child_a)
    scan(app)
    assert [a.kind for a in alerts_of(app)] == [AlertKind.OUT_OF_SCHOOL]


# --- 缺勤超限 -------------------------------------------------------------------------------------


def test_absence_at_the_threshold_raises_a_school_line_alert(app, world):
    report_absence(app, world.child_a, days=2)
    assert scan(app).raised[AlertKind.ABSENCE] == 0
    report_absence(app, world.child_a, days=3)
    assert scan(app).raised[AlertKind.ABSENCE] == 1
    [alert] = alerts_of(app, AlertKind.ABSENCE)
    assert alert.owner_line == AgreementLine.SCHOOL
    assert alert.school_id == world.school_a
    assert "连续缺勤3天" in alert.detail
    assert scan(app).total_raised == 0


def test_absence_threshold_setting_is_respected(app, world):
    report_absence(app, world.child_a, days=2)
    with app.app_context():
        alerts.set_absence_threshold(db.session, 2)
        db.session.commit()
        assert alerts.absence_threshold(db.session) == 2
    assert scan(app).raised[AlertKind.ABSENCE] == 1
    with app.app_context():
        try:
            alerts.set_absence_threshold(db.session, 0)
        except alerts.AlertError as exc:
            assert "1–30" in exc.errors["days"]
        else:
            raise AssertionError("a threshold of 0 days was accepted")


def test_admin_sets_the_threshold_on_the_alert_page(client_as, app, world):
    admin = client_as(Role.ADMIN)
    form = open_form(admin, "/admin/alerts/", action="/threshold/")
    form.set("threshold-days", "5").submit(admin)
    with app.app_context():
        assert alerts.absence_threshold(db.session) == 5
    # A value that is no whole number of days, or out of range, is refused beside the field
    # with the typing kept, and the threshold stays.
    for typed in ("三天", "0"):
        form = open_form(admin, "/admin/alerts/", action="/threshold/")
        response = form.set("threshold-days", typed).submit(admin)
        assert response.status_code == 400
        refused = form_of(response.get_data(as_text=True), action="/threshold/")
        assert refused.value("threshold-days") == typed
        html = response.get_data(as_text=True)
        assert re.search(r'id="threshold-days-error">缺勤预警天数应为1–30之间的整数<', html)
    with app.app_context():
        assert alerts.absence_threshold(db.session) == 5
    # Other roles have no such form and may not post it.
    clerk = client_as(Role.CLERK)
    assert "threshold-form" not in page(clerk, "/admin/alerts/")
    data = {"threshold-days": "1", "csrf_token": session_token(clerk)}
    assert clerk.post("/admin/alerts/threshold/", data=data).status_code == 403


# --- 失联 -----------------------------------------------------------------------------------------


def test_unreached_case_raises_and_closes_when_found(app, world):
    with app.app_context():
        case = f.make_case(db.session.get(Child, world.child_b), status=CaseStatus.UNREACHED)
        f.make_case(db.session.get(Child, world.child_a), status=CaseStatus.PERSUADING)
        db.session.commit()
        case_id = case.id
    assert scan(app).raised[AlertKind.UNREACHED] == 1
    [alert] = alerts_of(app, AlertKind.UNREACHED)
    assert alert.child_id == world.child_b and alert.village_id == world.village_b
    assert alert.owner_line == AgreementLine.GOVERNMENT
    assert scan(app).total_raised == 0
    with app.app_context():
        from admin_app.models import DropoutCase

        db.session.get(DropoutCase, case_id).status = CaseStatus.PERSUADING
        db.session.commit()
    assert scan(app).closed == 1
    [alert] = alerts_of(app, AlertKind.UNREACHED)
    assert alert.closed_action == AlertAction.HANDLED and "劝返中" in alert.closed_note


# --- The screens ----------------------------------------------------------------------------------


def test_each_line_sees_only_its_own_alerts(client_as, app, world):
    mine = raise_alert(app, world.child_a)
    theirs = raise_alert(app, world.child_b)
    school_a = raise_alert(
        app,
        world.child_a,
        kind=AlertKind.ABSENCE,
        owner_line=AgreementLine.SCHOOL,
        school_id=world.school_a,
    )
    village = client_as(Role.VILLAGE)
    html = page(village, "/admin/alerts/")
    assert f'data-alert="{mine}"' in html
    assert f'data-alert="{theirs}"' not in html
    # The school line's alert of the same child is the school's, not the village's.
    assert f'data-alert="{school_a}"' not in html
    assert village.get(f"/admin/alerts/close/?id={theirs}").status_code == 404
    data = {"action": "handled", "note": "越权关闭", "csrf_token": session_token(village)}
    assert village.post(f"/admin/alerts/close/?id={theirs}", data=data).status_code == 404
    assert alerts_of(app)[1].status == AlertStatus.OPEN
    school = client_as(Role.SCHOOL)
    html = page(school, "/admin/alerts/")
    assert f'data-alert="{school_a}"' in html and f'data-alert="{mine}"' not in html
    # Township roles see every line.
    html = page(client_as(Role.LEADER), "/admin/alerts/")
    assert all(f'data-alert="{i}"' in html for i in (mine, theirs, school_a))


def test_list_filters_by_kind_status_and_line(client_as, app, world):
    open_one = raise_alert(app, world.child_a)
    absence = raise_alert(
        app,
        world.child_a,
        kind=AlertKind.ABSENCE,
        owner_line=AgreementLine.SCHOOL,
        school_id=world.school_a,
    )
    clerk = client_as(Role.CLERK)
    html = page(clerk, "/admin/alerts/?kind=absence")
    assert "data-alert=" in html
    assert f'data-alert="{absence}"' in html and f'data-alert="{open_one}"' not in html
    html = page(clerk, "/admin/alerts/?line=government")
    assert f'data-alert="{open_one}"' in html and f'data-alert="{absence}"' not in html
    html = page(clerk, "/admin/alerts/?status=closed")
    assert "data-alert=" not in html
    # Values that are no option are ignored, not a 500.
    assert clerk.get("/admin/alerts/?kind=x&status=%00&line=1&page=-5").status_code in (200, 400)


def test_closing_needs_an_action_and_a_note(client_as, app, world):
    alert_id = raise_alert(app, world.child_a)
    village = client_as(Role.VILLAGE)
    url = f"/admin/alerts/close/?id={alert_id}"
    form = open_form(village, url, action="/close/")
    response = form.update({"action": "", "note": ""}).submit(village)
    assert response.status_code == 400
    errors = feedback(response)
    assert "请选择处理结果" in errors and any("请填写处理情况" in e for e in errors)
    # The typing is kept when only one is missing.
    form = open_form(village, url, action="/close/")
    response = form.update({"action": "verified", "note": ""}).submit(village)
    assert response.status_code == 400
    kept = form_of(response, action="/close/")
    assert kept.value("action") == "verified"
    assert alerts_of(app)[0].status == AlertStatus.OPEN
    form = open_form(village, url, action="/close/")
    response = form.update({"action": "verified", "note": "已入户核实，在外婆家暂住"}).submit(
        village
    )
    assert response.status_code == 302
    [alert] = alerts_of(app)
    assert alert.status == AlertStatus.CLOSED
    assert alert.closed_action == AlertAction.VERIFIED
    assert alert.closed_note == "已入户核实，在外婆家暂住"
    assert alert.closed_by_name == "测试村干部"
    # Closed: the page shows the outcome and offers no form.
    html = page(village, url)
    assert "已入户核实" in html and 'id="close-form"' not in html


def test_readers_may_not_close(client_as, app, world):
    alert_id = raise_alert(app, world.child_a)
    leader = client_as(Role.LEADER)
    assert 'id="close-form"' not in page(leader, f"/admin/alerts/close/?id={alert_id}")
    data = {"action": "handled", "note": "领导关闭", "csrf_token": session_token(leader)}
    assert leader.post(f"/admin/alerts/close/?id={alert_id}", data=data).status_code == 403
    assert alerts_of(app)[0].status == AlertStatus.OPEN


def test_home_panel_shows_the_roles_own_open_alerts(client_as, app, world):
    mine = raise_alert(app, world.child_a, due_on=days_ago(1), raised_on=days_ago(5))
    raise_alert(app, world.child_b)
    village = client_as(Role.VILLAGE)
    html = page(village, "/admin/")
    assert 'id="my-alerts"' in html
    assert 'id="my-alerts-total">1<' in html
    assert "已逾期 1 条" in html
    assert f"/admin/alerts/close/?id={mine}" in html
    assert "李小红" not in html.split('id="my-alerts"')[1].split("查看全部预警")[0]
    # The clerk counts both (and lists none: the county's are no home-page list); the
    # school user has none of these (village line).
    html = page(client_as(Role.CLERK), "/admin/")
    assert 'id="my-alerts-total">2<' in html and 'id="my-alerts-first"' not in html
    assert "暂无待办预警" in page(client_as(Role.SCHOOL), "/admin/")


def test_home_page_scans_so_a_new_dropout_shows_up(client_as, app, world):
    drop_out(app, world.child_a)
    html = page(client_as(Role.VILLAGE), "/admin/")
    assert 'id="my-alerts-total">1<' in html and "失学无案件：王小明" in html


def test_school_reports_an_absence_and_owns_the_alert(client_as, app, world):
    school = client_as(Role.SCHOOL)
    response = submit(
        school,
        "/admin/absence/new/",
        {"child": str(world.child_a), "from_on": str(days_ago(3)), "days": "3", "reason": "未请假"},
    )
    assert response.status_code == 302, field_errors(response)
    with app.app_context():
        report = db.session.scalar(select(AbsenceReport))
        assert report.school_id == world.school_a
        assert report.reported_by_name == "测试学校"
    [alert] = alerts_of(app, AlertKind.ABSENCE)
    assert alert.school_id == world.school_a and alert.owner_line == AgreementLine.SCHOOL
    assert "缺勤超限：王小明" in page(school, "/admin/")
    # Another school's pupil is not offered, and a forged post of its id is refused.
    form = open_form(school, "/admin/absence/new/")
    assert str(world.child_b) not in form.lookup("child", "")
    form = forge_entry(form, "child", str(world.child_b))
    response = form.update({"from_on": str(days_ago(3)), "days": "5"}).submit(school)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(AbsenceReport.id))) == 1


def test_absence_report_refuses_bad_input_in_chinese(client_as, app, world):
    school = client_as(Role.SCHOOL)
    tomorrow = str(TODAY + dt.timedelta(days=1))
    response = submit(
        school,
        "/admin/absence/new/",
        {"child": str(world.child_a), "from_on": tomorrow, "days": "0", "reason": "说明"},
    )
    errors = field_errors(response)
    assert "缺勤开始日期不能晚于今天" in errors
    assert any("连续缺勤天数应在1" in e for e in errors)
    assert tomorrow in response.get_data(as_text=True)  # typing kept
    with app.app_context():
        assert db.session.scalar(select(func.count(AbsenceReport.id))) == 0


def test_absence_list_is_scoped(client_as, app, world):
    report_absence(app, world.child_a, days=1)
    report_absence(app, world.child_b, days=1)
    html = page(client_as(Role.SCHOOL), "/admin/absence/")
    assert "王小明" in html and "李小红" not in html


def test_cli_scan_alerts(app, world, runner):
    drop_out(app, world.child_a)
    result = runner.invoke(args=["scan-alerts"])
    assert result.exit_code == 0, result.output
    assert "新增 1 条" in result.output and "失学无案件 1" in result.output
    assert "新增 0 条" in runner.invoke(args=["scan-alerts"]).output


def test_pages_scan_at_most_once_a_minute(app, world):
    with app.app_context():
        assert alerts.scan_if_due(db.session, now=dt.datetime(2026, 12, 1, 8, 0)) is False
    drop_out(app, world.child_a)
    with app.app_context():
        # Within the minute: not yet.
        assert alerts.scan_if_due(db.session, now=dt.datetime(2026, 12, 1, 8, 0, 30)) is False
        assert db.session.scalar(select(func.count(Alert.id))) == 0
        assert alerts.scan_if_due(db.session, now=dt.datetime(2026, 12, 1, 8, 1, 1)) is True
        assert db.session.scalar(select(func.count(Alert.id))) == 1
