"""Command-line tasks: ``flask --app admin_app init-db | seed-demo | create-user | …``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from .access.passwords import password_problem
from .choices import ImportSource, Role
from .extensions import db
from .lists.validation import check_user
from .models import Child, School, Township, User, Village


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or migrate the database schema to the newest version (Alembic)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    from seed.reference import load_reference

    from .assessment.dataversion import bump

    load_reference(db.session)
    # Whatever a migration rewrote, figures cached by a running process are now stale.
    bump(db.session)
    db.session.commit()
    click.echo(f"数据库已就绪：{db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
@with_appcontext
@click.option(
    "--scale",
    type=click.Choice(["township", "county", "province"]),
    default="township",
    show_default=True,
    help=(
        "township: 联合乡, ~12 villages, ~1,500 children; county: 300 villages, 100,000 "
        "children; province (a trial on PostgreSQL): 3,000 villages, 1,000,000 children."
    ),
)
@click.option("--if-empty", is_flag=True, help="Do nothing when children already exist.")
@click.option("--seed", "random_seed", type=int, default=2026, show_default=True)
def seed_demo_command(scale: str, if_empty: bool, random_seed: int) -> None:
    """Load the deterministic demo data set (and one user per role)."""
    from seed.demo.build import build_demo

    if if_empty and db.session.scalar(select(func.count(Child.id))):
        click.echo("已有数据，跳过演示数据生成。")
        return
    summary = build_demo(db.session, scale=scale, random_seed=random_seed)
    click.echo("演示数据已生成：" + "，".join(f"{k} {v}" for k, v in summary.items()))


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", help="Display name (defaults to the username).")
@click.option("--village", "village_name", help="村名, for --role village.")
@click.option("--school", "school_name", help="校名, for --role school.")
@click.option(
    "--township",
    "township_name",
    help="乡镇名: a township role sees only this township's rows (none: every township).",
)
@click.option("--password", help="Prompted for (hidden, twice) when absent.")
def create_user_command(
    username: str,
    role: str,
    display_name: str | None,
    village_name: str | None,
    school_name: str | None,
    township_name: str | None,
    password: str | None,
) -> None:
    """Create a user account."""
    if password is None:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, username)
    if problem:
        raise click.UsageError(problem + "。")
    user = User(username=username, display_name=display_name or username, role=Role(role))
    if township_name:
        user.township = db.session.scalar(select(Township).where(Township.name == township_name))
        if user.township is None:
            raise click.UsageError(f"找不到乡镇“{township_name}”。")
    # Village and school names repeat across a county's townships: --township picks one.
    in_township = (Village.township_id == user.township.id,) if user.township is not None else ()
    if village_name:
        villages = db.session.scalars(
            select(Village).where(Village.name == village_name, *in_township).limit(2)
        ).all()
        if len(villages) > 1:
            raise click.UsageError(
                f"多个乡镇都有行政村“{village_name}”，请用 --township 指明乡镇。"
            )
        user.village = villages[0] if villages else None
        if user.village is None:
            raise click.UsageError(f"找不到行政村“{village_name}”。")
    if school_name:
        user.school = db.session.scalar(select(School).where(School.name == school_name))
        if user.school is None:
            raise click.UsageError(f"找不到学校“{school_name}”。")
    errors = check_user(db.session, user)
    if errors:
        raise click.UsageError("；".join(errors.values()))
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    db.session.add(user)
    db.session.commit()
    click.echo(f"已创建用户 {username}（{Role(role).label}）。")


@click.command("demo-accounts")
@with_appcontext
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def demo_accounts_command(port: int) -> None:
    """Print the demo accounts to log in with."""
    from seed.demo.settings import DEMO_ACCOUNTS, TOWNSHIP_ACCOUNT_PASSWORDS

    click.echo(f"面板地址：http://127.0.0.1:{port}/admin/（按 Ctrl+C 停止）")
    click.echo("演示账号（用户名 / 密码 / 角色）：")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.username:<10} {account.password:<14} {account.role.label}")
    # 全县部署: the township accounts the seed made (county scale), each kept to its township.
    kept = db.session.execute(
        select(User.username, User.role, Township.name)
        .join(Township, Township.id == User.township_id)
        .where(User.is_demo, User.role.in_(list(TOWNSHIP_ACCOUNT_PASSWORDS)))
        .order_by(User.username)
    ).all()
    if kept:
        click.echo("各乡镇账号（只看本乡镇数据）：")
    for username, role, township in kept:
        password = TOWNSHIP_ACCOUNT_PASSWORDS[role]
        click.echo(f"  {username:<10} {password:<14} {role.label}（{township}）")


@click.command("import")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ImportSource]),
    required=True,
    help="poverty: 帮扶对象名单; roster: 学籍名单.",
)
@click.option(
    "--commit",
    "do_commit",
    is_flag=True,
    help="Write the valid rows (default: preview only).",
)
@click.option("--user", "username", help="用户名, recorded as the importer of the batch.")
@click.option(
    "--list-date",
    "list_date",
    help="名单日期 (YYYY-MM-DD, default today): when the statuses and categories it sets start.",
)
def import_command(
    file: str, kind: str, do_commit: bool, username: str | None, list_date: str | None
) -> None:
    """Preview (or with --commit apply) a county list, as the 名单导入 screen does."""
    from pathlib import Path

    from .lists.imports import ImportFailed, RowAction, commit_plan, parse_list_date, plan_file
    from .reports.tables import TableError, sha256_of

    on, problem = parse_list_date(list_date)
    if problem:
        raise click.UsageError(problem)
    content = Path(file).read_bytes()
    user = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.UsageError(f"找不到用户“{username}”。")
    try:
        plan = plan_file(
            db.session, content, Path(file).name, ImportSource(kind), sha256=sha256_of(content)
        )
    except TableError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{plan.kind.label}“{plan.file_name}”，第{plan.table.header_line}行为表头。")
    if plan.table.unknown_headers:
        click.echo("未识别、不导入的列：" + "、".join(plan.table.unknown_headers))
    for row in plan.rows:
        if row.action == RowAction.ERROR:
            click.echo(f"第{row.line}行 {row.name} {row.id_number}：" + "；".join(row.errors))
        elif row.notes:
            click.echo(f"第{row.line}行 {row.name}（提示）：" + "；".join(row.notes))
    click.echo(plan.summary())
    if not do_commit:
        click.echo("预览完毕，未写入。加 --commit 写入有效行。")
        return
    try:
        batch = commit_plan(
            db.session,
            plan,
            user_id=user.id if user else None,
            username=user.username if user else "cli",
            list_date=on,
        )
    except ImportFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"已导入（批次#{batch.id}）：新增{batch.n_new}，更新{batch.n_updated}，"
        f"无变化{batch.n_unchanged}，未导入{batch.n_rejected}。"
    )


@click.command("backup")
@with_appcontext
def backup_command() -> None:
    """Archive the database, issued workbooks and stored uploads into BACKUP_DIR."""
    from .util.backup import BackupError, create_backup

    try:
        made = create_backup(current_app._get_current_object())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(made.tables.values())
    click.echo(f"备份完成：{made.path}（{len(made.tables)} 张表 {rows} 行，文件 {made.files} 个）")


@click.command("restore")
@with_appcontext
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(archive: Path, yes: bool) -> None:
    """Replace the database, exports and uploads with those of a backup archive."""
    from .util.backup import BackupError, restore_backup

    if not yes:
        click.confirm("恢复将用备份覆盖当前数据库和文件，确定继续吗？", abort=True)
    try:
        counts = restore_backup(current_app._get_current_object(), archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"恢复完成：{len(counts)} 张表 {sum(counts.values())} 行。")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0: every interface.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the panel with waitress (production); refuses demo accounts or a weak secret."""
    import waitress

    from .util.serving import log_requests, log_to_file, serving_problems

    app = current_app._get_current_object()
    problems = serving_problems(app)
    if problems:
        raise click.ClickException("拒绝启动：\n- " + "\n- ".join(problems))
    log = log_to_file(app)
    log_requests(app)
    click.echo(f"控辍保学管理平台：http://{host}:{port}/admin/（日志：{log}；按 Ctrl+C 停止）")
    waitress.serve(app, host=host, port=port, threads=threads, ident="kongchuo")


@click.command("scan-alerts")
@with_appcontext
def scan_alerts_command() -> None:
    """Raise and close the 动态监测预警 alerts now (cron: once a night; pages scan too)."""
    from .cases.alerts import scan

    result = scan(db.session)
    db.session.commit()
    raised = "，".join(f"{kind.label} {n}" for kind, n in result.raised.items())
    closed = result.closed
    click.echo(f"预警扫描完成：新增 {result.total_raised} 条（{raised}），自动关闭 {closed} 条。")


def register_commands(app: Flask) -> None:
    for command in (
        scan_alerts_command,
        serve_command,
        backup_command,
        restore_command,
        init_db_command,
        seed_demo_command,
        create_user_command,
        demo_accounts_command,
        import_command,
    ):
        app.cli.add_command(command)
