"""Typed errors: each carries the server's status and message as it sent them."""

from __future__ import annotations


class InferdError(Exception):
    """The server refused or failed a call, or its answer could not be read.

    status is the HTTP status (or, for gRPC, the HTTP status its code maps to);
    0 when the error arose in the client. message is the server's own text.
    """

    def __init__(self, status: int, message: str, body: object = None) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.message = message
        self.body = body


class InvalidInputError(InferdError):
    """400: the request does not fit the model (names, shapes, datatypes)."""


class UnauthorizedError(InferdError):
    """401: no credential, or one the server does not accept."""


class ForbiddenError(InferdError):
    """403: the credential is valid but does not allow this call."""


class NotFoundError(InferdError):
    """404: no such model, version, label, job or route."""


class ConflictError(InferdError):
    """409: the call conflicts with the current state (a version that exists)."""


class TooManyRequestsError(InferdError):
    """429: a rate limit refused the call."""


class UnavailableError(InferdError):
    """503 or gRPC UNAVAILABLE: not ready, overloaded or shutting down; retried."""


class ServerError(InferdError):
    """Any other 5xx: the server failed the call."""


class TimeoutError(InferdError):  # noqa: A001  (the client's own timeout, not the builtin)
    """The call did not finish within the client's timeout."""


class ConnectionError(InferdError):  # noqa: A001
    """The server could not be reached."""


_BY_STATUS: dict[int, type[InferdError]] = {
    400: InvalidInputError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: TooManyRequestsError,
    503: UnavailableError,
}


def error_for(status: int, message: str, body: object = None) -> InferdError:
    """The typed error for an HTTP status."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else InferdError
    return cls(status, message, body)
