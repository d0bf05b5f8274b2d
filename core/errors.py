"""The one error hierarchy of Hatch's services.

Services raise these; the API's exception handler (web.exception_handler) turns them into
``{"error": ..., "fields": {...}}`` responses, and commands print the message.
"""


class ApplicationError(Exception):
    """A request Hatch understood but will not carry out; ``message`` tells a person why."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = {field: [message]} if field else {}


class ValidationError(ApplicationError):
    """The input is unusable as given (bad phone number, sender not allowed, ...)."""


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    """The request is well formed, but the state of things forbids it (e.g. an opt-out)."""

    status_code = 409


class PayloadTooLarge(ApplicationError):
    """What was sent is larger than Hatch accepts for it (files over a channel's limit)."""

    status_code = 413


class Forbidden(ApplicationError):
    """The request is understood and well formed, but this user may not do it (send under
    another teammate's name, say)."""

    status_code = 403


class TooManyRequests(ApplicationError):
    """A limit has been reached; ``retry_after``: seconds until it lets the request through
    (the API's Retry-After header)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after
