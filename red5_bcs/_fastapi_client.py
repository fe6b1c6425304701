"""A FastAPI app's shared client: lifespans that open it, a dependency to use it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, TypeAlias, TypedDict, TypeVar, Unpack, overload

import httpx2
from fastapi import Depends, HTTPException
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from ._base import TransportName
from ._client import AsyncRed5Client
from ._credentials import Red5Credentials
from ._pubnub import ChatGranter
from ._tokens import TokenMinter

__all__ = [
    "GENERIC_500_DETAIL",
    "STATE_ATTRIBUTE",
    "Red5ClientDep",
    "Red5ClientNotInstalledError",
    "Red5ClientOptions",
    "get_red5_client",
    "open_red5_client",
    "red5_lifespan",
]

logger = logging.getLogger("red5_bcs.fastapi")

STATE_ATTRIBUTE = "red5_client"
"""The `app.state` attribute that contains the shared client."""

GENERIC_500_DETAIL = "Internal server error."

AppT = TypeVar("AppT", bound=Starlette)


class Red5ClientOptions(TypedDict, total=False):
    """The keyword arguments of `AsyncRed5Client`, passed through unchanged."""

    master_key: str | None
    master_secret: str | None
    credentials: Red5Credentials | None
    base_url: str | None
    pubnub_base_url: str | None
    timeout: float | httpx2.Timeout | None
    max_retries: int
    http_client: httpx2.AsyncClient | None
    minter: TokenMinter | None
    chat_granter: ChatGranter | None
    limits: httpx2.Limits | None
    transport: TransportName
    clock: Callable[[], float] | None


def _check_client_source(
    client_factory: Callable[[], AsyncRed5Client] | None,
    options: Red5ClientOptions,
) -> None:
    if client_factory is not None and options:
        names = ", ".join(sorted(options))
        raise TypeError(
            f"Pass either client_factory or client options ({names}), not both."
        )
    if client_factory is not None and not callable(client_factory):
        raise TypeError("client_factory must be a callable that returns a client.")


@asynccontextmanager
async def open_red5_client(
    app: Starlette,
    *,
    client_factory: Callable[[], AsyncRed5Client] | None = None,
    **options: Unpack[Red5ClientOptions],
) -> AsyncIterator[AsyncRed5Client]:
    """Open one client, store it as `app.state.red5_client`, and close it on exit.

    Use it inside an application's own lifespan when `red5_lifespan` does not
    fit. On exit the client is closed and the attribute removed.

    Args:
        app: The application whose routes use the client.
        client_factory: Creates the client, instead of `options`, for example
            a test emulator's `async_client`.
        **options: Keyword arguments of `AsyncRed5Client`.

    Yields:
        The open client.

    Raises:
        TypeError: Both `client_factory` and options were given, or the
            factory returned something other than an `AsyncRed5Client`.
        RuntimeError: The application already has a client on its state.
        ConfigurationError: The client settings are missing or invalid.
        CredentialsError: The master secret cannot be opened with the key.
    """
    _check_client_source(client_factory, options)
    if getattr(app.state, STATE_ATTRIBUTE, None) is not None:
        raise RuntimeError(
            f"app.state.{STATE_ATTRIBUTE} is already set. Install the Red5 "
            "lifespan only once per application."
        )

    client = client_factory() if client_factory else AsyncRed5Client(**options)
    if not isinstance(client, AsyncRed5Client):
        raise TypeError(
            f"client_factory returned a {type(client).__name__}; it must return "
            "an AsyncRed5Client."
        )
    setattr(app.state, STATE_ATTRIBUTE, client)
    logger.info("Opened the Red5 client for %s.", client.base_url)
    try:
        async with client:
            yield client
    finally:
        delattr(app.state, STATE_ATTRIBUTE)
        logger.info("Closed the Red5 client for %s.", client.base_url)


@overload
def red5_lifespan(
    app_lifespan: None = None,
    /,
    *,
    client_factory: Callable[[], AsyncRed5Client] | None = None,
    **options: Unpack[Red5ClientOptions],
) -> Callable[[Starlette], AbstractAsyncContextManager[Any]]: ...


@overload
def red5_lifespan(
    app_lifespan: Callable[[AppT], AbstractAsyncContextManager[Any]],
    /,
    *,
    client_factory: Callable[[], AsyncRed5Client] | None = None,
    **options: Unpack[Red5ClientOptions],
) -> Callable[[AppT], AbstractAsyncContextManager[Any]]: ...


def red5_lifespan(
    app_lifespan: Callable[[AppT], AbstractAsyncContextManager[Any]] | None = None,
    /,
    *,
    client_factory: Callable[[], AsyncRed5Client] | None = None,
    **options: Unpack[Red5ClientOptions],
) -> Callable[[AppT], AbstractAsyncContextManager[Any]]:
    """Build a lifespan that opens one `AsyncRed5Client` for the application.

    Pass the result as `FastAPI(lifespan=...)`. To keep an existing lifespan,
    pass it as `app_lifespan`: it runs inside, so it can already use
    `app.state.red5_client`, and the state it yields is passed on.

    Args:
        app_lifespan: The application's own lifespan, to wrap.
        client_factory: Creates the client, instead of `options`.
        **options: Keyword arguments of `AsyncRed5Client`, such as `timeout`.
            Without any, the client reads the `RED5_*` environment variables.

    Returns:
        A lifespan function for `FastAPI` or `Starlette`.

    Raises:
        TypeError: Both `client_factory` and options were given.
    """
    _check_client_source(client_factory, options)

    @asynccontextmanager
    async def lifespan(app: AppT) -> AsyncIterator[Any]:
        async with open_red5_client(app, client_factory=client_factory, **options):
            if app_lifespan is None:
                yield None
                return
            async with app_lifespan(app) as state:
                yield state

    return lifespan


class Red5ClientNotInstalledError(HTTPException, RuntimeError):
    """No Red5 client is on `app.state`: the lifespan was not installed.

    It is a `RuntimeError` whose message explains how to install the
    lifespan. It is also an `HTTPException`, so that FastAPI responds with 500
    and the JSON body `{"detail": "Internal server error."}` instead of a
    traceback, even in debug mode.
    """

    def __init__(self) -> None:
        super().__init__(status_code=500, detail=GENERIC_500_DETAIL)
        self.message = (
            f"No Red5 client on app.state.{STATE_ATTRIBUTE}: install the lifespan "
            "with FastAPI(lifespan=red5_lifespan()), or open one with "
            "open_red5_client(app) in your own lifespan."
        )

    def __str__(self) -> str:
        return self.message


def get_red5_client(connection: HTTPConnection) -> AsyncRed5Client:
    """Return the application's shared client, as a FastAPI dependency.

    Raises:
        Red5ClientNotInstalledError: The lifespan was not installed or the
            application has shut down.
    """
    client = getattr(connection.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(client, AsyncRed5Client):
        error = Red5ClientNotInstalledError()
        logger.error("%s", error)
        raise error
    return client


Red5ClientDep: TypeAlias = Annotated[AsyncRed5Client, Depends(get_red5_client)]
"""A route parameter annotated with this receives the shared client."""
