"""The children register screen: create, edit, find, delete, and every validation rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from admin_app.choices import ChildStatus, OutOfSchoolReason, Role, Sex
from admin_app.extensions import db
from admin_app.models import AuditLog, Child, ChildStatusChange
from admin_app.util.dates import local_today
from tests.factories import make_id_number
from tests.forms import forms_of
from tests.helpers import NEW_CHILD, field_errors, new_child_values, submit, view_of


def edit_url(child_id: int) -> str:
    return f"/admin/child/edit/?id={child_id}"


def child_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Child.id)))


def test_clerk_creates_child_with_birth_date_and_sex_from_id_number(app, client_as, world):
    clerk = client_as(Role.CLERK)
    number = make_id_number(dt.date(2015, 6, 1), Sex.FEMALE)
    response = submit(clerk, NEW_CHILD, new_child_values(world, id_number=number))
    assert response.status_code == 302
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.id_number == number))
        assert child.birth_date == dt.date(2015, 6, 1)
        assert child.sex == Sex.FEMALE
        history = child.status_changes
        assert [(h.from_status, h.to_status) for h in history] == [(None, ChildStatus.ENROLLED)]
        assert history[0].changed_by.username == "clerk"


def test_id_number_typed_with_full_width_digits_and_lowercase_x_is_normalised(
    app, client_as, world
):
    number = make_id_number(dt.date(2015, 6, 1))
    while not number.endswith("X"):
        number = make_id_number(dt.date(2015, 6, 1))
    typed = " ".join([number[:6], number[6:14], number[14:].lower()])
    typed = typed.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = submit(client_as(Role.CLERK), NEW_CHILD, new_child_values(world, id_number=typed))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Child.id).where(Child.id_number == number))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id_number": "430121201506010151"}, "id_number", "身份证号校验码错误"),
        ({"id_number": "43012120150601015"}, "id_number", "身份证号应为18位"),
        ({"id_number": "430121201513010150"}, "id_number", "校验码错误"),
        ({"birth_date": "2015-06-02"}, "birth_date", "出生日期与身份证号不一致"),
        ({"sex": "M"}, "sex", "性别与身份证号不一致"),
        ({"stage": "primary", "grade": 8}, "grade", "小学学段的年级应为1–6年级"),
        ({"stage": "junior", "grade": 3}, "grade", "初中学段的年级应为7–9年级"),
        ({"guardian_phone": "1234567"}, "guardian_phone", "电话号码应为11位手机号"),
        ({"status": "dropout"}, "status_reason", "须选择原因"),
        ({"status": "not_enrolled", "status_reason": "other"}, "status_note", "须写明具体情况"),
        ({"id_number": "", "no_id_reason": ""}, "no_id_reason", "无证原因"),
        ({"school": ""}, "school", "须选择就读学校"),
    ],
)
def test_bad_child_input_is_refused_at_the_field_and_nothing_is_saved(
    app, client_as, world, changes, field, message
):
    before = child_count(app)
    values = new_child_values(world, **changes)
    response = submit(client_as(Role.CLERK), NEW_CHILD, values)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any(message in error for error in field_errors(response)), field_errors(response)
    # The message stands next to its field: the field is marked invalid.
    assert (
        f'id="{field}"' in html
        and "is-invalid"
        in html.split(f'id="{field}"')[0][-300:] + (html.split(f'id="{field}"')[1][:300])
    )
    # What the clerk typed is still there.
    assert 'value="赵小刚"' in html
    assert child_count(app) == before


def test_check_digit_of_a_real_looking_number_is_refused(app, client_as, world):
    good = make_id_number(dt.date(2015, 6, 1))
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = submit(client_as(Role.CLERK), NEW_CHILD, new_child_values(world, id_number=bad))
    assert "身份证号校验码错误，请逐位核对" in field_errors(response)


def test_duplicate_id_number_names_the_village_that_holds_it(app, client_as, world):
    with app.app_context():
        existing = db.session.get(Child, world.child_b).id_number
    before = child_count(app)
    response = submit(client_as(Role.CLERK), NEW_CHILD, new_child_values(world, id_number=existing))
    assert any("已登记在新华村" in e for e in field_errors(response))
    assert child_count(app) == before


def test_future_birth_date_and_age_out_of_range_are_refused(app, client_as, world):
    tomorrow = local_today() + dt.timedelta(days=2)
    response = submit(
        client_as(Role.CLERK),
        NEW_CHILD,
        new_child_values(world, id_number="", no_id_reason="未落户", birth_date=tomorrow, sex="M"),
    )
    assert "出生日期不能晚于今天" in field_errors(response)
    response = submit(
        client_as(Role.CLERK),
        NEW_CHILD,
        new_child_values(
            world, id_number="", no_id_reason="未落户", birth_date="1990-01-01", sex="M"
        ),
    )
    assert any("超出登记范围" in e for e in field_errors(response))


def test_child_without_id_number_is_saved_with_a_reason(app, client_as, world):
    response = submit(
        client_as(Role.CLERK),
        NEW_CHILD,
        new_child_values(
            world, id_number="", no_id_reason="未落户", birth_date="2016-02-03", sex="F"
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.no_id_reason == "未落户"))
        assert child.id_number is None


def test_household_of_another_village_is_refused(app, client_as, world):
    response = submit(
        client_as(Role.CLERK), NEW_CHILD, new_child_values(world, household=world.household_b)
    )
    assert "所选家庭户不属于该行政村" in field_errors(response)


def test_status_change_on_edit_writes_history_with_date_reason_and_actor(app, client_as, world):
    clerk = client_as(Role.CLERK)
    response = submit(
        clerk,
        edit_url(world.child_a),
        {
            "status": "dropout",
            "status_reason": "poverty",
            "status_effective_on": "2026-03-10",
            "school": world.school_a,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        child = db.session.get(Child, world.child_a)
        assert child.status == ChildStatus.DROPOUT
        last = child.status_changes[-1]
        assert (last.from_status, last.to_status) == (ChildStatus.ENROLLED, ChildStatus.DROPOUT)
        assert last.effective_on == dt.date(2026, 3, 10)
        assert last.reason == OutOfSchoolReason.POVERTY
        assert last.changed_by.username == "clerk"
        audit = db.session.scalar(
            select(AuditLog).where(AuditLog.table_name == "child", AuditLog.action == "update")
        )
        assert audit.before["status"] == "enrolled"
        assert audit.after["status"] == "dropout"
        assert audit.username == "clerk"


def test_edit_without_status_change_writes_no_history(app, client_as, world):
    response = submit(client_as(Role.CLERK), edit_url(world.child_a), {"class_name": "3班"})
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(ChildStatusChange.id)).where(
                    ChildStatusChange.child_id == world.child_a
                )
            )
            == 1
        )


def test_edit_keeps_typed_values_when_refused(app, client_as, world):
    response = submit(
        client_as(Role.CLERK), edit_url(world.child_a), {"name": "王小明改", "grade": 12}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="王小明改"' in html
    assert "年级应在1–9之间" in field_errors(response)
    with app.app_context():
        assert db.session.get(Child, world.child_a).name == "王小明"


def test_clerk_deletes_child(app, client_as, world):
    clerk = client_as(Role.CLERK)
    [row_delete] = [
        form
        for form in forms_of(clerk.get("/admin/child/"), "/admin/child/")
        if "/delete/" in form.action and form.value("id") == str(world.child_a)
    ]
    response = row_delete.submit(clerk)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Child, world.child_a) is None
        deleted = db.session.scalar(select(AuditLog).where(AuditLog.action == "delete"))
        assert deleted.before["name"] == "王小明"


def test_search_by_exact_id_number_and_name_prefix(app, client_as, world):
    clerk = client_as(Role.CLERK)
    with app.app_context():
        number = db.session.get(Child, world.child_b).id_number
    html = clerk.get(f"/admin/child/?search={number}").get_data(as_text=True)
    assert "李小红" in html and "王小明" not in html
    html = clerk.get("/admin/child/?search=王小").get_data(as_text=True)
    assert "王小明" in html and "李小红" not in html
    # A prefix, not a substring: "小明" does not find 王小明.
    html = clerk.get("/admin/child/?search=小明").get_data(as_text=True)
    assert "王小明" not in html


def test_filters_by_village_status_and_key_group(app, client_as, world):
    clerk = client_as(Role.CLERK)
    view = view_of(app, "child")
    with app.test_request_context():
        village_arg = view.filter_arg("行政村")
        status_arg = view.filter_arg("就学状态")
        group_arg = view.filter_arg("重点群体")
    html = clerk.get(f"/admin/child/?{village_arg}={world.village_b}").get_data(as_text=True)
    assert "李小红" in html and "王小明" not in html
    html = clerk.get(f"/admin/child/?{status_arg}=dropout").get_data(as_text=True)
    assert "李小红" not in html and "王小明" not in html
    with app.app_context():
        db.session.get(Child, world.child_a).is_left_behind = True
        db.session.commit()
    html = clerk.get(f"/admin/child/?{group_arg}=is_left_behind").get_data(as_text=True)
    assert "王小明" in html and "李小红" not in html


def test_list_page_size_choice(app, client_as, world):
    html = client_as(Role.CLERK).get("/admin/child/?page_size=50").get_data(as_text=True)
    assert "王小明" in html


def test_details_page_shows_the_status_history(app, client_as, world):
    clerk = client_as(Role.CLERK)
    submit(
        clerk,
        edit_url(world.child_a),
        {"status": "dropout", "status_reason": "work", "status_effective_on": "2026-03-10"},
    )
    html = clerk.get(f"/admin/child/details/?id={world.child_a}").get_data(as_text=True)
    assert "状态变更记录" in html
    assert "2025-09-01 在校就读" in html
    assert "2026-03-10 在校就读→辍学（外出务工）" in html
