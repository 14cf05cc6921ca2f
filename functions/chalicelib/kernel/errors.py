"""Typed errors, mapped to HTTP once (see `http.py`).

Services and tables raise these; routes never build error responses by hand.
Nothing branches on an error's message: callers look at the class or `code`.
"""

from __future__ import annotations

from typing import Any


class ConfigError(RuntimeError):
    """The deployment is misconfigured (missing secret, bad variable): a real 500."""


class AppError(Exception):
    status = 500
    code = "internal_error"
    openai_type = "api_error"
    default_message = "Something went wrong on our side."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        details: Any = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.param = param
        self.headers = headers or {}
        self.details = details
        super().__init__(self.message)


class BadRequest(AppError):
    status, code, openai_type = 400, "bad_request", "invalid_request_error"
    default_message = "The request is not valid."


class ValidationFailed(BadRequest):
    code = "validation_error"


class Unauthorized(AppError):
    status, code, openai_type = 401, "unauthorized", "authentication_error"
    default_message = "Authentication is required."


class KeyNotCurrent(Unauthorized):
    """The key was revoked or changed after the request read it (the reservation's condition)."""

    code = "invalid_api_key"
    default_message = "This API key is not valid."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    default_message = "Invalid username, password or code."


class InsufficientBalance(AppError):
    status, code, openai_type = 402, "insufficient_balance", "insufficient_quota"
    default_message = "Your balance is too low for this request."


class Forbidden(AppError):
    status, code, openai_type = 403, "forbidden", "permission_error"
    default_message = "You are not allowed to do this."


class NotFound(AppError):
    status, code, openai_type = 404, "not_found", "invalid_request_error"
    default_message = "Not found."


class Conflict(AppError):
    status, code, openai_type = 409, "conflict", "invalid_request_error"
    default_message = "The request conflicts with the current state."


class AlreadyExists(Conflict):
    code = "already_exists"
    default_message = "It already exists."


class PayloadTooLarge(AppError):
    status, code, openai_type = 413, "payload_too_large", "invalid_request_error"
    default_message = "The request body is too large."


class Locked(AppError):
    status, code, openai_type = 423, "account_locked", "invalid_request_error"
    default_message = "Too many failed attempts; try again later."


class RateLimited(AppError):
    status, code, openai_type = 429, "rate_limited", "rate_limit_error"
    default_message = "Too many requests; slow down."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any) -> None:
        headers = {"Retry-After": str(max(1, int(retry_after))), **kw.pop("headers", {})}
        super().__init__(message, headers=headers, **kw)
        self.retry_after = retry_after


class QuotaExceeded(AppError):
    status, code, openai_type = 429, "quota_exceeded", "insufficient_quota"
    default_message = "The quota of this key is used up for the current period."


class UpstreamError(AppError):
    status, code, openai_type = 502, "upstream_error", "api_error"
    default_message = "The upstream provider failed to answer."


class UpstreamTimeout(UpstreamError):
    status, code = 504, "upstream_timeout"
    default_message = "The upstream provider did not answer in time."


class ServiceUnavailable(AppError):
    status, code, openai_type = 503, "service_unavailable", "api_error"
    default_message = "The service is busy; retry shortly."
