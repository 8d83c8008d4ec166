"""The text of the notices (文书) the township serves on guardians, with the law they cite.

The policy (联合乡实施方案, 三、工作要求) asks that 入学通知书 and 劝返复学通知书 carry the
relevant legal provisions and an explanation of the liability (违法追责说明). The articles
are quoted word for word from 《中华人民共和国义务教育法》 (2006 revision, as amended in
2018) and 《中华人民共和国未成年人保护法》 (2020 revision); "……" marks items left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..choices import NoticeKind
from ..models import Child, Notice

COMPULSORY_EDUCATION_LAW = "《中华人民共和国义务教育法》"
MINORS_LAW = "《中华人民共和国未成年人保护法》"


@dataclass(frozen=True)
class Article:
    law: str
    number: str
    text: str


EDU_5 = Article(
    COMPULSORY_EDUCATION_LAW,
    "第五条第二款",
    "适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。",
)
EDU_11 = Article(
    COMPULSORY_EDUCATION_LAW,
    "第十一条第一款",
    "凡年满六周岁的儿童，其父母或者其他法定监护人应当送其入学接受并完成义务教育；"
    "条件不具备的地区的儿童，可以推迟到七周岁。",
)
EDU_13 = Article(
    COMPULSORY_EDUCATION_LAW,
    "第十三条",
    "县级人民政府教育行政部门和乡镇人民政府组织和督促适龄儿童、少年入学，帮助解决适龄儿童、"
    "少年接受义务教育的困难，采取措施防止适龄儿童、少年辍学。"
    "居民委员会和村民委员会协助政府做好工作，督促适龄儿童、少年入学。",
)
EDU_58 = Article(
    COMPULSORY_EDUCATION_LAW,
    "第五十八条",
    "适龄儿童、少年的父母或者其他法定监护人无正当理由未依照本法规定送适龄儿童、少年入学"
    "接受义务教育的，由当地乡镇人民政府或者县级人民政府教育行政部门给予批评教育，责令限期改正。",
)
MINORS_16 = Article(
    MINORS_LAW,
    "第十六条",
    "未成年人的父母或者其他监护人应当履行下列监护职责：……"
    "（五）尊重未成年人受教育的权利，保障适龄未成年人依法接受并完成义务教育；……",
)
MINORS_17 = Article(
    MINORS_LAW,
    "第十七条",
    "未成年人的父母或者其他监护人不得实施下列行为：……"
    "（五）放任或者迫使应当接受义务教育的未成年人失学、辍学；……",
)
MINORS_83 = Article(
    MINORS_LAW,
    "第八十三条",
    "各级人民政府应当保障未成年人受教育的权利，并采取措施保障留守未成年人、困境未成年人、"
    "残疾未成年人接受义务教育。"
    "对尚未完成义务教育的辍学未成年学生，教育行政部门应当责令父母或者其他监护人将其送入学校"
    "接受义务教育。",
)

#: The articles each notice quotes.
ARTICLES: dict[NoticeKind, tuple[Article, ...]] = {
    NoticeKind.ENROLMENT: (EDU_5, EDU_11, EDU_58, MINORS_16, MINORS_17),
    NoticeKind.RETURN: (EDU_5, EDU_13, EDU_58, MINORS_16, MINORS_17, MINORS_83),
    NoticeKind.RECTIFY: (EDU_5, EDU_58, MINORS_16, MINORS_17, MINORS_83),
    NoticeKind.JUDICIAL: (),
}

#: 违法追责说明, in the words of the policy (联合乡实施方案, 二、实施步骤·劝返复学).
LIABILITY = (
    "父母或者其他法定监护人应当依法送适龄儿童少年按时入学接受并完成义务教育。"
    "无正当理由未送适龄儿童少年入学接受义务教育或造成辍学的，乡人民政府给予批评教育，"
    "责令限期改正；逾期不改的，由司法部门依法发放相关司法文书，敦促其保证未入学或辍学学生"
    "尽早入学；情节严重或构成犯罪的，依法追究法律责任。"
)


def _day(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "____年__月__日"


def enrolment_body(child: Child, school: str, deadline: str) -> list[str]:
    """The paragraphs of a 入学通知书: a case's, and the 开学排查's batch for the intake."""
    sex = child.sex.label if child.sex else ""
    return [
        f"你的子女（被监护人）{child.name}（{sex}，{_day(child.birth_date)}出生）已到接受义务"
        f"教育的年龄，至今未入学。根据{COMPULSORY_EDUCATION_LAW}和{MINORS_LAW}的规定，"
        f"请你于{deadline}前送其到{school}报到入学，接受并完成义务教育。",
        "家庭确有困难的，请及时向村民委员会、学校或乡人民政府反映，政府和学校将依照"
        "“一家一案、一生一案”帮助解决，不让一名适龄儿童因贫失学。",
    ]


def intake_notice_context(
    child: Child, township: str, number: str, issued_on: dt.date, deadline: dt.date
) -> dict[str, Any]:
    """A 入学通知书 for a child of the 6-year-old intake found not enrolled by the 开学排查:
    the same text, articles and receipt stub as a case's, with no case behind it yet."""
    guardian = child.guardian_name or "____"
    relation = f"（{child.name}之{child.guardian_relation}）" if child.guardian_relation else ""
    school = child.school.name if child.school else "____学校"
    return {
        "township": township,
        "issuer": f"{township}人民政府",
        "title": NoticeKind.ENROLMENT.label,
        "number": number,
        "addressee": f"{guardian}{relation}",
        "body": enrolment_body(child, school, _day(deadline)),
        "articles": ARTICLES[NoticeKind.ENROLMENT],
        "liability": LIABILITY,
        "issued": _day(issued_on),
        "deadline": _day(deadline),
        "child": child,
        "school": school,
    }


def notice_context(notice: Notice) -> dict[str, Any]:
    """Everything the print template needs: title, addressee, body paragraphs, articles.

    The issuer is the notice's own township (its Township row, whose name the number
    carries), not the panel's configured name: in a database of two townships each
    prints as its own.
    """
    township = notice.township.name
    case = notice.case
    child = case.child
    guardian = notice.addressee or child.guardian_name or "____"
    relation = f"（{child.name}之{child.guardian_relation}）" if child.guardian_relation else ""
    school = notice.school_name or "____学校"
    grade = f"{child.grade}年级" if child.grade else ""
    sex = child.sex.label if child.sex else ""
    born = _day(child.birth_date)
    deadline = _day(notice.deadline)
    if notice.kind == NoticeKind.ENROLMENT:
        body = enrolment_body(child, school, deadline)
    elif notice.kind == NoticeKind.RETURN:
        body = [
            f"你的子女（被监护人）{child.name}（{sex}，{born}出生）系{school}{grade}学生，"
            f"现已辍学，未完成义务教育。根据{COMPULSORY_EDUCATION_LAW}和{MINORS_LAW}的规定，"
            f"请你于{deadline}前送其返回{school}复学，接受并完成义务教育。",
            "家庭确有困难或孩子有厌学等情况的，请及时向村民委员会、学校或乡人民政府反映，"
            "政府和学校将依照“一家一案、一生一案”帮助解决。",
        ]
    else:
        earlier = [n for n in case.notices if n.kind != NoticeKind.RECTIFY and n.id != notice.id]
        served = ""
        if earlier:
            first = earlier[0]
            served = f"本政府已向你发出《{first.kind.label}》（{first.number}），"
        body = [
            f"你的子女（被监护人）{child.name}（{sex}，{born}出生）应当接受义务教育，"
            f"{served}经多次劝返，你至今未送其入学（复学）。",
            f"你的行为违反了{COMPULSORY_EDUCATION_LAW}第五条第二款和{MINORS_LAW}第十六条、"
            f"第十七条的规定。依据{COMPULSORY_EDUCATION_LAW}第五十八条，现责令你于{deadline}前"
            f"送{child.name}到{school}入学（复学），接受并完成义务教育。",
        ]
    return {
        "township": township,
        "issuer": f"{township}人民政府",
        "title": notice.kind.label,
        "number": notice.number,
        "addressee": f"{guardian}{relation}",
        "body": body,
        "articles": ARTICLES[notice.kind],
        "liability": LIABILITY,
        "issued": _day(notice.issued_on),
        "deadline": deadline,
        "child": child,
        "school": school,
    }
