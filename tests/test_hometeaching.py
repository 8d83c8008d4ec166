"""送教上门: recording sessions, who reaches them, the monthly frequency and its register."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from admin_app.cases import hometeaching
from admin_app.choices import ChildStatus, IndicatorMethod, Role
from admin_app.extensions import db
from admin_app.models import (
    AssessmentIndicator,
    Child,
    ExportRecord,
    HomeTeachingSession,
    School,
    User,
)
from admin_app.util.dates import local_today
from tests.factories import make_child
from tests.forms import FormError, open_form
from tests.helpers import field_errors
from tests.xlsx_helpers import headers_of, rows_of, workbook

#: A month wholly in the past whatever day the tests run (both children are 送教上门 from
#: 2025-09-01 on).
OCTOBER = dt.date(2026, 10, 1)
NEW = "/admin/hometeach/new/"


@pytest.fixture
def taught(app, world):
    """王小明 (联合村, 联合乡中心小学) and 李小红 (新华村, 新华小学) under 送教上门 since
    2025-09-01, and 张小强, an ordinary pupil of 联合乡中心小学."""
    with app.app_context():
        for child_id, category in ((world.child_a, "肢体"), (world.child_b, "智力")):
            child = db.session.get(Child, child_id)
            child.status = ChildStatus.HOME_TEACHING
            child.status_effective_on = dt.date(2025, 9, 1)
            child.is_disabled = True
            child.disability_category = category
            child.disability_grade = "一级"
        pupil = make_child(
            name="王小强", village=child.village, school=db.session.get(School, world.school_a)
        )
        db.session.commit()
        return pupil.id


def add_session(app, child_id: int, day: dt.date, hours: str = "2", **kw) -> int:
    with app.app_context():
        record = HomeTeachingSession(
            child_id=child_id,
            taught_on=day,
            teacher=kw.pop("teacher", "陈老师"),
            hours=Decimal(hours),
            content=kw.pop("content", "识字、生活自理训练"),
            **kw,
        )
        db.session.add(record)
        db.session.commit()
        return record.id


def session_values(**changes):
    values = {
        "taught_on": "2026-10-12",
        "teacher": "陈老师",
        "hours": "2",
        "content": "语文识字；康复训练",
        "note": "家长在场",
    }
    values.update(changes)
    return values


def new_session_form(client, child_id: int | None, query: str = "王", **changes):
    form = open_form(client, NEW)
    if child_id is not None:
        form.pick("child", child_id, query)
    return form.update(session_values(**changes))


def sessions(app) -> list[HomeTeachingSession]:
    with app.app_context():
        return list(db.session.scalars(select(HomeTeachingSession)))


# --- Recording --------------------------------------------------------------------------


def test_school_user_records_a_session_for_their_pupil(app, client_as, world, taught):
    school = client_as(Role.SCHOOL)
    response = new_session_form(school, world.child_a).submit(school)
    assert response.status_code == 302, field_errors(response)
    with app.app_context():
        record = db.session.scalar(select(HomeTeachingSession))
        user = db.session.scalar(select(User).where(User.username == world.users[Role.SCHOOL]))
        assert (record.child_id, record.taught_on) == (world.child_a, dt.date(2026, 10, 12))
        assert record.hours == Decimal("2") and record.content == "语文识字；康复训练"
        # The teaching school is the recording school's; the recorder is kept.
        assert record.school_id == world.school_a and record.recorded_by_id == user.id
    listing = school.get("/admin/hometeach/").get_data(as_text=True)
    assert "王小明" in listing and "陈老师" in listing


def test_the_picker_offers_only_children_under_home_teaching_in_scope(
    app, client_as, world, taught
):
    school = client_as(Role.SCHOOL)
    offered = open_form(school, NEW).lookup("child", "")
    # Its own 送教上门 pupil, labelled with village and school; not the ordinary pupil
    # 王小强, not 李小红 of another school.
    assert list(offered) == [str(world.child_a)]
    assert offered[str(world.child_a)] == "王小明（联合村，联合乡中心小学）"
    assert set(open_form(school, NEW).lookup("child", "王")) == {str(world.child_a)}
    clerk_offered = open_form(client_as(Role.CLERK), NEW).lookup("child", "")
    assert set(clerk_offered) == {str(world.child_a), str(world.child_b)}
    with pytest.raises(FormError):
        new_session_form(school, world.child_b, query="李")


def test_another_schools_child_forged_into_the_form_is_refused(app, client_as, world, taught):
    school = client_as(Role.SCHOOL)
    form = new_session_form(school, None).force("child", str(world.child_b))
    response = form.submit(school)
    assert response.status_code == 200
    assert "所选记录不存在或不在您的管辖范围内" in field_errors(response)
    assert sessions(app) == []


def test_a_child_not_under_home_teaching_is_refused(app, client_as, world, taught):
    """The ordinary pupil 王小强 cannot be picked; forged in, the rule refuses him."""
    school = client_as(Role.SCHOOL)
    response = new_session_form(school, None).force("child", str(taught)).submit(school)
    assert any("不能登记送教上门记录" in e for e in field_errors(response))
    assert sessions(app) == []


@pytest.mark.parametrize(
    ("changes", "message", "kept"),
    [
        ({"hours": "9"}, "课时应大于0且不超过8小时", 'value="9"'),
        ({"hours": "0"}, "课时应大于0且不超过8小时", 'value="0"'),
        ({"hours": "NaN"}, "课时应大于0且不超过8小时", 'value="NaN"'),
        ({"hours": "1.25"}, "课时最多保留一位小数，如 1.5", 'value="1.25"'),
        ({"hours": ""}, "请填写课时（小时）", "语文识字；康复训练"),
        ({"content": "   "}, "请填写送教内容", 'value="陈老师"'),
        ({"teacher": ""}, "请填写送教教师", "语文识字；康复训练"),
        ({"taught_on": "2014-01-01"}, "送教日期不能早于儿童出生日期（2014-03-15）", "2014-01-01"),
        ({"taught_on": ""}, "请填写送教日期", "语文识字；康复训练"),
    ],
)
def test_bad_input_is_refused_in_chinese_with_the_typing_kept(
    app, client_as, world, taught, changes, message, kept
):
    school = client_as(Role.SCHOOL)
    response = new_session_form(school, world.child_a, **changes).submit(school)
    assert response.status_code == 200
    assert message in field_errors(response)
    assert kept in response.get_data(as_text=True)
    assert sessions(app) == []


def test_a_future_date_is_refused(app, client_as, world, taught):
    future = (local_today() + dt.timedelta(days=3)).isoformat()
    school = client_as(Role.SCHOOL)
    response = new_session_form(school, world.child_a, taught_on=future).submit(school)
    assert "送教日期不能晚于今天" in field_errors(response)
    assert sessions(app) == []


def test_school_edits_its_session_and_cannot_reach_another_schools(app, client_as, world, taught):
    own = add_session(app, world.child_a, dt.date(2026, 10, 5))
    other = add_session(app, world.child_b, dt.date(2026, 10, 6), teacher="周老师")
    school = client_as(Role.SCHOOL)
    form = open_form(school, f"/admin/hometeach/edit/?id={own}").set("hours", "1.5")
    assert form.submit(school).status_code == 302
    with app.app_context():
        assert db.session.get(HomeTeachingSession, own).hours == Decimal("1.5")
    for url in (f"/admin/hometeach/details/?id={other}", f"/admin/hometeach/edit/?id={other}"):
        assert school.get(url).status_code == 404
    assert "周老师" not in school.get("/admin/hometeach/").get_data(as_text=True)


def test_village_user_reads_its_villages_sessions_only(app, client_as, world, taught):
    add_session(app, world.child_a, dt.date(2026, 10, 5))
    add_session(app, world.child_b, dt.date(2026, 10, 6), teacher="周老师")
    village = client_as(Role.VILLAGE)
    listing = village.get("/admin/hometeach/").get_data(as_text=True)
    assert "陈老师" in listing and "周老师" not in listing
    assert village.get(NEW).status_code == 403
    overview = village.get("/admin/hometeach_overview/?month=2026-10").get_data(as_text=True)
    assert "王小明" in overview and "李小红" not in overview


# --- Frequency ------------------------------------------------------------------------------


def dues(app, month=OCTOBER, today=None) -> dict[str, hometeaching.ChildDue]:
    with app.app_context():
        found = hometeaching.sessions_due(db.session, month, today=today)
        return {d.child.name: d for d in found}


def test_past_month_below_the_default_twice_is_flagged(app, world, taught):
    add_session(app, world.child_a, dt.date(2026, 10, 5))
    add_session(app, world.child_a, dt.date(2026, 10, 19))
    add_session(app, world.child_b, dt.date(2026, 10, 6))
    found = dues(app)
    assert (found["王小明"].done, found["王小明"].required, found["王小明"].state) == (
        2,
        2,
        hometeaching.MET,
    )
    assert found["李小红"].flagged and found["李小红"].shortfall == 1
    # 王小强 is not under 送教上门: not listed.
    assert set(found) == {"王小明", "李小红"}


def test_a_changed_setting_changes_the_flag(app, client_as, world, taught):
    add_session(app, world.child_a, dt.date(2026, 10, 5))
    add_session(app, world.child_a, dt.date(2026, 10, 19))
    with app.app_context():
        indicator_id = db.session.scalar(
            select(AssessmentIndicator.id).where(
                AssessmentIndicator.method == IndicatorMethod.ASSISTANCE_COVERAGE
            )
        )
    admin = client_as(Role.ADMIN)
    form = open_form(admin, f"/admin/indicator/edit/?id={indicator_id}")
    assert form.value("param_assistance_coverage_home_teaching_per_month") == "2"
    form.set("param_assistance_coverage_home_teaching_per_month", "3")
    assert form.submit(admin).status_code == 302
    found = dues(app)
    assert found["王小明"].required == 3 and found["王小明"].flagged
    page = client_as(Role.CLERK).get("/admin/hometeach_overview/?month=2026-10")
    html = page.get_data(as_text=True)
    assert '每月应至少送教 <strong id="per-month">3</strong> 次' in html
    assert "未达频次（差1次）" in html


def test_current_month_is_in_progress_until_the_days_left_cannot_make_it_up(app, world, taught):
    november = dt.date(2026, 11, 1)
    add_session(app, world.child_a, dt.date(2026, 11, 3))
    early = dues(app, november, today=dt.date(2026, 11, 10))
    assert early["王小明"].state == hometeaching.IN_PROGRESS
    assert early["李小红"].state == hometeaching.IN_PROGRESS
    assert early["王小明"].state_text == "进行中（还需1次）"
    # On the last day one session still fits, two no longer do.
    last = dues(app, november, today=dt.date(2026, 11, 30))
    assert last["王小明"].state == hometeaching.IN_PROGRESS
    assert last["李小红"].flagged


def test_a_month_partly_under_home_teaching_owes_its_share(app, world, taught):
    with app.app_context():
        child = db.session.get(Child, world.child_b)
        child.status = ChildStatus.ENROLLED
        child.status_effective_on = dt.date(2026, 10, 11)  # 10 of October's 31 days
        db.session.commit()
    found = dues(app)
    assert found["李小红"].required == 1 and found["李小红"].partial
    assert found["王小明"].required == 2
    assert hometeaching.required_for(2, 0, 31) == 0


def test_overview_lists_flagged_children_first(app, client_as, world, taught):
    add_session(app, world.child_a, dt.date(2026, 10, 5))
    add_session(app, world.child_a, dt.date(2026, 10, 19))
    html = client_as(Role.CLERK).get("/admin/hometeach_overview/?month=2026-10")
    text = html.get_data(as_text=True)
    assert text.index("李小红") < text.index("王小明")
    assert "未达频次 <strong>1</strong> 人" in text


def test_future_or_nonsense_months_show_the_current_month(client_as, world, taught):
    clerk = client_as(Role.CLERK)
    assert clerk.get("/admin/hometeach_overview/?month=2099-01").status_code == 200
    assert clerk.get("/admin/hometeach_overview/?month=abc").status_code == 200


# --- The register ---------------------------------------------------------------------------


def register(client, month: str = "2026-10", mask: bool | None = None):
    form = open_form(client, f"/admin/hometeach_overview/?month={month}", action="register")
    if mask is not None:
        form.set("mask", mask)
    return form.submit(client)


def test_register_lists_each_child_with_the_months_sessions(app, client_as, world, taught):
    add_session(app, world.child_a, dt.date(2026, 10, 5), content="识字")
    add_session(app, world.child_a, dt.date(2026, 10, 19), hours="1.5", content="康复训练")
    add_session(app, world.child_b, dt.date(2026, 9, 30))  # September: not on October's
    response = register(client_as(Role.CLERK), mask=False)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = workbook(response.data).worksheets[0]
    headers = headers_of(sheet)
    assert headers[:7] == ["序号", "行政村", "姓名", "身份证号", "就读学校", "残疾类别", "残疾等级"]
    rows = {row[2]: dict(zip(headers, row, strict=False)) for row in rows_of(sheet)}
    xiaohong, xiaoming = rows["李小红"], rows["王小明"]
    assert xiaohong["情况"] == "未达频次" and xiaohong["差额(次)"] == 2
    assert xiaoming["送教次数"] == 2 and xiaoming["合计课时(小时)"] == 3.5
    assert xiaoming["送教记录（日期 教师 课时：内容）"] == (
        "10-05 陈老师 2小时：识字\n10-19 陈老师 1.5小时：康复训练"
    )
    assert xiaoming["应送教次数"] == 2 and xiaoming["差额(次)"] == 0
    assert (xiaoming["残疾类别"], xiaoming["残疾等级"]) == ("肢体", "一级")
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        assert xiaoming["身份证号"] == child.id_number
        record = db.session.scalar(select(ExportRecord))
        assert record.report == "hometeaching" and record.title == "送教上门登记表_2026年10月"
        assert record.row_count == 2 and record.masked is False


def test_register_is_masked_for_leaders_and_by_default(app, client_as, world, taught):
    with app.app_context():
        number = db.session.get(Child, world.child_a).id_number
    for client in (client_as(Role.LEADER), client_as(Role.CLERK)):
        sheet = workbook(register(client).data).worksheets[0]
        ids = [row[3] for row in rows_of(sheet) if row[2] == "王小明"]
        assert ids and number not in ids and ids[0].startswith(number[:6])
    # A leader is offered no box to untick.
    page = client_as(Role.LEADER).get("/admin/hometeach_overview/").get_data(as_text=True)
    assert 'name="mask"' not in page


def test_school_register_holds_its_own_pupils_only(app, client_as, world, taught):
    sheet = workbook(register(client_as(Role.SCHOOL)).data).worksheets[0]
    names = [row[2] for row in rows_of(sheet) if row[2]]
    assert "王小明" in names and "李小红" not in names


def test_reports_screen_points_to_the_register_and_archives_it(app, client_as, world, taught):
    clerk = client_as(Role.CLERK)
    page = clerk.get("/admin/reports/").get_data(as_text=True)
    assert 'href="/admin/hometeach_overview/"' in page
    register(clerk)
    archive = clerk.get("/admin/reports/").get_data(as_text=True)
    assert "送教上门登记表_2026年10月" in archive and "月份：2026年10月" in archive
