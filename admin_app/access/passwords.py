"""The password policy: one rule for the user form, the 修改密码 page and ``create-user``.

等保 2.0 level 2 asks for passwords of some complexity that are changed by their owners.
The panel asks for length rather than character classes (a long phrase is stronger and
easier to remember than ``Abc123!@``), refuses the username and the passwords everyone
tries first, and keeps the list in ``admin_app/data/common_passwords.txt`` so a township
can add its own (the township's name, say).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).parent.parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased; read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why ``password`` may not be used (a Chinese sentence), or None if it may."""
    if len(password) < MIN_LENGTH:
        return f"密码至少{MIN_LENGTH}位（当前{len(password)}位）"
    if len(password) > MAX_LENGTH:
        return f"密码不能超过{MAX_LENGTH}位"
    lowered = password.lower()
    name = (username or "").strip().lower()
    if name and name in lowered:
        return "密码不能包含用户名"
    if len(set(password)) == 1:
        return "密码不能由同一个字符重复组成"
    if lowered in common_passwords():
        return "该密码过于常见，容易被猜中，请换一个"
    return None


def password_change_problems(user: Any, current: str, new: str, repeat: str) -> dict[str, str]:
    """Field → message for an owner's 修改密码; empty when the change may be made.

    The current password is asked for so that a session left open on a shared computer
    cannot be turned into a stolen account.
    """
    errors: dict[str, str] = {}
    if not user.check_password(current):
        errors["current_password"] = "当前密码不正确"
    problem = password_problem(new, user.username)
    if problem:
        errors["new_password"] = problem
    elif new != repeat:
        errors["repeat_password"] = "两次输入的新密码不一致"
    elif not errors and user.check_password(new):
        errors["new_password"] = "新密码不能与当前密码相同"
    return errors
