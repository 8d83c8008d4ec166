"""Error pages in Chinese: no request ends in a bare English error or a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("请求无效", "提交的内容不完整或格式有误，请返回后重试。"),
    403: ("无权访问", "您的账号角色无权查看或修改此内容。如需权限，请联系系统管理员。"),
    404: ("记录不存在", "您要找的页面或记录不存在，或不在您的管辖范围内。"),
    405: ("请求方式不被允许", "请通过页面上的按钮操作。"),
    413: ("文件过大", "上传的文件超过大小上限。"),
    500: ("系统错误", "服务器处理时出错，已记录。请稍后重试或联系系统管理员。"),
}


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
        app.logger.exception("Unhandled error")
        from .extensions import db

        db.session.rollback()
        return render_error(500)
