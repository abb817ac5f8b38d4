"""Shared pieces of the JSON API: the error envelope (authentication is accounts/authentication.py).

Errors always come back as ``{"detail": "<中文说明>", "errors": {field: [..]}}`` with the
status the service error carries (400/401/403/404/409/422).
"""

import logging

from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from shuangsuiji.common.errors import ServiceError
from shuangsuiji.common.middleware import exception_refusal

log = logging.getLogger(__name__)


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


# Declared on every authenticated operation so the OpenAPI document lists them.
AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut}
# 422: a path or query value that is not what the operation takes (an id that is no number).
READ_ERRORS = {**AUTH_ERRORS, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _flatten_validation(errors: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        out.setdefault(".".join(loc) or "请求", []).append(err.get("msg", "格式错误"))
    return out


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ServiceError)
    def _service_error(request, exc: ServiceError):
        return api.create_response(
            request, {"detail": exc.message, "errors": exc.errors}, status=exc.status
        )

    @api.exception_handler(ValidationError)
    def _validation_error(request, exc: ValidationError):
        return api.create_response(
            request,
            {"detail": "请求数据格式不正确", "errors": _flatten_validation(exc.errors)},
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def _auth_error(request, exc):
        return api.create_response(
            request, {"detail": "未登录或令牌无效", "errors": {}}, status=401
        )

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        # django-ninja raises HttpError with English text (e.g. an unparsable JSON body).
        messages = {
            400: "请求内容无法解析，请提交有效的 JSON",
            401: "未登录或令牌无效",
            403: "无权执行此操作",
            404: "资源不存在",
            405: "不支持此请求方法",
            429: "请求过于频繁，请稍后再试",
        }
        detail = messages.get(exc.status_code, "请求无法处理")
        return api.create_response(
            request, {"detail": detail, "errors": {}}, status=exc.status_code
        )

    @api.exception_handler(Exception)
    def _unexpected(request, exc: Exception):
        # Whatever a handler did not foresee still answers in the envelope, never as HTML.
        refusal = exception_refusal(request, exc)
        if refusal is not None:
            status, detail = refusal
            response = api.create_response(request, {"detail": detail, "errors": {}}, status=status)
            if status == 503:
                response["Retry-After"] = "5"
            return response
        log.exception("API error on %s %s", request.method, request.path)
        return api.create_response(
            request, {"detail": "服务器内部错误，已记录，请稍后重试", "errors": {}}, status=500
        )
