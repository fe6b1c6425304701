"""Connection settings: a command's flags, then the same flags before it, then RED5_*.

`red5-bcs --base-url URL rooms` and `red5-bcs rooms --base-url URL` both
work. A flag after the command wins over one before it, and either wins over
the `RED5_*` environment variables, which the SDK reads itself.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import anyio
import typer

from .._client import AsyncRed5Client

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "BaseUrlOption",
    "CliSettings",
    "MasterKeyOption",
    "MasterSecretOption",
    "PubNubBaseUrlOption",
    "TimeoutOption",
    "connection_options",
    "run_with_client",
]

ResultT = TypeVar("ResultT")

DEFAULT_TIMEOUT_SECONDS = 10.0
CONNECTION_PANEL = "Connection"

MasterKeyOption = Annotated[
    str | None,
    typer.Option(
        "--master-key",
        help="The account's master key. Default: RED5_MASTER_KEY.",
        rich_help_panel=CONNECTION_PANEL,
        show_default=False,
    ),
]
MasterSecretOption = Annotated[
    str | None,
    typer.Option(
        "--master-secret",
        help=(
            "The account's master secret. Default: RED5_MASTER_SECRET. Prefer the "
            "variable: other users can read command-line flags in the process list."
        ),
        rich_help_panel=CONNECTION_PANEL,
        show_default=False,
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help=(
            "The conference API's URL or host[:port]. Default: RED5_BASE_URL, "
            "then the host sealed in the master secret."
        ),
        rich_help_panel=CONNECTION_PANEL,
        show_default=False,
    ),
]
PubNubBaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--pubnub-base-url",
        help=(
            "PubNub's URL, used to grant chat tokens. Default: "
            "RED5_PUBNUB_BASE_URL, then https://ps.pndsn.com."
        ),
        rich_help_panel=CONNECTION_PANEL,
        show_default=False,
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help=(
            "Seconds to wait for each request attempt; connecting is capped at "
            f"5 s. Default: {DEFAULT_TIMEOUT_SECONDS:g}."
        ),
        rich_help_panel=CONNECTION_PANEL,
        show_default=False,
    ),
]


@dataclasses.dataclass(frozen=True)
class CliSettings:
    """Connection settings given as flags; None means "use RED5_* or the default".

    Attributes:
        master_key: The account's master key.
        master_secret: The account's master secret; hidden from `repr()`.
        base_url: The conference API's URL or host.
        pubnub_base_url: PubNub's URL.
        timeout: Seconds per request attempt.
    """

    master_key: str | None = None
    master_secret: str | None = dataclasses.field(default=None, repr=False)
    base_url: str | None = None
    pubnub_base_url: str | None = None
    timeout: float | None = None

    def merged(self, overrides: dict[str, Any]) -> CliSettings:
        """Return a copy where every override that is not None replaces a field."""
        explicit = {
            name: value for name, value in overrides.items() if value is not None
        }
        return dataclasses.replace(self, **explicit)

    def open_client(self) -> AsyncRed5Client:
        """Create a client from these settings and the RED5_* variables.

        Raises:
            ConfigurationError: Credentials are missing or a setting is invalid.
            CredentialsError: The master secret cannot be opened with the key.
        """
        timeout = DEFAULT_TIMEOUT_SECONDS if self.timeout is None else self.timeout
        return AsyncRed5Client(
            self.master_key,
            self.master_secret,
            base_url=self.base_url,
            pubnub_base_url=self.pubnub_base_url,
            timeout=timeout,
        )


def run_with_client(
    settings: CliSettings,
    operation: Callable[[AsyncRed5Client], Awaitable[ResultT]],
) -> ResultT:
    """Open a client, run one async operation on it, close it and return the result."""

    async def run() -> ResultT:
        async with settings.open_client() as client:
            return await operation(client)

    return anyio.run(run)


_CONNECTION_PARAMETERS = (
    inspect.Parameter(
        "master_key", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=MasterKeyOption,
    ),
    inspect.Parameter(
        "master_secret", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=MasterSecretOption,
    ),
    inspect.Parameter(
        "base_url", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=BaseUrlOption,
    ),
    inspect.Parameter(
        "pubnub_base_url", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=PubNubBaseUrlOption,
    ),
    inspect.Parameter(
        "timeout", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=TimeoutOption,
    ),
)  # fmt: skip
_CONTEXT_PARAMETER = inspect.Parameter(
    "typer_context", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context
)


def connection_options(
    command: Callable[..., ResultT],
) -> Callable[..., ResultT]:
    """Give a command the connection flags and pass it the merged settings.

    The command's first parameter must be `settings: CliSettings`. Typer
    builds the command line from the signature, so the returned function
    declares the command's own parameters, then the connection flags, and
    Typer's context, which carries the flags given before the command.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "settings"]
    exposed = signature.replace(
        parameters=[*own, *_CONNECTION_PARAMETERS, _CONTEXT_PARAMETER]
    )

    @functools.wraps(command)
    def run_command(*args: Any, **kwargs: Any) -> ResultT:
        context: typer.Context = kwargs.pop(_CONTEXT_PARAMETER.name)
        overrides = {p.name: kwargs.pop(p.name) for p in _CONNECTION_PARAMETERS}
        settings = root_settings(context).merged(overrides)
        return command(settings, *args, **kwargs)

    # Typer reads both the signature and the annotations of the function, and
    # mypy does not know that functions accept a `__signature__` attribute.
    run_command.__signature__ = exposed  # type: ignore[attr-defined]
    run_command.__annotations__ = {
        parameter.name: parameter.annotation
        for parameter in exposed.parameters.values()
    }
    run_command.__annotations__["return"] = signature.return_annotation
    return run_command


def root_settings(context: typer.Context) -> CliSettings:
    """Return the settings given before the command, or defaults when there are none."""
    settings = context.find_root().obj
    return settings if isinstance(settings, CliSettings) else CliSettings()
