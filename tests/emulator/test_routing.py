"""Routing on the raw path: percent-encoded ids stay single path segments."""

from __future__ import annotations

import httpx2
import pytest

from red5_bcs.testing import Emulator
from red5_bcs.testing._errors import EmulatorError
from red5_bcs.testing._routing import parse_query, split_path

from .helpers import API, bearer, join

pytestmark = pytest.mark.anyio


def test_split_path_decodes_each_segment_after_splitting() -> None:
    segments = split_path(b"/as/v1/conference/room/a%2F..%2Fx/user/%2E%2E")

    assert segments == ["as", "v1", "conference", "room", "a/../x", "user", ".."]


def test_split_path_decodes_utf8() -> None:
    assert split_path(b"/room/z%C3%BC") == ["room", "zü"]


@pytest.mark.parametrize(
    "raw", [b"/room/%zz", b"/room/%2", b"/room/%C3%28", b"room", b"/room/\xc3\xbc"]
)
def test_split_path_rejects_bad_paths(raw: bytes) -> None:
    with pytest.raises(EmulatorError) as caught:
        split_path(raw)

    assert caught.value.status_code == 400


def test_parse_query_rules() -> None:
    assert parse_query(b"a=1+2&b=%2B&c=") == {"a": "1 2", "b": "+", "c": ""}
    with pytest.raises(EmulatorError):
        parse_query(b"a=1&a=2")
    with pytest.raises(EmulatorError):
        parse_query(b"a=%FF")


async def test_encoded_slash_is_part_of_room_id(
    any_http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    room = "a/../../rooms"
    path = API + "/room/a%2F..%2F..%2Frooms/users"

    response = await any_http.get(path, headers=bearer(emulator, room))

    assert response.status_code == 404
    assert response.json() == {"message": f"Room {room!r} not found."}


async def test_encoded_dots_are_a_literal_id(
    any_http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    response = await any_http.get(
        API + "/room/%2E%2E/users", headers=bearer(emulator, "..")
    )

    assert response.status_code == 404
    assert response.json() == {"message": "Room '..' not found."}


async def test_stream_id_with_slash_round_trips(
    any_http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    async with httpx2.AsyncClient(
        transport=emulator.http_transport(), base_url="http://red5-emulator.invalid"
    ) as local:
        await join(local, emulator, "alice", "r1")
    path = API + "/room/r1/external-stream/rtmp%3A%2F%2Fcam%2F1%3Fkey%3D1"

    added = await any_http.post(path, headers=bearer(emulator, "r1"))
    listed = await any_http.get(API + "/external-streams", headers=bearer(emulator))

    assert added.status_code == 200
    assert listed.json()["externalStreams"][0]["streamId"] == "rtmp://cam/1?key=1"


async def test_malformed_escape_is_bad_request(any_http: httpx2.AsyncClient) -> None:
    response = await any_http.get(API + "/room/%zz/users")

    assert response.status_code == 400
    assert "percent escape" in response.json()["message"]


async def test_unknown_path_is_json_not_found(any_http: httpx2.AsyncClient) -> None:
    response = await any_http.get("/somewhere/else")

    assert response.status_code == 404
    assert response.json() == {"message": "No endpoint at GET /somewhere/else."}
