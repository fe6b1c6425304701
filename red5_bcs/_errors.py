"""The exceptions raised by red5-bcs.

Every exception the SDK raises on purpose derives from `Red5Error`::

    Red5Error
    ├── ConfigurationError          missing or conflicting client settings
    ├── CredentialsError            a master secret that cannot be opened
    ├── InvalidArgumentError        a bad argument, found before any request
    │                               (also a ValueError)
    ├── InvalidTokenError           a conference token that fails verification
    │   └── ExpiredTokenError       ... because it has expired
    ├── ChatGrantError              PubNub Access Manager refused a grant
    └── APIError                    a conference API call failed
        ├── APIConnectionError      no usable response (connect, read, protocol)
        │   └── APITimeoutError     ... because a timeout expired
        ├── APIStatusError          the server returned a 4xx or 5xx
        │   ├── BadRequestError         400
        │   ├── AuthenticationError     401
        │   ├── PermissionDeniedError   403
        │   ├── NotFoundError           404
        │   ├── ConflictError           409
        │   ├── RateLimitError          429
        │   └── InternalServerError     500 and above
        └── APIResponseValidationError  a 2xx body that is not the expected JSON

No message ever contains a secret, a token or a signature: messages name the
argument, the step or the request path, never the sensitive value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatGrantError",
    "ConfigurationError",
    "ConflictError",
    "CredentialsError",
    "ExpiredTokenError",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidTokenError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Red5Error",
    "status_error_class",
]


class Red5Error(Exception):
    """Base class of every exception raised by red5-bcs."""


class ConfigurationError(Red5Error):
    """The client was given missing or conflicting settings."""


class CredentialsError(Red5Error):
    """A master key and secret could not be opened into credentials.

    The message names the step that failed (base64, hex, AES block size,
    padding, UTF-8, fields) and never contains the key, the secret or any
    decrypted text.
    """


class InvalidArgumentError(Red5Error, ValueError):
    """An argument was rejected before any request was made.

    Attributes:
        argument: The name of the rejected parameter.
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument


class InvalidTokenError(Red5Error):
    """A conference token is malformed, badly signed or has invalid claims."""


class ExpiredTokenError(InvalidTokenError):
    """A conference token's `exp` claim is in the past (beyond the leeway)."""


class ChatGrantError(Red5Error):
    """PubNub Access Manager rejected a grant, or its response was unreadable.

    Attributes:
        status_code: The HTTP status PubNub responded with, or `None` when no
            response was received.
        pubnub_message: PubNub's own explanation, such as `Invalid ttl`, when
            it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        pubnub_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.pubnub_message = pubnub_message


class APIError(Red5Error):
    """A conference API call failed.

    Attributes:
        method: The HTTP method of the failed request.
        path: The request path, as sent (ids percent-encoded).
    """

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class APIConnectionError(APIError):
    """No usable response arrived: the connection failed or broke."""


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout expired."""


class APIStatusError(APIError):
    """The conference API returned a 4xx or 5xx status.

    Attributes:
        status_code: The HTTP status code.
        message: The server's `message` field, or the reason phrase when the
            body had none.
        body: The decoded JSON body, or `None` when it was not JSON.
        headers: The response headers, names in lower case.
        retry_after: The wait the server asked for in `Retry-After`, in
            seconds, or `None` when it did not ask. After a `RateLimitError`
            whose wait was too long to retry automatically, this is how
            long to wait before trying again.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        method: str = "",
        path: str = "",
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.body = body
        self.headers = dict(headers or {})
        self.retry_after = retry_after
        where = f" ({method} {path})" if method else ""
        super().__init__(
            f"The conference API returned {status_code}{where}: {message}",
            method=method,
            path=path,
        )


class BadRequestError(APIStatusError):
    """The server returned 400 Bad Request."""


class AuthenticationError(APIStatusError):
    """The server returned 401: the admin token was missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """The server returned 403: the token is valid but not allowed here."""


class NotFoundError(APIStatusError):
    """The server returned 404: the room, user or stream does not exist."""


class ConflictError(APIStatusError):
    """The server returned 409, for example a recording already running."""


class RateLimitError(APIStatusError):
    """The server returned 429 Too Many Requests."""


class InternalServerError(APIStatusError):
    """The server returned with a 5xx status."""


class APIResponseValidationError(APIError):
    """A 2xx response body was not JSON or did not have the expected shape.

    Attributes:
        status_code: The HTTP status of the response.
        excerpt: The first characters of the body, for diagnosis.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        excerpt: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.status_code = status_code
        self.excerpt = excerpt


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """Return the `APIStatusError` subclass for an HTTP error status."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIStatusError)
