"""Errors that services raise; views, the API and the CLI turn them into Chinese messages.

Services never return half-done work: they raise before or roll back the transaction.
"""


class ServiceError(Exception):
    """A request the platform refuses, with a message for the user (in Chinese)."""

    status = 400

    def __init__(
        self, message: str, *, field: str | None = None, errors: dict[str, list[str]] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class ValidationFailed(ServiceError):
    """Input is wrong (a field, a row, a column)."""

    status = 422


class NotAllowed(ServiceError):
    """The user's role or department does not allow this (谁管理、谁维护)."""

    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """The state does not allow this now (e.g. an edit of something already published)."""

    status = 409
