"""Command-line tasks: init-db, create-user, demo-accounts."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import User


def user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_create_user_with_password_option(app, runner, world):
    result = runner.invoke(
        args=[
            "create-user",
            "wang",
            "--role",
            "clerk",
            "--name",
            "王职员",
            "--password",
            "river-stone-42",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户 wang" in result.output
    created = user(app, "wang")
    assert created.role == Role.CLERK and created.display_name == "王职员"
    assert created.check_password("river-stone-42")


def test_create_user_prompts_for_password_twice(app, runner, world):
    result = runner.invoke(
        args=["create-user", "li", "--role", "village", "--village", "新华村"],
        input="cloud-lamp-77\ncloud-lamp-77\n",
    )
    assert result.exit_code == 0, result.output
    created = user(app, "li")
    assert created.village_id == world.village_b and created.check_password("cloud-lamp-77")


def test_create_user_refuses_unknown_village_short_password_and_duplicates(app, runner, world):
    result = runner.invoke(
        args=[
            "create-user",
            "zhao",
            "--role",
            "village",
            "--village",
            "不存在村",
            "--password",
            "river-stone-42",
        ]
    )
    assert result.exit_code != 0 and "找不到行政村" in result.output
    result = runner.invoke(args=["create-user", "zhao", "--role", "clerk", "--password", "short"])
    assert result.exit_code != 0 and "密码至少10位" in result.output
    # The policy of the user form: no common password, not the username.
    result = runner.invoke(
        args=["create-user", "zhao", "--role", "clerk", "--password", "1234567890"]
    )
    assert result.exit_code != 0 and "该密码过于常见" in result.output
    result = runner.invoke(
        args=["create-user", "zhao", "--role", "clerk", "--password", "zhao-2026-x"]
    )
    assert result.exit_code != 0 and "密码不能包含用户名" in result.output
    result = runner.invoke(
        args=["create-user", "clerk", "--role", "clerk", "--password", "river-stone-42"]
    )
    assert result.exit_code != 0 and "该用户名已被使用" in result.output
    result = runner.invoke(
        args=["create-user", "xx", "--role", "school", "--password", "river-stone-42"]
    )
    assert result.exit_code != 0 and "学校账号须选择所属学校" in result.output
    assert user(app, "zhao") is None


def test_created_user_can_log_in(app, runner, world):
    from tests.helpers import login

    runner.invoke(args=["create-user", "sun", "--role", "leader", "--password", "river-stone-42"])
    client = app.test_client()
    assert login(client, "sun", "river-stone-42").status_code == 302
    assert client.get("/admin/child/").status_code == 200
