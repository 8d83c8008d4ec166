"""Every register's create and edit form saves in a real browser, for the role that keeps it.

For each register the role that does the job in reality creates a record through the
create form (related records picked by typing into the select2 pickers, every date
typed), sees it in the list or on its details page, edits it, deletes it from the
list (accepting the confirmation), and submits one invalid form: the Chinese message
stands at the field, the typed values stay, and nothing is saved.

Each test makes its own records with a unique tag, so tests do not depend on each
other's order on the session's shared demo database. Related records are taken from
the demo data (deterministic: ``seed-demo`` with its default seed).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import quote

from selenium.webdriver.common.by import By
from stdnum.cn import ric

from admin_app.util.dates import local_today
from tests.browser.panel import Panel
from tests.browser.records import child_with_plan

# Demo data (联合乡, seed 2026): a household of 联合村 and its child, and a child of 石桥村
# with no case. A child with a plan is chosen from the server's database (records.py).
HOUSEHOLD_HEAD = "邹利"
HOUSEHOLD_CHILD = "邹可晴"
CASE_CHILD = "徐慧菲"
ITEM = "控辍保学工作领导小组及工作机制"  # 满分 10
ITEM_2 = "学习困难学生帮扶"  # 满分 10
FUTURE = (local_today() + dt.timedelta(days=30)).isoformat()


def _tag() -> str:
    return f"{uuid.uuid4().int % 10**6:06d}"


def _id_number(birth: dt.date, seq: str) -> str:
    body = f"430121{birth:%Y%m%d}{seq}"
    return body + ric.calc_check_digit(body + "X")  # it reads the first 17 digits


def _search(panel: Panel, register: str, term: str) -> None:
    panel.open(f"/admin/{register}/?search={quote(term)}")


def _saved(panel: Panel) -> None:
    assert any("成功" in f for f in panel.flashes()), panel.flashes()


def _not_saved(panel: Panel) -> None:
    """The form came back with an error flash in Chinese, not a success."""
    flashes = panel.flashes()
    assert flashes and not any("成功" in f for f in flashes), flashes
    assert not re.search(r"[A-Za-z]{3,}", " ".join(flashes)), flashes
    assert "/new/" in panel.path or "/edit/" in panel.path, panel.path


def _delete(panel: Panel, text: str) -> None:
    """Delete the listed row showing ``text``; the list comes back, still searched, without it."""
    panel.delete_row(text)
    _saved(panel)
    assert "search=" in panel.path, panel.path
    assert panel.row(text) is None, f"{text!r} still listed"


def _gone(panel: Panel, register: str, term: str, text: str) -> None:
    _search(panel, register, term)
    assert panel.row(text) is None, f"{text!r} still listed"


# --- 儿童 ----------------------------------------------------------------------------------


def test_clerk_keeps_the_child_register(panel: Panel) -> None:
    tag = _tag()
    name = f"测试童{tag}"
    birth = dt.date(2017, 3, 1) + dt.timedelta(days=int(tag) % 28)
    number = _id_number(birth, tag[-3:])
    sex = "男" if int(number[16]) % 2 else "女"
    panel.login("clerk")

    panel.open("/admin/child/new/")
    panel.type("name", name)
    panel.type("id_number", number)
    panel.type_date("birth_date", birth.isoformat())
    panel.pick("village", "联合", "联合村")
    panel.pick("household", HOUSEHOLD_HEAD)
    panel.type("guardian_name", HOUSEHOLD_HEAD)
    panel.type("guardian_relation", "父亲")
    panel.type("guardian_phone", "13812345678")
    panel.check("is_left_behind")
    panel.pick("school", "联合乡中心", "联合乡中心小学")
    panel.choose("stage", "小学")
    panel.type("grade", "3")
    panel.type("class_name", "3班")
    panel.type("student_no", f"G{number}")
    panel.type_date("status_effective_on", "2026-09-01")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "child", name)
    row = panel.row(name)
    assert row is not None
    for value in (number, sex, birth.isoformat(), "联合村", "联合乡中心小学", "3班", "在校就读"):
        assert value in row.text, (value, row.text)
    panel.open_row(name, "查看记录")
    details = panel.text()
    history = "2026-09-01 在校就读"  # the typed 状态生效日期
    for value in (f"{HOUSEHOLD_HEAD}户", "父亲", "13812345678", f"G{number}", history):
        assert value in details, value

    _search(panel, "child", name)
    panel.open_row(name)
    panel.type("grade", "4")
    panel.type("class_name", "5班")
    panel.save()
    _saved(panel)
    row = panel.row(name)
    assert row is not None and "5班" in row.text, row and row.text

    _delete(panel, name)

    # A mistyped ID number (checksum) and grade 12.
    bad = f"测试错{tag}"
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    panel.open("/admin/child/new/")
    panel.type("name", bad)
    panel.type("id_number", wrong)
    panel.choose("sex", sex)
    panel.type_date("birth_date", birth.isoformat())
    panel.pick("village", "联合", "联合村")
    panel.pick("school", "联合乡中心", "联合乡中心小学")
    panel.type("grade", "12")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("id_number") == "身份证号校验码错误，请逐位核对"
    assert panel.error_at("grade") == "年级应在1–9之间"
    assert panel.value("name") == bad
    assert panel.value("id_number") == wrong
    assert panel.value("grade") == "12"
    assert panel.value("birth_date") == birth.isoformat()
    assert panel.picked("village") == "联合村"
    assert panel.picked("school") == "联合乡中心小学"
    _gone(panel, "child", bad, bad)


def test_village_cadre_registers_a_child_and_the_school_edits_its_enrolment(panel: Panel) -> None:
    """The reduced forms: a village cadre's (village preset) and a school's (学籍 only)."""
    tag = _tag()
    name = f"村报童{tag}"
    birth = dt.date(2019, 5, 1) + dt.timedelta(days=int(tag) % 28)
    number = _id_number(birth, tag[-3:])
    panel.login("village")
    panel.open("/admin/child/new/")
    assert panel.picked("village") == "联合村"
    panel.type("name", name)
    panel.type("id_number", number)
    panel.type_date("birth_date", birth.isoformat())
    panel.pick("household", HOUSEHOLD_HEAD)
    panel.pick("school", "联合乡中心", "联合乡中心小学")
    panel.type("grade", "1")
    panel.type("class_name", "一(2)班")
    panel.type_date("status_effective_on", "2026-09-01")
    panel.save()
    _saved(panel)
    _search(panel, "child", name)
    row = panel.row(name)
    assert row is not None and "联合村" in row.text and "一(2)班" in row.text, row and row.text

    panel.login("school")
    _search(panel, "child", name)
    panel.open_row(name)
    assert not panel.exists("[name=id_number]")  # a school edits enrolment only
    panel.type("grade", "2")
    panel.type("class_name", "二(3)班")
    panel.screenshot("school-edit")
    panel.save()
    _saved(panel)
    row = panel.row(name)
    assert row is not None and "二(3)班" in row.text, row and row.text


# --- 家庭户 --------------------------------------------------------------------------------


def test_clerk_keeps_the_household_register(panel: Panel) -> None:
    head = f"测试户{_tag()}"
    panel.login("clerk")

    panel.open("/admin/household/new/")
    panel.pick("village", "联合", "联合村")
    panel.type("head_name", head)
    panel.type("group_name", "三组")
    panel.type("address", "联合村三组12号")
    panel.type("phone", "13812345678")
    panel.check("is_dibao")
    panel.type("remarks", "浏览器测试")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "household", head)
    row = panel.row(head)
    assert row is not None
    for value in ("联合村", "三组", "13812345678"):
        assert value in row.text, (value, row.text)

    panel.open_row(head)
    panel.type("phone", "0731-84012345")
    panel.save()
    _saved(panel)
    row = panel.row(head)
    assert row is not None and "0731-84012345" in row.text, row and row.text

    _delete(panel, head)

    bad = f"测试户{_tag()}"
    panel.open("/admin/household/new/")
    panel.pick("village", "联合", "联合村")
    panel.type("head_name", bad)
    panel.type("phone", "12345")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert "电话号码应为11位手机号" in panel.error_at("phone"), panel.error_at("phone")
    assert panel.value("head_name") == bad
    assert panel.value("phone") == "12345"
    assert panel.picked("village") == "联合村"
    _gone(panel, "household", bad, bad)


# --- 目标责任书 -----------------------------------------------------------------------------


def test_clerk_keeps_the_agreement_register(panel: Panel) -> None:
    parent = f"家长{_tag()}"
    panel.login("clerk")

    panel.open("/admin/agreement/new/")
    panel.type("year", "2026")
    panel.choose("level", "村委会—村民小组/家长")
    panel.type("party_a_name", "联合村委会")
    panel.type("party_a_org", "联合村民委员会")
    panel.type("party_b_name", parent)
    panel.pick("village", "联合", "联合村")
    panel.pick("child", HOUSEHOLD_CHILD[:2], HOUSEHOLD_CHILD)
    panel.pick("household", HOUSEHOLD_HEAD)
    panel.type("liability_clause", "保证适龄子女按时入学、不辍学")
    panel.type_date("signed_on", "2026-03-01")
    panel.type_date("valid_until", "2026-12-31")
    panel.choose("status", "已签订")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "agreement", parent)
    row = panel.row(parent)
    assert row is not None
    level = "村委会—村民小组/家长"
    for value in ("2026", "政府线", level, HOUSEHOLD_CHILD, "2026-03-01", "已签订"):
        assert value in row.text, (value, row.text)

    panel.open_row(parent)
    panel.choose("status", "已失效")
    panel.save()
    _saved(panel)
    row = panel.row(parent)
    assert row is not None and "已失效" in row.text, row and row.text

    _delete(panel, parent)

    # Valid until before it was signed.
    bad = f"家长{_tag()}"
    panel.open("/admin/agreement/new/")
    panel.type("year", "2026")
    panel.choose("level", "村委会—村民小组/家长")
    panel.type("party_a_name", "联合村委会")
    panel.type("party_a_org", "联合村民委员会")
    panel.type("party_b_name", bad)
    panel.pick("child", HOUSEHOLD_CHILD[:2], HOUSEHOLD_CHILD)
    panel.type_date("signed_on", "2026-03-01")
    panel.type_date("valid_until", "2026-02-01")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("valid_until") == "有效期至不能早于签订日期"
    assert panel.value("party_b_name") == bad
    assert panel.value("signed_on") == "2026-03-01"
    assert panel.value("valid_until") == "2026-02-01"
    assert panel.picked("child") == HOUSEHOLD_CHILD
    _gone(panel, "agreement", bad, bad)


# --- 帮扶方案 ------------------------------------------------------------------------------


def test_clerk_keeps_the_plan_register(panel: Panel) -> None:
    measures = f"测试措施{_tag()}：落实生活补助，班主任每周家访"
    panel.login("clerk")

    panel.open("/admin/plan/new/")
    panel.pick("child", HOUSEHOLD_CHILD[:2], HOUSEHOLD_CHILD)
    panel.pick("household", HOUSEHOLD_HEAD)
    panel.type("measures", measures)
    panel.type("village_person", "联合村主任")
    panel.type("school_person", "班主任")
    panel.type_date("start_on", "2026-09-01")
    panel.type_date("review_on", "2026-12-31")
    panel.choose("status", "实施中")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "plan", HOUSEHOLD_CHILD)
    key = measures[:10]
    row = panel.row(key)
    assert row is not None
    for value in (HOUSEHOLD_CHILD, "2026-09-01", "2026-12-31", "实施中", "联合村主任"):
        assert value in row.text, (value, row.text)

    panel.open_row(key)
    panel.choose("status", "已完成")
    panel.save()
    _saved(panel)
    row = panel.row(key)
    assert row is not None and "已完成" in row.text, row and row.text

    _delete(panel, key)

    # Reviewed before it started.
    bad = f"测试措施{_tag()}"
    panel.open("/admin/plan/new/")
    panel.pick("child", HOUSEHOLD_CHILD[:2], HOUSEHOLD_CHILD)
    panel.type("measures", bad)
    panel.type_date("start_on", "2026-09-01")
    panel.type_date("review_on", "2026-08-01")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("review_on") == "复核日期不能早于开始日期"
    assert panel.value("measures") == bad
    assert panel.value("start_on") == "2026-09-01"
    assert panel.value("review_on") == "2026-08-01"
    assert panel.picked("child") == HOUSEHOLD_CHILD
    _gone(panel, "plan", HOUSEHOLD_CHILD, bad)


# --- 帮扶记录 ------------------------------------------------------------------------------


def test_clerk_keeps_the_assistance_register(panel: Panel) -> None:
    person = f"帮扶人{_tag()}"
    panel.login("clerk")

    chosen = child_with_plan(panel.server)
    plan_child = chosen["name"]
    panel.open("/admin/assistance/new/")
    panel.pick("child", plan_child, plan_child)
    plan = panel.pick("plan", chosen["plan_start"], plan_child)
    assert plan.startswith("帮扶方案#"), plan
    panel.choose("kind", "生活补助")
    panel.type_date("given_on", "2026-11-10")
    panel.type("person", person)
    panel.type("amount", "500")
    panel.type("content", "发放秋季学期生活补助")
    panel.type("outcome", "按时到校")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "assistance", plan_child)
    row = panel.row(person)
    assert row is not None
    for value in (plan_child, "生活补助", "2026-11-10", "500.00", "发放秋季学期生活补助"):
        assert value in row.text, (value, row.text)
    panel.open_row(person, "查看记录")
    assert plan in panel.text() and "按时到校" in panel.text()

    _search(panel, "assistance", plan_child)
    panel.open_row(person)
    panel.type("amount", "650.5")
    panel.save()
    _saved(panel)
    row = panel.row(person)
    assert row is not None and "650.50" in row.text, row and row.text

    _delete(panel, person)

    # A negative amount.
    bad = f"帮扶人{_tag()}"
    panel.open("/admin/assistance/new/")
    panel.pick("child", plan_child, plan_child)
    panel.choose("kind", "生活补助")
    panel.type_date("given_on", "2026-11-10")
    panel.type("person", bad)
    panel.type("amount", "-50")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("amount") == "金额不能为负数"
    assert panel.value("person") == bad
    assert panel.value("amount") == "-50"
    assert panel.value("given_on") == "2026-11-10"
    assert panel.picked("child") == plan_child
    _gone(panel, "assistance", plan_child, bad)


# --- 控辍案件 ------------------------------------------------------------------------------


def test_clerk_opens_and_edits_a_case_and_admin_deletes_it(panel: Panel) -> None:
    situation = f"测试家庭情况{_tag()}：父母在外务工"
    panel.login("clerk")
    panel.open("/admin/case/")
    before = panel.list_count()

    # Found in the future: refused, typed values kept (before the case exists, so the
    # child's open case cannot be the reason).
    panel.open("/admin/case/new/")
    panel.pick("child", CASE_CHILD[:2], CASE_CHILD)
    panel.choose("kind", "辍学")
    panel.type_date("discovered_on", FUTURE)
    panel.choose("source", "入户排查")
    panel.type("family_situation", situation)
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("discovered_on") == "日期不能晚于今天"
    assert panel.value("discovered_on") == FUTURE
    assert panel.value("family_situation") == situation
    assert panel.picked("child") == CASE_CHILD
    panel.open("/admin/case/")
    assert panel.list_count() == before

    panel.open("/admin/case/new/")
    panel.pick("child", CASE_CHILD[:2], CASE_CHILD)
    panel.choose("kind", "辍学")
    panel.type_date("discovered_on", "2026-11-15")
    panel.choose("source", "入户排查")
    panel.choose("reason", "家庭经济困难")
    panel.type("reason_note", "父亲务工收入不稳定")
    panel.type("family_situation", situation)
    panel.type("village_person", "石桥村主任")
    panel.type("school_person", "班主任")
    panel.type("open_note", "入户排查发现连续两周未到校")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)
    assert "/admin/case/details/" in panel.path, panel.path
    case_url = panel.path
    for value in (CASE_CHILD, "石桥村", "辍学", "疑似", "2026-11-15", "入户排查", situation):
        assert value in panel.text(), value

    panel.open(case_url.replace("/details/", "/edit/"))
    panel.type("village_person", "石桥村支书")
    panel.save()
    _saved(panel)
    assert "石桥村支书" in panel.text()

    # Deleting a case is the administrator's.
    panel.login("admin")
    _search(panel, "case", CASE_CHILD)
    assert panel.row("石桥村支书") is not None
    _delete(panel, "石桥村支书")


# --- 督导检查与评分 -------------------------------------------------------------------------


def test_inspector_records_an_inspection_with_scores(panel: Panel) -> None:
    inspectors = f"督导{_tag()}、李督导"
    panel.login("inspector")

    panel.open("/admin/inspection/new/")
    panel.pick("period", "2026", "2026年度")
    panel.pick("village", "联合", "联合村")
    panel.type_date("inspected_on", "2026-11-20")
    panel.type("inspectors", inspectors)
    panel.type("summary", "台账齐全，劝返及时")
    # The score sheet lists every item: no 添加 clicks, no item to pick.
    score_1, reason_1 = panel.sheet_fields(ITEM)
    score_2, reason_2 = panel.sheet_fields(ITEM_2)
    panel.type(score_1, "8")
    panel.type(reason_1, "例会记录不全")
    panel.type(score_2, "9.5")
    panel.type(reason_2, "一名学生帮扶记录缺页")
    assert panel.driver.find_element(By.ID, "sheet-total").text == "17.5"
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "inspection", inspectors)
    row = panel.row(inspectors)
    assert row is not None
    for value in ("2026年度", "联合村", "2026-11-20", "台账齐全"):
        assert value in row.text, (value, row.text)
    panel.open_row(inspectors, "查看记录")
    assert f"{ITEM} 8/10" in panel.text() and f"{ITEM_2} 9.5/10" in panel.text()

    _search(panel, "inspection", inspectors)
    panel.open_row(inspectors)
    assert "联合村 督导检查" in panel.driver.find_element(By.ID, "record-heading").text
    assert panel.value(score_1) == "8", panel.value(score_1)
    panel.type(score_1, "9")
    panel.type("summary", "台账齐全，复查已整改")
    panel.save()
    _saved(panel)
    panel.open_row(inspectors, "查看记录")
    assert f"{ITEM} 9/10" in panel.text() and "复查已整改" in panel.text()

    _search(panel, "inspection", inspectors)
    _delete(panel, inspectors)

    # A score above the item's maximum, and one below it without a reason.
    bad = f"督导{_tag()}"
    panel.open("/admin/inspection/new/")
    panel.pick("period", "2026", "2026年度")
    panel.pick("village", "联合", "联合村")
    panel.type_date("inspected_on", "2026-11-20")
    panel.type("inspectors", bad)
    panel.type(score_1, "12")
    panel.type(score_2, "7")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at(score_1) == "得分不能超过该项满分10分"
    assert panel.error_at(reason_2) == "得分低于满分，请填写扣分原因"
    assert panel.value(score_1) == "12"
    assert panel.value(score_2) == "7"
    assert panel.value("inspectors") == bad
    assert panel.value("inspected_on") == "2026-11-20"
    assert panel.picked("period") == "2026年度"
    assert panel.picked("village") == "联合村"
    _gone(panel, "inspection", bad, bad)


def test_inspector_refuses_an_inspection_outside_its_period(panel: Panel) -> None:
    bad = f"督导{_tag()}"
    panel.login("inspector")
    panel.open("/admin/inspection/new/")
    panel.pick("period", "2026", "2026年度")
    panel.pick("village", "联合", "联合村")
    panel.type_date("inspected_on", "2025-06-01")
    panel.type("inspectors", bad)
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("inspected_on") == (
        "检查日期不在考核周期“2026年度”（2026-01-01至2026-12-31）内"
    )
    assert panel.value("inspected_on") == "2025-06-01"
    _gone(panel, "inspection", bad, bad)


# --- 问责记录 ------------------------------------------------------------------------------


def test_inspector_keeps_the_accountability_register(panel: Panel) -> None:
    person = f"问责人{_tag()}"
    panel.login("inspector")

    panel.open("/admin/accountability/new/")
    panel.choose("period", "2026年度")
    panel.pick("village", "联合", "联合村")
    panel.type("person", person)
    panel.choose("line", "政府线")
    panel.type("position", "村委会主任")
    panel.type("problem", "控辍案件逾期未办结1件")
    panel.choose("action", "约谈")
    panel.type_date("decided_on", "2026-11-20")
    panel.type("decided_by", "联合乡党委")
    panel.choose("status", "已问责")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "accountability", person)
    row = panel.row(person)
    assert row is not None
    for value in ("2026年度", "联合村", "政府线", "约谈", "2026-11-20", "已问责"):
        assert value in row.text, (value, row.text)

    panel.open_row(person)
    panel.choose("status", "已整改")
    panel.save()
    _saved(panel)
    row = panel.row(person)
    assert row is not None and "已整改" in row.text, row and row.text

    _delete(panel, person)

    # Decided in the future.
    bad = f"问责人{_tag()}"
    panel.open("/admin/accountability/new/")
    panel.choose("period", "2026年度")
    panel.pick("village", "联合", "联合村")
    panel.type("person", bad)
    panel.choose("line", "政府线")
    panel.type("problem", "劝返不及时")
    panel.choose("action", "约谈")
    panel.type_date("decided_on", FUTURE)
    panel.choose("status", "已问责")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("decided_on") == "决定日期不能晚于今天"
    assert panel.value("person") == bad
    assert panel.value("decided_on") == FUTURE
    assert panel.picked("village") == "联合村"
    _gone(panel, "accountability", bad, bad)


# --- 行政村、学校、用户 ----------------------------------------------------------------------


def test_admin_keeps_the_village_register(panel: Panel) -> None:
    tag = _tag()
    name = f"测试村{tag}"
    panel.login("admin")

    panel.open("/admin/village/new/")
    panel.pick("township", "联合", "联合乡")
    panel.type("name", name)
    panel.type("code", f"430121100{tag[:3]}")
    panel.type("groups", "一组、二组、三组")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "village", name)
    row = panel.row(name)
    assert row is not None
    for value in (f"430121100{tag[:3]}", "联合乡", "一组、二组、三组"):
        assert value in row.text, (value, row.text)

    panel.open_row(name)
    panel.type("groups", "一组、二组、三组、四组")
    panel.save()
    _saved(panel)
    row = panel.row(name)
    assert row is not None and "四组" in row.text, row and row.text

    _delete(panel, name)

    bad = f"测试村{_tag()}"
    panel.open("/admin/village/new/")
    panel.pick("township", "联合", "联合乡")
    panel.type("name", bad)
    panel.type("code", "43012")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("code") == "区划代码应为12位数字"
    assert panel.value("name") == bad
    assert panel.value("code") == "43012"
    assert panel.picked("township") == "联合乡"
    _gone(panel, "village", bad, bad)


def test_admin_keeps_the_school_register(panel: Panel) -> None:
    tag = _tag()
    name = f"测试小学{tag}"
    panel.login("admin")

    panel.open("/admin/school/new/")
    panel.pick("township", "联合", "联合乡")
    panel.type("name", name)
    panel.type("code", f"2143{tag}")
    panel.choose("kind", "教学点")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "school", name)
    row = panel.row(name)
    assert row is not None
    for value in (f"2143{tag}", "教学点", "联合乡"):
        assert value in row.text, (value, row.text)

    panel.open_row(name)
    panel.choose("kind", "小学")
    panel.save()
    _saved(panel)
    row = panel.row(name)
    assert row is not None and "小学" in row.text.replace(name, ""), row and row.text

    _delete(panel, name)

    bad = f"测试小学{_tag()}"
    panel.open("/admin/school/new/")
    panel.pick("township", "联合", "联合乡")
    panel.type("name", bad)
    panel.type("code", "21AB")
    panel.choose("kind", "小学")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("code") == "学校标识码应为10位数字"
    assert panel.value("name") == bad
    assert panel.value("code") == "21AB"
    _gone(panel, "school", bad, bad)


def test_admin_keeps_the_user_register(panel: Panel) -> None:
    username = f"cadre{_tag()}"
    panel.login("admin")

    panel.open("/admin/user/new/")
    panel.type("username", username)
    panel.type("display_name", "测试村干部")
    panel.choose("role", "村干部")
    panel.pick("village", "联合", "联合村")
    panel.type("password", "Cadre2026!")
    panel.screenshot("filled")
    panel.save()
    _saved(panel)

    _search(panel, "user", username)
    row = panel.row(username)
    assert row is not None
    for value in ("测试村干部", "村干部", "联合村", "是"):
        assert value in row.text, (value, row.text)

    panel.open_row(username)
    panel.type("display_name", "测试村支书")
    panel.check("active", False)
    panel.save()
    _saved(panel)
    row = panel.row(username)
    assert row is not None and "测试村支书" in row.text and "否" in row.text, row and row.text

    _delete(panel, username)

    # A username already taken; then, with a free one, a password too short.
    panel.open("/admin/user/")
    before = panel.list_count()
    panel.open("/admin/user/new/")
    panel.type("username", "clerk")
    panel.type("display_name", "重名用户")
    panel.choose("role", "乡镇工作人员")
    panel.type("password", "Clerk2026!")
    panel.save()
    panel.screenshot("invalid")
    _not_saved(panel)
    assert panel.error_at("username") == "已经存在。"
    assert "未保存：请改正下面标出的问题。" in " ".join(panel.flashes())
    assert panel.value("username") == "clerk"
    assert panel.value("display_name") == "重名用户"
    assert panel.value("password") == ""  # a password is never sent back to the page
    weak = f"weak{_tag()}"
    panel.type("username", weak)
    panel.type("password", "abc")
    panel.save()
    panel.screenshot("weak-password")
    _not_saved(panel)
    assert panel.error_at("password").startswith("密码至少10位")
    assert panel.error_at("username") == ""
    assert panel.value("username") == weak
    assert panel.value("display_name") == "重名用户"
    panel.open("/admin/user/")
    assert panel.list_count() == before
