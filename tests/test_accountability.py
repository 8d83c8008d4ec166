"""问责记录: CRUD by inspectors and admins; 生成问责建议 proposals confirmed or discarded."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from admin_app.choices import AccountabilityStatus, AgreementLine, Role
from admin_app.extensions import db
from admin_app.models import Accountability
from admin_app.util.dates import local_today
from tests.forms import open_form
from tests.helpers import (
    field_errors,
    forge_entry,
    row_delete_form,
    seed_report_data,
    submit,
    tick_only,
)


@pytest.fixture
def data(app, world):
    return seed_report_data(app, world)


def record_values(data, world, **changes):
    values = {
        "period": data["period"],
        "village": world.village_a,
        "person": "刘主任",
        "line": "government",
        "position": "村委会主任",
        "problem": "控辍案件逾期未办结1件",
        "action": "interview",
        "status": "proposed",
    }
    values.update(changes)
    return values


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Accountability.id)))


def test_inspector_records_edits_and_deletes_accountability(app, client_as, world, data):
    inspector = client_as(Role.INSPECTOR)
    response = submit(inspector, "/admin/accountability/new/", record_values(data, world))
    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(Accountability))
        assert record.line == AgreementLine.GOVERNMENT and record.person == "刘主任"
        record_id = record.id
    response = submit(
        inspector,
        f"/admin/accountability/edit/?id={record_id}",
        {"status": "decided", "decided_on": "2026-06-01", "decided_by": "乡纪委"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Accountability, record_id).status == AccountabilityStatus.DECIDED
    assert "刘主任" in inspector.get("/admin/accountability/?search=刘").get_data(as_text=True)
    assert (
        row_delete_form(inspector, "/admin/accountability/", record_id)
        .submit(inspector)
        .status_code
        == 302
    )
    assert count(app) == 0


def test_accountability_rules_keep_the_typing(app, client_as, world, data):
    inspector = client_as(Role.INSPECTOR)
    future = (local_today() + dt.timedelta(days=30)).isoformat()
    cases = [
        ({"decided_on": future}, "决定日期不能晚于今天"),
        ({"status": "decided"}, "已问责、已整改的记录须填写决定日期"),
        ({"person": "  "}, "请填写被问责人"),
    ]
    for changes, message in cases:
        response = submit(
            inspector,
            "/admin/accountability/new/",
            record_values(data, world, problem="台账不全", **changes),
        )
        assert response.status_code == 200, changes
        assert message in field_errors(response), (changes, field_errors(response))
        assert "台账不全" in response.get_data(as_text=True)  # what was typed stays
    assert count(app) == 0


def test_who_may_read_and_write_accountability(app, client_as, world, data):
    inspector = client_as(Role.INSPECTOR)
    submit(inspector, "/admin/accountability/new/", record_values(data, world))
    submit(
        inspector,
        "/admin/accountability/new/",
        record_values(data, world, village=world.village_b, person="赵主任"),
    )
    assert count(app) == 2
    for role in (Role.CLERK, Role.LEADER):
        client = client_as(role)
        assert client.get("/admin/accountability/").status_code == 200
        assert client.get("/admin/accountability/new/").status_code == 403
        assert client.get("/admin/accountability/propose/").status_code == 403
    village = client_as(Role.VILLAGE)
    html = village.get("/admin/accountability/").get_data(as_text=True)
    assert "刘主任" in html and "赵主任" not in html  # their own village only
    assert client_as(Role.SCHOOL).get("/admin/accountability/").status_code == 403


def proposal_rows(html: str) -> list[tuple[str, str]]:
    """(key, village, person and text of the row) for every proposal still to confirm.

    The village and the person (with post and line) head the groups above the rows."""
    rows = re.findall(r"<tr([^>]*)>(.*?)</tr>", html, re.S)
    found = []
    village = person = ""
    for attrs, row in rows:
        text = re.sub(r"<[^>]+>", " ", row)
        if "village-row" in attrs:
            village = text.split("（")[0].strip()
        if "person-row" in attrs:
            person = re.sub(r"全选|全不选|\d+条待确认", " ", text)
        key = re.search(r'name="confirm" value="([^"]+)"', row)
        if key:
            found.append((key.group(1), f"{village} {person} {text}"))
    return found


def propose_form(client, period: int):
    """The proposals page's form, as the page offers it: nothing ticked."""
    url = f"/admin/accountability/propose/?period={period}"
    return open_form(client, url, action="/propose/")


def test_proposals_name_both_lines_and_are_confirmed_or_discarded(app, client_as, data):
    inspector = client_as(Role.INSPECTOR)
    page = inspector.get(f"/admin/accountability/propose/?period={data['period']}")
    assert page.status_code == 200
    rows = proposal_rows(page.get_data(as_text=True))
    texts = [text for _, text in rows]
    # 新华村: overdue case → 赵主任 (government line) and 周校长 (school line) …
    assert any("赵主任" in t and "逾期" in t and "政府线" in t for t in texts)
    assert any("周校长" in t and "逾期" in t and "学校线" in t for t in texts)
    # … and its 乡—村 agreement is unsigned → 责令整改 on the government line.
    assert any("赵主任" in t and "未签订" in t and "责令整改" in t for t in texts)
    assert not any("未签订" in t and "联合村" in t for t in texts)

    keep = [key for key, text in rows if "周校长" in text and "逾期" in text]
    form = propose_form(inspector, data["period"])
    ticked = [value for name, value in form.pairs() if name == "confirm"]
    assert ticked == []  # nothing is ticked to start with
    tick_only(form, "confirm", keep)  # the inspector unticks all but one
    response = form.submit(inspector, follow_redirects=True)
    assert response.status_code == 200
    assert f"已确认 {len(keep)} 条" in response.get_data(as_text=True)
    assert f"放弃 {len(rows) - len(keep)} 条" in response.get_data(as_text=True)
    with app.app_context():
        saved = db.session.scalars(select(Accountability)).all()
        assert [(r.person, r.line, r.status) for r in saved] == [
            ("周校长", AgreementLine.SCHOOL, AccountabilityStatus.PROPOSED)
        ]
        assert saved[0].position == "新华小学校长" and "逾期" in saved[0].problem
    # The confirmed one is now 已登记; the discarded ones are offered again, never saved.
    again = inspector.get(f"/admin/accountability/propose/?period={data['period']}")
    html = again.get_data(as_text=True)
    assert "已登记" in html
    assert len(proposal_rows(html)) == len(rows) - 1
    # Sending the same page again (the back button) does not save it twice.
    form.submit(inspector)
    assert count(app) == 1


def test_proposals_refuse_forgeries_and_bad_input(app, client_as, data):
    inspector = client_as(Role.INSPECTOR)
    form = propose_form(inspector, data["period"]).remove("csrf_token")
    assert form.submit(inspector).status_code == 400
    assert count(app) == 0
    form = tick_only(propose_form(inspector, data["period"]), "confirm", [])
    forge_entry(form, "confirm", "999-made-up-0")
    forge_entry(form, "confirm", "x")
    assert form.submit(inspector).status_code == 302
    assert count(app) == 0  # only what the data supports can be saved
    # The control: the page's own proposals, all ticked, are saved.
    rows = proposal_rows(inspector.get(form.page_url).get_data(as_text=True))
    form = tick_only(propose_form(inspector, data["period"]), "confirm", [k for k, _ in rows])
    assert form.submit(inspector).status_code == 302
    assert count(app) == len(rows) > 0
    assert inspector.get("/admin/accountability/propose/?period=abc").status_code == 200
    missing = inspector.get("/admin/accountability/propose/?period=99999")
    assert missing.status_code == 302


def test_confirmed_proposals_appear_in_the_accountability_sheet(app, client_as, data):
    from tests.helpers import by_header, issue
    from tests.xlsx_helpers import workbook

    inspector = client_as(Role.INSPECTOR)
    url = f"/admin/accountability/propose/?period={data['period']}"
    rows = proposal_rows(inspector.get(url).get_data(as_text=True))
    keep = [key for key, text in rows if "赵主任" in text and "责令整改" in text]
    tick_only(propose_form(inspector, data["period"]), "confirm", keep).submit(inspector)
    sheet = workbook(issue(inspector, "accountability", data["period"]).data).worksheets[0]
    lines = {row["行政村"]: row for row in by_header(sheet)}
    assert "赵主任：责令整改（拟问责）" in lines["新华村"]["问责措施"]
    assert lines["新华村"]["问责记录(条)"] == 1 and lines["联合村"]["问责记录(条)"] == 0


def test_proposals_are_grouped_by_village_and_person_and_none_is_ticked(app, client_as, data):
    inspector = client_as(Role.INSPECTOR)
    url = f"/admin/accountability/propose/?period={data['period']}"
    html = inspector.get(url).get_data(as_text=True)
    rows = proposal_rows(html)
    # One heading per village, one per person of it, each with 全选 and 全不选 for its boxes.
    villages = re.findall(r'<tr class="table-info village-row" data-group="(v\d+)">', html)
    assert len(villages) == len(set(villages)) >= 1
    for key in villages:
        assert f'data-check-group=".{key}" data-check-to="1">全选' in html
        assert f'data-check-group=".{key}" data-check-to="0">全不选' in html
    persons = re.findall(r'<tr class="person-row" data-group="(v\d+p\d+)">(.*?)</tr>', html, re.S)
    zhao = [key for key, text in persons if "赵主任" in text]
    assert len(zhao) == 1  # 赵主任 heads one group, not a row per finding
    boxes = re.findall(
        r'<input type="checkbox" class="([^"]+)" name="confirm" value="([^"]+)"', html
    )
    in_group = [value for classes, value in boxes if zhao[0] in classes.split()]
    assert len(in_group) >= 2 and all("赵主任" in t for k, t in rows if k in in_group)
    assert " checked" not in "".join(
        re.findall(r'<input type="checkbox"[^>]*name="confirm"[^>]*>', html)
    )
    # The button says how many records it creates, counted as boxes are ticked (panel.js).
    assert 'data-confirm-template="将登记 {n} 条“拟问责”记录，确定吗？"' in html
    # Nothing ticked: nothing saved, and the message says so.
    response = propose_form(inspector, data["period"]).submit(inspector, follow_redirects=True)
    assert "未勾选任何建议，未登记问责记录。" in response.get_data(as_text=True)
    assert count(app) == 0
    # One person's group ticked: exactly their records.
    form = tick_only(propose_form(inspector, data["period"]), "confirm", in_group)
    response = form.submit(inspector, follow_redirects=True)
    assert f"已确认 {len(in_group)} 条" in response.get_data(as_text=True)
    with app.app_context():
        assert {r.person for r in db.session.scalars(select(Accountability))} == {"赵主任"}
