"""控辍案件 in Chromium: a case walked through its lifecycle buttons, and notices printed.

Each step is done as on the case page: unfold the step's button, type the dates, press
确定…, and read the status badge and the message. Dates are days before today (the
server's calendar is China's), so every step lies between the case's finding and today.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from selenium.webdriver.common.by import By

from admin_app.util.dates import local_today
from tests.browser.panel import Panel
from tests.browser.records import child_without_case, query

TODAY = local_today()
#: Chinese text, no stray English (a WTForms default like "This field is required.").
ENGLISH = re.compile(r"[A-Za-z]{3,}")


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def status(panel: Panel) -> str:
    return panel.driver.find_element(By.ID, "case-status").text


def offered(panel: Panel) -> list[str]:
    return [
        s.text
        for s in panel.driver.find_elements(By.CSS_SELECTOR, "#case-actions summary")
        if s.text
    ]


def step(
    panel: Panel,
    name: str,
    label: str,
    dates: dict[str, str] | None = None,
    texts: dict[str, str] | None = None,
    choices: dict[str, str] | None = None,
    summary: str | None = None,
) -> None:
    """Unfold the step ``label`` on the case page, fill its form and press 确定<label>."""
    panel.unfold(summary or label)
    for field, day in (dates or {}).items():
        panel.type_date(f"{name}-{field}", day)
    for field, text in (texts or {}).items():
        panel.type(f"{name}-{field}", text)
    for field, text in (choices or {}).items():
        panel.choose(f"{name}-{field}", text)
    panel.save("确定" + label)


def done(panel: Panel, message: str, expected_status: str) -> None:
    """The step was saved: its message is flashed and the badge shows the new status."""
    flashes = " ".join(panel.flashes())
    assert message in flashes, (message, flashes, panel.field_errors())
    assert status(panel) == expected_status, (status(panel), flashes)


def print_notice(panel: Panel, kind: str, number: str | None = None) -> str:
    """Press the notice's 打印 (a new tab): one A4 sheet with its 送达回执 stub."""
    rows = panel.driver.find_elements(
        By.XPATH, f"//table[@id='case-notices']//tr[td[1][normalize-space(.)={kind!r}]]"
    )
    row = next(r for r in rows if number is None or number in r.text)
    number = row.find_elements(By.TAG_NAME, "td")[1].text
    link = row.find_element(By.LINK_TEXT, "打印")
    panel.scroll_to(link)
    # The button lies in its own column, not under the step forms beside it (which
    # took the click when the table overflowed at 1366 px).
    assert panel.driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        " return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)"
        " === arguments[0];",
        link,
    ), "打印 is covered by another element"
    with panel.new_window(link.click):
        text = panel.text()
        assert kind in text and number in text and "送达回执" in text, text[:300]
        panel.screenshot(f"print-{kind}")
        pages = panel.print_pages()
        assert pages == 1, f"《{kind}》{number} prints on {pages} A4 pages"
    return text


def open_case_from_child_page(panel: Panel, child_id: int, found: str) -> int:
    panel.open(f"/admin/child/details/?id={child_id}")
    panel.driver.find_element(By.ID, "open-case").click()
    panel.wait.until(lambda d: "/admin/case/new/" in d.current_url)
    panel.choose("kind", "辍学")
    panel.choose("source", "学校报告")
    panel.type_date("discovered_on", found)
    panel.type("village_person", "刘主任")
    panel.type("school_person", "李老师")
    panel.screenshot("open-form")
    panel.save()
    assert "/admin/case/details/" in panel.path, (panel.path, panel.field_errors())
    return int(panel.path.rsplit("id=", 1)[1])


def test_clerk_walks_a_dropout_case_from_opening_to_closing(panel: Panel) -> None:
    child = child_without_case(panel.server)
    panel.login("clerk")
    case_id = open_case_from_child_page(panel, child["id"], ago(40))
    assert status(panel) == "疑似"
    assert child["name"] in panel.text()

    step(panel, "verify", "开始核查", {"on": ago(39)}, {"note": "学校报告，入户核实"})
    done(panel, "已开始核查", "核查中")
    step(panel, "confirm", "确认未入学/辍学", {"on": ago(38)}, choices={"reason": "学习困难/厌学"})
    done(panel, "已确认，儿童就学状态为“辍学”", "确认")
    step(panel, "persuade", "开始劝返", {"on": ago(38)})
    done(panel, "已进入劝返", "劝返中")

    # A visit dated before the case was found is refused at the field; nothing is saved.
    step(
        panel,
        "visit",
        "登记走访",
        {"visited_on": ago(45)},
        {"persons": "刘主任、李老师", "result": "家长表示会做孩子工作"},
    )
    message = panel.error_at("visit-visited_on")
    assert f"走访日期不能早于案件发现日期（{ago(40)}）" in message, panel.field_errors()
    assert not ENGLISH.search(" ".join(panel.field_errors())), panel.field_errors()
    assert panel.value("visit-visited_on") == ago(45)
    assert panel.value("visit-persons") == "刘主任、李老师"
    assert panel.value("visit-result") == "家长表示会做孩子工作"
    assert status(panel) == "劝返中"
    assert "尚无走访记录" in panel.driver.find_element(By.ID, "case-visits").text
    panel.screenshot("visit-refused")

    panel.type_date("visit-visited_on", ago(37))
    panel.save("确定登记走访")
    done(panel, "已登记第1次走访", "劝返中")

    step(
        panel,
        "notice",
        "开具通知书",
        {"issued_on": ago(36), "deadline": ago(30)},
        summary="开具通知书《劝返复学通知书》",
    )
    done(panel, "已开具《劝返复学通知书》", "劝返中")
    printed = print_notice(panel, "劝返复学通知书")
    assert child["name"] in printed and child["guardian_name"] in printed

    # Served on the guardian, who did not comply by the deadline.
    panel.unfold("记录送达及履行情况")
    form = panel.driver.find_element(By.CSS_SELECTOR, "#case-notices form")
    prefix = form.get_attribute("id").removeprefix("form-")
    panel.type_date(f"{prefix}-served_on", ago(35))
    panel.type(f"{prefix}-served_to", child["guardian_name"])
    panel.choose(f"{prefix}-complied", "逾期未履行")
    panel.save("保存送达情况")
    done(panel, "的送达情况", "劝返中")
    assert "逾期未履行" in panel.driver.find_element(By.ID, "case-notices").text

    step(panel, "criticism", "批评教育", {"on": ago(29)}, {"note": "乡政府约谈监护人"})
    done(panel, "已记录批评教育", "劝返中")
    step(panel, "rectify", "责令限期改正", {"on": ago(28), "deadline": ago(20)})
    done(panel, "已记录责令限期改正，并开具《责令限期改正通知书》", "劝返中")
    print_notice(panel, "责令限期改正通知书")
    step(panel, "judicial", "司法文书", {"on": ago(19)}, {"note": "县法院支付令（2026）湘0121号"})
    done(panel, "已记录司法文书", "劝返中")
    step(panel, "accountability", "依法追责", {"on": ago(18)}, {"note": "移送县教育局依法处理"})
    done(panel, "已记录依法追责", "劝返中")
    assert "批评教育 → 责令限期改正 → 司法文书 → 依法追责" in panel.text()

    step(panel, "return", "复学安置", {"on": ago(10)}, {"grade": "5"}, {"school": child["school"]})
    done(panel, "已复学，儿童就学状态为“在校就读”", "已复学")
    step(panel, "follow_up", "转入巩固跟踪", {"on": ago(9), "until": ago(2)})
    done(panel, f"已转入巩固跟踪，至{ago(2)}", "巩固跟踪")
    step(panel, "close", "销号", {"on": ago(1)}, {"note": "巩固跟踪期满，在校就读"})
    done(panel, "已销号", "销号")
    assert "案件已结案" in panel.driver.find_element(By.ID, "case-actions").text
    panel.screenshot("closed")
    assert panel.horizontal_overflow() == 0, "the case page is wider than the screen"

    events = panel.driver.find_element(By.ID, "case-events").text
    for kind in ("立案", "核查", "确认", "劝返", "开具文书", "复学", "巩固跟踪", "销号"):
        assert kind in events, (kind, events)
    assert query(
        panel.server,
        "SELECT status, closed_on FROM dropout_case WHERE id = ?",
        case_id,
    )[0][:] == ("closed", ago(1))
    assert query(panel.server, "SELECT status FROM child WHERE id = ?", child["id"])[0][0] == (
        "enrolled"
    )


def test_village_cadre_works_a_case_of_their_village(panel: Panel) -> None:
    """A village cadre opens a case from the case list, works it up to 巩固跟踪 and records a
    relapse; the township's own acts (notices, escalation, 销号) are not offered."""
    child = child_without_case(panel.server, village="联合村")
    panel.login("village")
    panel.open("/admin/case/")
    panel.follow("创建")
    panel.pick("child", child["name"])
    panel.choose("kind", "辍学")
    panel.choose("source", "入户排查")
    panel.type_date("discovered_on", ago(20))
    panel.type("village_person", "联合村张书记")
    panel.save()
    assert status(panel) == "疑似", panel.field_errors()
    assert child["name"] in panel.driver.find_element(By.CSS_SELECTOR, "h5").text

    step(panel, "verify", "开始核查", {"on": ago(19)})
    done(panel, "已开始核查", "核查中")
    step(panel, "confirm", "确认未入学/辍学", {"on": ago(18)}, choices={"reason": "家长观念"})
    done(panel, "已确认，儿童就学状态为“辍学”", "确认")
    step(panel, "persuade", "开始劝返", {"on": ago(18)})
    done(panel, "已进入劝返", "劝返中")
    township_acts = {"批评教育", "责令限期改正", "司法文书", "依法追责", "销号"}
    assert not township_acts & set(offered(panel)), offered(panel)
    assert not any(label.startswith("开具通知书") for label in offered(panel)), offered(panel)

    step(panel, "visit", "登记走访", {"visited_on": ago(17)}, {"result": "监护人同意送学"})
    done(panel, "已登记第1次走访", "劝返中")
    panel.unfold("制定帮扶方案")
    panel.type("plan-measures", "申请教育资助，村干部每周走访")
    panel.type_date("plan-start_on", ago(17))
    panel.check("plan-whole_household")
    panel.save("确定制定帮扶方案")
    done(panel, "已制定帮扶方案", "劝返中")
    assert "申请教育资助" in panel.driver.find_element(By.CSS_SELECTOR, ".case-plan").text

    step(panel, "return", "复学安置", {"on": ago(10)}, choices={"placement": "在校就读"})
    done(panel, "已复学，儿童就学状态为“在校就读”", "已复学")
    step(panel, "follow_up", "转入巩固跟踪", {"on": ago(9)})
    done(panel, "已转入巩固跟踪", "巩固跟踪")
    assert "销号" not in offered(panel), offered(panel)

    step(panel, "relapse", "登记复辍", {"on": ago(2)}, choices={"reason": "外出务工"})
    done(panel, "已登记复辍", "劝返中")
    panel.screenshot("relapsed")
    events = panel.driver.find_element(By.ID, "case-events").text
    assert "复辍原因：外出务工" in events, events


def test_clerk_issues_and_prints_an_enrolment_notice(panel: Panel) -> None:
    """A 未入学 case being persuaded gets its 入学通知书, printed on one A4 sheet."""
    cases = query(
        panel.server,
        "SELECT id FROM dropout_case WHERE kind = 'not_enrolled' AND status = 'persuading'",
    )
    assert cases, "the demo data has 未入学 cases in 劝返中"
    case_id = random.choice(cases)["id"]
    panel.login("clerk")
    panel.open(f"/admin/case/details/?id={case_id}")
    step(
        panel,
        "notice",
        "开具通知书",
        {"issued_on": TODAY.isoformat(), "deadline": (TODAY + dt.timedelta(days=10)).isoformat()},
        summary="开具通知书《入学通知书》",
    )
    done(panel, "已开具《入学通知书》", "劝返中")
    number = panel.flashes()[0].rsplit("》", 1)[1].strip()
    printed = print_notice(panel, "入学通知书", number)
    assert f"{TODAY.year}年{TODAY.month}月{TODAY.day}日" in printed
