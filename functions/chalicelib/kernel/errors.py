"""Typed errors, mapped to HTTP once (see `http.py`).

Services and tables raise these; routes never build error responses by hand.
Nothing branches on an error's message: callers look at the class or `code`.
"""

from __future__ import annotations

from typing import Any


class ConfigError(RuntimeError):
    """The deployment is misconfigured (missing secret, bad variable): a real 500."""


class AppError(Exception):
    """Base of every error mapped to an answer. A subclass declares what differs from its parent
    as class keywords: `class Gone(AppError, status=410, code="gone", message="It is gone.")`
    (or as class attributes, as the subclasses in the domains do)."""

    status = 500
    code = "internal_error"
    openai_type = "api_error"
    default_message = "Something went wrong on our side."

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None,
                          openai_type: str | None = None, message: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
        if openai_type is not None:
            cls.openai_type = openai_type
        if message is not None:
            cls.default_message = message

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


class BadRequest(AppError, status=400, code="bad_request", openai_type="invalid_request_error",
                 message="The request is not valid."):
    """The input cannot be used as sent."""


class ValidationFailed(BadRequest, code="validation_error"):
    """A field of the body or query failed its schema (`details` lists each problem)."""


class Unauthorized(AppError, status=401, code="unauthorized", openai_type="authentication_error",
                   message="Authentication is required."):
    """No caller, or one whose token or key does not verify."""


class KeyNotCurrent(Unauthorized, code="invalid_api_key", message="This API key is not valid."):
    """The key was revoked or changed after the request read it (the reservation's condition)."""


class InvalidCredentials(Unauthorized, code="invalid_credentials", message="Invalid username, password or code."):
    """Sign-in refused; the message never says which part was wrong."""


class InsufficientBalance(AppError, status=402, code="insufficient_balance", openai_type="insufficient_quota",
                          message="Your balance is too low for this request."):
    """The reservation or a purchase needs more than `available`."""


class Forbidden(AppError, status=403, code="forbidden", openai_type="permission_error",
                message="You are not allowed to do this."):
    """A known caller without the right (role, status, membership)."""


class NotFound(AppError, status=404, code="not_found", openai_type="invalid_request_error", message="Not found."):
    """No such item, or one the caller may not see."""


class Conflict(AppError, status=409, code="conflict", openai_type="invalid_request_error",
               message="The request conflicts with the current state."):
    """The state changed or forbids this (a failed condition that is not about money)."""


class AlreadyExists(Conflict, code="already_exists", message="It already exists."):
    """A unique name or id is taken (a conditional put failed)."""


class PayloadTooLarge(AppError, status=413, code="payload_too_large", openai_type="invalid_request_error",
                      message="The request body is too large."):
    """The body is over MAX_BODY_BYTES / PROXY_MAX_BODY_BYTES."""


class Locked(AppError, status=423, code="account_locked", openai_type="invalid_request_error",
             message="Too many failed attempts; try again later."):
    """Sign-in is locked for this name after repeated failures."""


class RateLimited(AppError, status=429, code="rate_limited", openai_type="rate_limit_error",
                  message="Too many requests; slow down."):
    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any) -> None:
        headers = {"Retry-After": str(max(1, int(retry_after))), **kw.pop("headers", {})}
        super().__init__(message, headers=headers, **kw)
        self.retry_after = retry_after


class QuotaExceeded(AppError, status=429, code="quota_exceeded", openai_type="insufficient_quota",
                    message="The quota of this key is used up for the current period."):
    """The reservation would pass the quota's limit for this period."""


class UpstreamError(AppError, status=502, code="upstream_error", message="The upstream provider failed to answer."):
    """The provider failed or answered with an error (its text scrubbed)."""


class UpstreamTimeout(UpstreamError, status=504, code="upstream_timeout",
                      message="The upstream provider did not answer in time."):
    """The provider did not answer before the deadline."""


class ServiceUnavailable(AppError, status=503, code="service_unavailable",
                         message="The service is busy; retry shortly."):
    """Contention outlasted the bounded retries; the client may retry."""
