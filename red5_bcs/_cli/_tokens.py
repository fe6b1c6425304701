"""`red5-bcs token`: mint, decode and verify conference and chat tokens.

Only `token conference` and `token chat` print a token, because printing one
is what they are for. `decode` and `verify` print claims and grants, and
replace the PubNub token embedded in a conference token by its decoded grant.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from .._client import AsyncRed5Client
from .._errors import InvalidTokenError
from .._pubnub import ChatTokenGrant, parse_chat_token
from .._tokens import ConferenceClaims, Role, decode_conference_token
from ._output import (
    JsonOption,
    format_seconds,
    grant_json,
    permission_names,
    print_fields,
    print_json,
    print_note,
    print_table,
)
from ._settings import CliSettings, connection_options, run_with_client

__all__ = ["token_app"]

token_app = typer.Typer(
    help="Mint, decode and verify conference and chat tokens.",
    no_args_is_help=True,
)

UserArgument = Annotated[str, typer.Argument(help="The user id.", show_default=False)]
RoomArgument = Annotated[str, typer.Argument(help="The room id.", show_default=False)]
TokenArgument = Annotated[
    str,
    typer.Argument(
        help="The token, or - to read it from stdin (keeps it out of shell history).",
        show_default=False,
    ),
]
MinutesOption = Annotated[
    int,
    typer.Option(
        "--minutes", help="The token's lifetime in minutes, 1 to 43200 (30 days)."
    ),
]


@token_app.command("conference")
@connection_options
def conference_token(
    settings: CliSettings,
    user: UserArgument,
    room: RoomArgument,
    role: Annotated[
        Role, typer.Option("--role", help="The participant's role in the room.")
    ] = Role.PUBLISHER,
    minutes: MinutesOption = 60,
    json_output: JsonOption = False,
) -> None:
    """Mint the token a participant joins a room with, and print it on stdout.

    The token embeds a PubNub token for the room's chat, so this makes one
    grant call to PubNub.
    """

    async def mint(client: AsyncRed5Client) -> str:
        return await client.get_conference_token(user, room, role, minutes)

    token = run_with_client(settings, mint)
    claims = decode_conference_token(token)
    if json_output:
        print_json({"token": token, **_claims_json(claims)})
        return
    typer.echo(token)
    print_note(
        f"Conference token for user {claims.uid!r} in room {claims.room_id!r} "
        f"as {claims.role.value}, valid until {format_seconds(claims.exp)}."
    )


@token_app.command("chat")
@connection_options
def chat_token(
    settings: CliSettings,
    user: UserArgument,
    channel: Annotated[
        str, typer.Argument(help="The chat channel id.", show_default=False)
    ],
    read: Annotated[
        bool, typer.Option("--read/--no-read", help="Allow reading the channel.")
    ] = True,
    write: Annotated[
        bool, typer.Option("--write/--no-write", help="Allow writing to the channel.")
    ] = True,
    minutes: MinutesOption = 60,
    json_output: JsonOption = False,
) -> None:
    """Grant a PubNub chat token for a channel and its presence channel; print it."""

    async def grant(client: AsyncRed5Client) -> str:
        return await client.get_chat_token(user, channel, read, write, minutes)

    token = run_with_client(settings, grant)
    decoded = parse_chat_token(token)
    if json_output:
        print_json({"token": token, "grant": grant_json(decoded)})
        return
    typer.echo(token)
    allowed = " and ".join(
        word for word, granted in (("read", read), ("write", write)) if granted
    )
    expires = format_seconds(decoded.expires_at.timestamp())
    print_note(
        f"Chat token for user {user.strip()!r} to {allowed} channel "
        f"{channel.strip()!r}, valid until {expires}."
    )


@token_app.command("decode")
def decode_token(token: TokenArgument, json_output: JsonOption = False) -> None:
    """Show a conference token's claims, or a PubNub chat token's grant, unverified.

    Nothing is checked against any secret: anyone can forge what this shows.
    Use `token verify` to check a conference token's signature and lifetime.
    """
    text = read_token(token)
    try:
        claims = decode_conference_token(text)
    except InvalidTokenError as conference_error:
        grant = _parse_chat_token_or_raise(text, conference_error)
        if json_output:
            print_json({"type": "chat", "grant": grant_json(grant)})
        else:
            print_grant("PubNub chat token (unverified)", grant)
        return

    if json_output:
        print_json({"type": "conference", "claims": _claims_json(claims)})
    else:
        print_claims("Conference token (unverified)", claims)


@token_app.command("verify")
@connection_options
def verify_token(
    settings: CliSettings,
    token: TokenArgument,
    leeway: Annotated[
        float,
        typer.Option(
            "--leeway", help="Seconds of clock difference tolerated on exp and iat."
        ),
    ] = 30,
    json_output: JsonOption = False,
) -> None:
    """Verify a conference token's signature and lifetime with the conference secret.

    Exits with 1 when the token is invalid or expired.
    """
    text = read_token(token)

    async def verify(client: AsyncRed5Client) -> ConferenceClaims:
        return client.verify_conference_token(text, leeway=leeway)

    claims = run_with_client(settings, verify)
    if json_output:
        print_json({"valid": True, "claims": _claims_json(claims)})
        return
    print_claims("Conference token (signature and lifetime valid)", claims)


def read_token(argument: str) -> str:
    """Return the token argument, or stdin's contents when it is `-`."""
    if argument == "-":
        return sys.stdin.read().strip()
    return argument.strip()


def _parse_chat_token_or_raise(
    text: str, conference_error: InvalidTokenError
) -> ChatTokenGrant:
    # A string with two dots can only be meant as a conference token, so its
    # own error is the more useful one.
    if text.count(".") == 2:
        raise conference_error
    try:
        return parse_chat_token(text)
    except InvalidTokenError:
        raise InvalidTokenError(
            "The token is neither a conference token (a JWT) nor a PubNub token."
        ) from None


def _claims_json(claims: ConferenceClaims) -> dict[str, Any]:
    """Return the claims in wire form, with the embedded PubNub token decoded."""
    data = claims.model_dump(mode="json", by_alias=True, exclude={"pubnub_token"})
    data["pubnubGrant"] = _embedded_grant_json(claims)
    return data


def _embedded_grant_json(claims: ConferenceClaims) -> dict[str, Any] | None:
    try:
        return grant_json(parse_chat_token(claims.pubnub_token))
    except InvalidTokenError:
        return None


def print_claims(title: str, claims: ConferenceClaims) -> None:
    """Print a conference token's claims, and its embedded grant, as tables."""
    print_fields(
        title,
        [
            ("User (uid)", claims.uid),
            ("Room (roomId)", claims.room_id),
            ("Role", claims.role.value),
            ("Issued (iat)", format_seconds(claims.iat)),
            ("Expires (exp)", format_seconds(claims.exp)),
            ("PubNub subscribe key", claims.pubnub_subscribe_key),
            ("PubNub publish key", claims.pubnub_publish_key),
        ],
    )
    try:
        grant = parse_chat_token(claims.pubnub_token)
    except InvalidTokenError:
        print_note("The embedded PubNub token could not be decoded.")
        return
    print_grant("Embedded PubNub grant", grant)


def print_grant(title: str, grant: ChatTokenGrant) -> None:
    """Print a decoded PubNub grant: who may use it, until when, on which channels."""
    print_fields(
        title,
        [
            ("Authorized user", grant.authorized_uuid),
            ("Issued", format_seconds(grant.timestamp)),
            ("Lifetime", f"{grant.ttl_minutes} minutes"),
            ("Expires", format_seconds(grant.expires_at.timestamp())),
        ],
    )
    rows = [(name, permission_names(bits)) for name, bits in grant.channels.items()]
    rows += [
        (f"{name} (pattern)", permission_names(bits))
        for name, bits in grant.channel_patterns.items()
    ]
    print_table("Channels", ["Channel", "Permissions"], rows)
