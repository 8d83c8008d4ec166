"""月报/学期报 上报: a frozen snapshot, 填报 → 审核 → 上报 by the right roles, locking,
corrections as new versions, the signed workbook, and the 县教育局 reading only 已上报."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text

from admin_app import create_app
from admin_app.choices import ChildStatus, OutOfSchoolReason, ReportKind, Role, SubmissionStatus
from admin_app.extensions import db
from admin_app.models import Child, ReportSubmission, Township
from admin_app.reports import submissions as subs
from admin_app.util.dates import local_today
from tests import conftest, factories
from tests.forms import form_of, open_form
from tests.helpers import session_token
from tests.test_chinese_ui import english_on
from tests.xlsx_helpers import workbook

LIST = "/admin/submission/"
#: Last month's 月报: its 28th has passed whatever day the tests run.
PERIOD = subs.recent_periods(ReportKind.MONTHLY, local_today())[1]
IN_PERIOD = PERIOD.default_as_of - dt.timedelta(days=3)


def generate(client, period: str = PERIOD.code, kind: str = "monthly", as_of: str = ""):
    form = open_form(client, LIST, action="/new")
    return form.update({"kind": kind, "period": period, "as_of": as_of}).submit(client)


def only_report(app) -> ReportSubmission:
    with app.app_context():
        rows = db.session.scalars(select(ReportSubmission).order_by(ReportSubmission.id)).all()
        assert len(rows) == 1, rows
        return rows[0]


def reports(app) -> list[ReportSubmission]:
    with app.app_context():
        return list(
            db.session.scalars(select(ReportSubmission).order_by(ReportSubmission.revision))
        )


def make_dropout(app, child_id: int, on: dt.date) -> None:
    with app.app_context():
        child = db.session.get(Child, child_id)
        child.status = ChildStatus.DROPOUT
        child.status_reason = OutOfSchoolReason.WORK
        child.status_effective_on = on
        db.session.commit()


def step(client, sub_id: int, name: str, reason: str | None = None):
    form = open_form(client, f"{LIST}{sub_id}", action=f"/step/{name}")
    if reason is not None:
        form.set("reason", reason)
    return form.submit(client)


def post_step(client, sub_id: int, name: str):
    """A step posted with a valid token by someone whose page shows no such button."""
    return client.post(f"{LIST}{sub_id}/step/{name}", data={"csrf_token": session_token(client)})


@pytest.fixture
def prepared(app, world, client_as):
    """Last month's 月报 prepared by the clerk; 李小红 dropped out in the period before it."""
    make_dropout(app, world.child_b, IN_PERIOD)
    clerk = client_as(Role.CLERK)
    response = generate(clerk)
    assert response.status_code == 302, response.get_data(as_text=True)
    return only_report(app).id


def submitted(client_as, sub_id: int) -> None:
    leader = client_as(Role.LEADER)
    assert step(leader, sub_id, "review").status_code == 302
    assert step(leader, sub_id, "submit").status_code == 302


# --- 填报: the snapshot ----------------------------------------------------------------------


def test_generating_freezes_the_figures_and_registers_as_of_its_date(
    app, world, client_as, prepared
):
    sub = only_report(app)
    assert sub.status == SubmissionStatus.PREPARED
    assert sub.as_of == PERIOD.default_as_of and sub.revision == 1
    assert sub.prepared_by_name == "测试乡镇工作人员" and sub.prepared_at is not None
    snap = subs.load(sub)
    assert snap["figures"]["total"]["due"] == 2
    assert snap["figures"]["total"]["new_dropouts"] == 1
    assert [r["name"] for r in snap["registers"]["dropouts"]] == ["李小红"]
    assert snap["registers"]["dropouts"][0]["new_in_period"] == "是"
    assert {r["name"] for r in snap["registers"]["children"]} == {"王小明", "李小红"}
    assert [v["name"] for v in snap["figures"]["villages"]] == ["联合村", "新华村"]
    assert snap["movements"]["new_dropouts"][0]["village"] == "新华村"

    # 王小明 drops out too, dated inside the period: the stored report does not move.
    make_dropout(app, world.child_a, IN_PERIOD)
    clerk = client_as(Role.CLERK)
    page = clerk.get(f"{LIST}{sub.id}").get_data(as_text=True)
    assert "辍学台账（1人）" in page and "本期新增辍学（1人）" in page
    assert subs.load(only_report(app))["figures"]["total"]["new_dropouts"] == 1
    with app.app_context():
        township = db.session.get(Township, sub.township_id)
        fresh = subs.build_snapshot(db.session, township, PERIOD, PERIOD.default_as_of)
    assert fresh["figures"]["total"]["new_dropouts"] == 2  # what recomputing would say
    # The workbook is written from the stored snapshot too.
    book = workbook(clerk.get(f"{LIST}{sub.id}/download").data)
    names = {c for row in book["辍学台账"].iter_rows(values_only=True) for c in row}
    assert "李小红" in names and "王小明" not in names


def test_one_report_per_period_and_bad_input_is_refused_in_chinese(app, world, client_as, prepared):
    clerk = client_as(Role.CLERK)
    again = generate(clerk)
    assert again.status_code == 200
    assert "已有第1版（已填报），请在该报表的详情页操作" in again.get_data(as_text=True)
    early = generate(
        clerk,
        period=subs.recent_periods(ReportKind.MONTHLY, local_today())[2].code,
        as_of="2001-01-01",
    )
    assert "数据截至日期不能早于本期统计起始日" in early.get_data(as_text=True)
    wrong_kind = generate(clerk, kind="term")
    assert "所选报送期不是学期报的报送期" in wrong_kind.get_data(as_text=True)
    form = open_form(clerk, LIST, action="/new").update({"period": PERIOD.code})
    form.set("as_of", "2026-13-45")
    bad = form.submit(clerk)
    assert bad.status_code == 200 and "日期格式应为" in bad.get_data(as_text=True)
    assert len(reports(app)) == 1


def test_a_term_report_defaults_to_its_statistics_day(app, world, client_as):
    term = subs.recent_periods(ReportKind.TERM, local_today())[0]
    clerk = client_as(Role.CLERK)
    response = generate(clerk, kind="term", period=term.code)
    assert response.status_code == 302
    sub = only_report(app)
    assert sub.kind == ReportKind.TERM and sub.period_label.endswith("学期")
    assert sub.as_of == min(term.default_as_of, local_today())
    assert sub.as_of.month in (3, 9) or sub.as_of == local_today()


def test_generating_needs_the_csrf_token(app, world, client_as):
    clerk = client_as(Role.CLERK)
    form = open_form(clerk, LIST, action="/new").update({"period": PERIOD.code})
    form.remove("csrf_token")
    response = form.submit(clerk)
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert reports(app) == []


# --- 审核 and 上报 by the right roles ------------------------------------------------------------


def test_only_clerks_and_admins_prepare(app, world, client_as):
    for role in (Role.LEADER, Role.INSPECTOR, Role.COUNTY):
        client = client_as(role)
        assert "generate-form" not in client.get(LIST).get_data(as_text=True)
        response = client.post(
            f"{LIST}new",
            data={"csrf_token": session_token(client), "kind": "monthly", "period": PERIOD.code},
        )
        assert response.status_code == 403, role
    assert reports(app) == []


def test_the_leader_reviews_and_submits_others_are_refused(app, world, client_as, prepared):
    for role in (Role.CLERK, Role.ADMIN, Role.INSPECTOR):
        assert post_step(client_as(role), prepared, "review").status_code == 403, role
    assert only_report(app).status == SubmissionStatus.PREPARED
    leader = client_as(Role.LEADER)
    page = leader.get(f"{LIST}{prepared}").get_data(as_text=True)
    assert "审核通过" in page and "重新填报" not in page
    assert step(leader, prepared, "review").status_code == 302
    sub = only_report(app)
    assert sub.status == SubmissionStatus.REVIEWED and sub.reviewed_by_name == "测试乡领导"
    for role in (Role.CLERK, Role.INSPECTOR):
        assert post_step(client_as(role), prepared, "submit").status_code == 403, role
    assert step(leader, prepared, "submit").status_code == 302
    sub = only_report(app)
    assert sub.status == SubmissionStatus.SUBMITTED and sub.submitted_at is not None
    assert [s["step"] for s in sub.steps] == ["填报", "审核", "上报"]


def test_the_admin_may_submit_a_reviewed_report_but_not_an_unreviewed_one(
    app, world, client_as, prepared
):
    admin = client_as(Role.ADMIN)
    refused = post_step(admin, prepared, "submit")
    assert "须先经乡领导审核" in refused.get_data(as_text=True)
    assert only_report(app).status == SubmissionStatus.PREPARED
    step(client_as(Role.LEADER), prepared, "review")
    assert step(admin, prepared, "submit").status_code == 302
    assert only_report(app).submitted_by_name == "测试系统管理员"


def test_sending_back_needs_a_reason_and_the_clerk_prepares_again(app, world, client_as, prepared):
    leader = client_as(Role.LEADER)
    missing = step(leader, prepared, "return", reason="  ")
    assert "请填写退回原因" in missing.get_data(as_text=True)
    assert only_report(app).status == SubmissionStatus.PREPARED
    assert step(leader, prepared, "return", reason="新华村人数有误").status_code == 302
    assert only_report(app).status == SubmissionStatus.RETURNED
    clerk = client_as(Role.CLERK)
    assert "新华村人数有误" in clerk.get(f"{LIST}{prepared}").get_data(as_text=True)
    assert step(clerk, prepared, "edit").status_code == 302
    sub = only_report(app)
    assert sub.status == SubmissionStatus.PREPARED
    assert [s["step"] for s in sub.steps] == ["填报", "退回", "重新填报"]


# --- locking and corrections ------------------------------------------------------------------


def test_a_submitted_report_is_locked(app, world, client_as, prepared):
    submitted(client_as, prepared)
    before = only_report(app)
    clerk = client_as(Role.CLERK)
    page = clerk.get(f"{LIST}{prepared}").get_data(as_text=True)
    assert "重新填报" not in page and "step-delete" not in page and "更正（生成新版本）" in page
    for name, words in (("edit", "不能重新填报"), ("delete", "不能删除")):
        response = post_step(clerk, prepared, name)
        assert response.status_code == 200
        assert words in response.get_data(as_text=True)
    after = only_report(app)
    assert after.snapshot == before.snapshot and after.status == SubmissionStatus.SUBMITTED


def test_a_correction_is_a_new_version_with_its_reason_the_old_kept(
    app, world, client_as, prepared
):
    submitted(client_as, prepared)
    old_snapshot = only_report(app).snapshot
    clerk = client_as(Role.CLERK)
    missing = step(clerk, prepared, "correct", reason="")
    assert "请填写更正原因" in missing.get_data(as_text=True)
    assert len(reports(app)) == 1
    make_dropout(app, world.child_a, IN_PERIOD)  # found late: the reason for correcting
    response = step(clerk, prepared, "correct", reason="补报联合村王小明辍学")
    assert response.status_code == 302
    v1, v2 = reports(app)
    assert (v1.revision, v1.status) == (1, SubmissionStatus.SUPERSEDED)
    assert v1.snapshot == old_snapshot and v1.submitted_by_name == "测试乡领导"
    assert (v2.revision, v2.status, v2.supersedes_id) == (2, SubmissionStatus.PREPARED, v1.id)
    assert v2.correction_reason == "补报联合村王小明辍学"
    assert subs.load(v2)["figures"]["total"]["new_dropouts"] == 2
    page = clerk.get(f"{LIST}{v2.id}").get_data(as_text=True)
    assert "更正原因：补报联合村王小明辍学" in page
    submitted(client_as, v2.id)
    assert reports(app)[1].status == SubmissionStatus.SUBMITTED


def test_the_workbook_carries_the_sign_off_block(app, world, client_as, prepared):
    submitted(client_as, prepared)
    clerk = client_as(Role.CLERK)
    step(clerk, prepared, "correct", reason="补报辍学")
    v2 = reports(app)[1]
    submitted(client_as, v2.id)
    leader = client_as(Role.LEADER)
    response = leader.get(f"{LIST}{v2.id}/download")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = workbook(response.data)
    assert book.sheetnames[:3] == ["汇总", "本期新增辍学", "本期劝返复学"]
    assert "适龄儿童台账" in book.sheetnames
    texts = [
        str(c) for row in book["辍学台账"].iter_rows(values_only=True) for c in row if c is not None
    ]
    block = next(t for t in texts if t.startswith("填报人："))
    assert "填报人：测试乡镇工作人员" in block
    assert "审核人：测试乡领导" in block and "上报人：测试乡领导" in block
    assert "第2版" in block and "更正原因：补报辍学" in block
    assert "李小红" in texts
    sheet = book["辍学台账"]
    assert sheet.freeze_panes == "E6"
    assert sheet.page_setup.orientation == "landscape"
    # The leader reads ID numbers masked, in the file as on the page.
    ids = [t for t in texts if t.startswith("430121")]
    assert ids and all("*" in t for t in ids)
    clerk_book = workbook(clerk.get(f"{LIST}{v2.id}/download").data)
    clerk_ids = [
        c
        for row in clerk_book["辍学台账"].iter_rows(values_only=True)
        for c in row
        if isinstance(c, str) and c.startswith("430121")
    ]
    assert clerk_ids and all("*" not in t for t in clerk_ids)


# --- who sees what -----------------------------------------------------------------------------


def test_the_county_reads_only_submitted_reports(app, world, client_as, prepared):
    county = client_as(Role.COUNTY)
    assert "暂无报表" in county.get(LIST).get_data(as_text=True)
    assert county.get(f"{LIST}{prepared}").status_code == 404
    assert county.get(f"{LIST}{prepared}/download").status_code == 404
    submitted(client_as, prepared)
    clerk = client_as(Role.CLERK)
    step(clerk, prepared, "correct", reason="补报")  # v2: a draft the county must not see
    listing = county.get(LIST).get_data(as_text=True)
    assert "第1版" in listing and "第2版" not in listing and "已更正" in listing
    v2 = reports(app)[1]
    assert county.get(f"{LIST}{v2.id}").status_code == 404
    page = county.get(f"{LIST}{prepared}").get_data(as_text=True)
    assert "submission-steps" not in page and "generate-form" not in page
    assert county.get(f"{LIST}{prepared}/download").status_code == 200
    for name in ("review", "submit", "correct", "edit", "delete"):
        assert post_step(county, prepared, name).status_code == 403, name


@pytest.mark.parametrize("role", [Role.VILLAGE, Role.SCHOOL])
def test_villages_and_schools_have_no_such_screen(app, world, client_as, prepared, role):
    client = client_as(role)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{prepared}").status_code == 403
    assert client.get(f"{LIST}{prepared}/download").status_code == 403


def test_the_list_filters_by_kind_and_status(app, world, client_as, prepared):
    clerk = client_as(Role.CLERK)
    assert PERIOD.label in clerk.get(f"{LIST}?kind=monthly").get_data(as_text=True)
    assert "暂无报表" in clerk.get(f"{LIST}?kind=term").get_data(as_text=True)
    assert "暂无报表" in clerk.get(f"{LIST}?status=submitted").get_data(as_text=True)
    assert PERIOD.label in clerk.get(f"{LIST}?status=prepared").get_data(as_text=True)
    assert PERIOD.label in clerk.get(f"{LIST}?kind=bogus&status=x").get_data(as_text=True)


def test_a_draft_may_be_deleted_and_a_correction_draft_restores_the_submitted_one(
    app, world, client_as, prepared
):
    submitted(client_as, prepared)
    clerk = client_as(Role.CLERK)
    step(clerk, prepared, "correct", reason="补报")
    v2 = reports(app)[1]
    response = step(clerk, v2.id, "delete")
    assert response.status_code == 302
    (v1,) = reports(app)
    assert v1.status == SubmissionStatus.SUBMITTED
    assert form_of(clerk.get(f"{LIST}{v1.id}"), action="/step/correct") is not None


def test_the_migrations_admit_the_county_role_and_its_reports(tmp_path):
    """init-db builds the schema by the migrations: a 县教育局 account and a report fit it."""
    uri = conftest.TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    conftest.reset_postgres_schema_flag()
    try:
        assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
        with app.app_context():
            checks = inspect(db.engine).get_check_constraints("user_account")
            role_check = next(
                c["sqltext"] for c in checks if c["name"] == "ck_user_account_user_role"
            )
            assert "'county'" in role_check
            county = factories.make_user(Role.COUNTY, username="county_x")
            clerk = factories.make_user(Role.CLERK, username="clerk_x")
            township = factories.make_township()
            factories.make_child(village=factories.make_village(township))
            sub = subs.prepare(db.session, clerk, township, ReportKind.MONTHLY, PERIOD.code)
            db.session.commit()
            assert county.id and sub.id
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()


def test_the_pages_speak_chinese_to_every_reader(app, world, client_as, prepared):
    refused = step(client_as(Role.LEADER), prepared, "return", reason="")
    assert english_on(refused.get_data(as_text=True)) == set()
    step(client_as(Role.LEADER), prepared, "return", reason="请核对")
    for role in (Role.ADMIN, Role.CLERK, Role.LEADER, Role.INSPECTOR):
        client = client_as(role)
        for url in (LIST, f"{LIST}{prepared}"):
            assert english_on(client.get(url).get_data(as_text=True)) == set(), (role, url)


def test_a_tampered_township_or_kind_is_refused_in_chinese(app, world, client_as):
    clerk = client_as(Role.CLERK)
    for field, value, words in (
        ("township", "99999999999999999999", "请选择乡镇"),
        ("kind", "weekly", "请选择报表类型"),
    ):
        form = open_form(clerk, LIST, action="/new").update({"period": PERIOD.code})
        data = {**form.values(), field: value}
        response = clerk.post(f"{LIST}new", data=data)
        assert response.status_code == 200, field
        assert words in response.get_data(as_text=True), field
    assert reports(app) == []
