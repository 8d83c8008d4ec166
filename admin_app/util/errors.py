"""Error pages in Chinese: no request ends in a bare English error or a stack trace."""

from __future__ import annotations

import errno

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("请求无效", "提交的内容不完整或格式有误，请返回后重试。"),
    403: ("无权访问", "您的账号角色无权查看或修改此内容。如需权限，请联系系统管理员。"),
    404: ("记录不存在", "您要找的页面或记录不存在，或不在您的管辖范围内。"),
    405: ("请求方式不被允许", "请通过页面上的按钮操作。"),
    413: ("文件过大", "上传的文件超过大小上限。"),
    500: ("系统错误", "服务器处理时出错，已记录。请稍后重试或联系系统管理员。"),
    503: ("暂时无法服务", "数据库暂时无法访问。"),
}

DISK_FULL = (
    "服务器磁盘已满，本次操作未保存任何内容（已填写的内容请勿关闭页面）。"
    "请通知信息员清理磁盘（见部署指南“磁盘满了”）后再试。"
)
DATABASE_DOWN = (
    "数据库暂时无法访问（可能已停止、正在重启或正忙），本次操作未保存任何内容。"
    "请稍后重试；如持续出现，请通知信息员（见部署指南“数据库停了”）。"
)
#: How a full disk reads in the database's own words: SQLite, PostgreSQL (SQLSTATE 53100).
_DISK_FULL_WORDS = ("database or disk is full", "no space left on device", "could not extend file")


def storage_problem(error: BaseException) -> str | None:
    """The Chinese explanation when ``error`` is the disk or the database failing, else None.

    These are not bugs to hide behind "系统错误": a clerk can wait and retry, and the
    information officer needs to know which of the two to fix. Every write is one
    transaction, rolled back on error, so in both cases nothing was half-written.
    """
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return DISK_FULL
    if isinstance(error, OperationalError | InterfaceError):
        cause = error.orig
        text = str(cause or error).lower()
        if getattr(cause, "sqlstate", None) == "53100" or any(w in text for w in _DISK_FULL_WORDS):
            return DISK_FULL
        return DATABASE_DOWN
    return None


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, (f"错误 {code}", "请求未能完成。"))
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(
            400, "页面已过期或缺少安全令牌（CSRF），未保存任何内容。请刷新页面后重试。"
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        from ..extensions import db

        problem = storage_problem(error)
        # A database that is down may refuse the rollback too; the page must still come.
        try:
            db.session.rollback()
        except Exception:
            app.logger.warning("rollback failed after %r", error)
        if problem is not None:
            app.logger.error("Storage unavailable: %s", error)
            return render_error(503, problem)
        app.logger.exception("Unhandled error")
        return render_error(500)
