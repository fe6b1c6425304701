"""Exit codes and the one-line error messages of the `red5-bcs` command.

Exit codes:

- 0: the command did what it was asked.
- 1: the service, PubNub or the network failed, or a token did not verify.
- 2: the command was used wrongly: a bad flag or argument, or missing or
  invalid credentials and settings.
"""

from __future__ import annotations

from .._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    ChatGrantError,
    ConfigurationError,
    ConflictError,
    CredentialsError,
    ExpiredTokenError,
    InternalServerError,
    InvalidArgumentError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Red5Error,
)

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "error_line", "exit_code_for"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_USAGE_ERRORS = (InvalidArgumentError, ConfigurationError, CredentialsError)
_PUBNUB_PATH_PREFIX = "/v3/pam/"

# The first entry whose class matches the error supplies the advice, so
# subclasses come before their bases.
_ADVICE: tuple[tuple[type[Red5Error], str], ...] = (
    (ExpiredTokenError, "Mint a new token."),
    (
        InvalidTokenError,
        "Check that the token was copied whole and minted with these credentials.",
    ),
    (
        ChatGrantError,
        "Check the PubNub keys sealed in the master secret and "
        "RED5_PUBNUB_BASE_URL (or --pubnub-base-url).",
    ),
    (APITimeoutError, "Retry, or raise --timeout if the service is slow."),
    (
        APIConnectionError,
        "Check RED5_BASE_URL (or --base-url) and that the service is reachable.",
    ),
    (
        AuthenticationError,
        "Check that the master key and secret belong to this service.",
    ),
    (
        PermissionDeniedError,
        "Check that the master key and secret belong to this service.",
    ),
    (NotFoundError, "Check the room, user and stream ids."),
    (ConflictError, "Check the current state of the room and retry."),
    (RateLimitError, "Wait a moment and retry."),
    (InternalServerError, "The service failed; retry later."),
    (
        APIResponseValidationError,
        "Check that RED5_BASE_URL (or --base-url) points at a Red5 conference API.",
    ),
    (InvalidArgumentError, "Run the command with --help to see what it accepts."),
    (
        ConfigurationError,
        "The flags --master-key, --master-secret, --base-url, --pubnub-base-url "
        "and --timeout set the same values.",
    ),
)


def exit_code_for(error: Red5Error) -> int:
    """Return the exit code for an SDK error: 2 for bad usage, else 1."""
    if isinstance(error, _USAGE_ERRORS):
        return EXIT_USAGE
    return EXIT_FAILURE


def error_line(error: Red5Error) -> str:
    """Return a one-line message naming the error's class, its cause and a fix.

    SDK messages never contain a token, a secret or a signature, so the
    message is safe to print.
    """
    message = " ".join(str(error).split())
    advice = _advice(error)
    line = f"Error: {type(error).__name__}: {message}"
    return f"{line} {advice}" if advice else line


def _advice(error: Red5Error) -> str | None:
    if isinstance(error, APIConnectionError) and _is_pubnub_call(error):
        if isinstance(error, APITimeoutError):
            return "Retry, or raise --timeout if PubNub is slow."
        return (
            "Check RED5_PUBNUB_BASE_URL (or --pubnub-base-url) and that PubNub "
            "is reachable."
        )
    for error_class, advice in _ADVICE:
        if isinstance(error, error_class):
            return advice
    return None


def _is_pubnub_call(error: APIError) -> bool:
    return error.path.startswith(_PUBNUB_PATH_PREFIX)
