"""Checks of admin tokens (conference API calls) and conference tokens (joins).

Both are HS256 JWTs signed with the conference secret. Expiry is checked
against the emulator's clock with no leeway, and a token is expired from the
second named in `exp` on (RFC 7519 section 4.1.4). So the emulator is never
more lenient than a server whose clock agrees with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .._credentials import Red5Credentials
from .._errors import ExpiredTokenError, InvalidTokenError
from .._tokens import AdminClaims, ClaimsT, ConferenceClaims, Role, verify_token
from ._errors import EmulatorError, JoinRejectedError

__all__ = ["ADMIN_SCOPE", "verify_admin_token", "verify_conference_token"]

ADMIN_SCOPE = "admin"
"""The `roomId` of admin tokens for calls that are not about one room."""


def verify_admin_token(
    authorization: Sequence[str],
    credentials: Red5Credentials,
    now: float,
    scope: str,
) -> None:
    """Check the `Authorization` headers of a conference API call.

    Args:
        authorization: Every `Authorization` header of the request.
        credentials: The account the emulator serves.
        now: The current time, Unix seconds.
        scope: The room the call is about, or `ADMIN_SCOPE`.

    Raises:
        EmulatorError: 401 when the header is missing or repeated, is not a
            Bearer token, or the token is malformed, badly signed or expired;
            403 when the token is valid but is not an admin token for `scope`.
    """
    if len(authorization) != 1:
        raise EmulatorError(
            401,
            "Send exactly one Authorization header with an admin token in the "
            f"'Bearer' scheme; the request has {len(authorization)}.",
        )
    scheme, _, token = authorization[0].partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise EmulatorError(
            401,
            "The Authorization header must carry an admin token in the 'Bearer' "
            "scheme.",
        )

    claims = _verify(token.strip(), credentials, now, AdminClaims, EmulatorError)
    if claims.uid != ADMIN_SCOPE or claims.role is not Role.ADMIN:
        raise EmulatorError(
            403, "The token is not an admin token: its uid and role must be 'admin'."
        )
    if claims.room_id != scope:
        raise EmulatorError(
            403,
            f"The admin token is for room {claims.room_id!r}, but this call is "
            f"about {scope!r}.",
        )


def verify_conference_token(
    token: object, credentials: Red5Credentials, now: float
) -> ConferenceClaims:
    """Check a conference token as a Red5 server does when a participant joins.

    Raises:
        JoinRejectedError: 401 when the token is malformed, badly signed,
            expired or has invalid claims (such as an unknown role); 403 when
            its PubNub keys are not the account's.
    """
    claims = _verify(token, credentials, now, ConferenceClaims, JoinRejectedError)
    keys_match = (
        claims.pubnub_subscribe_key == credentials.pubnub_subscribe_key
        and claims.pubnub_publish_key == credentials.pubnub_publish_key
    )
    if not keys_match:
        raise JoinRejectedError(
            403, "The token's PubNub keys are not this account's PubNub keys."
        )
    return claims


def _verify(
    token: object,
    credentials: Red5Credentials,
    now: float,
    model: type[ClaimsT],
    error: type[EmulatorError],
) -> ClaimsT:
    try:
        claims = verify_token(
            token,  # type: ignore[arg-type]  # verify_token rejects non-str itself
            credentials.conference_secret,
            model,
            leeway=0,
            now=now,
        )
    except ExpiredTokenError as exc:
        raise error(401, str(exc)) from None
    except InvalidTokenError as exc:
        raise error(401, str(exc)) from None

    if now >= claims.exp:
        expired_at = datetime.fromtimestamp(claims.exp, UTC).isoformat()
        raise error(401, f"The token expired at {expired_at}.")
    return claims
