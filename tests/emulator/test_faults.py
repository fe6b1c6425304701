"""Scripted faults, in-process and over a loopback socket, and the request log."""

from __future__ import annotations

import json
import time

import httpx2
import pytest

from red5_bcs.testing import Emulator, FaultOutcome

from .conftest import Target
from .helpers import API, bearer

pytestmark = pytest.mark.anyio

ROOMS = API + "/rooms"


async def get_rooms(
    target: Target | httpx2.AsyncClient, emulator: Emulator
) -> httpx2.Response:
    http = target.http if isinstance(target, Target) else target
    return await http.get(ROOMS, headers=bearer(emulator))


async def test_status_outcome_with_json_body_and_headers(
    target: Target, emulator: Emulator
) -> None:
    outcome = {
        "status": 503,
        "body": {"message": "busy"},
        "headers": {"Retry-After": "1"},
    }
    emulator.add_faults("GET", ROOMS, [outcome])

    response = await get_rooms(target, emulator)

    assert response.status_code == 503
    assert response.json() == {"message": "busy"}
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/json"


async def test_status_outcome_with_text_and_without_body(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults(
        "GET", ROOMS, [{"status": 502, "body": "bad gateway"}, {"status": 500}]
    )

    text = await get_rooms(http, emulator)
    empty = await get_rooms(http, emulator)

    assert text.text == "bad gateway"
    assert text.headers["content-type"].startswith("text/plain")
    assert empty.status_code == 500
    assert empty.content == b""


async def test_delay_then_normal_response(target: Target, emulator: Emulator) -> None:
    emulator.add_faults("GET", ROOMS, [{"delay": 0.3}])

    started = time.monotonic()
    response = await get_rooms(target, emulator)

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert response.json() == {"roomCount": 0, "rooms": []}


async def test_delay_combined_with_status(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"delay": 0.2, "status": 504}])

    started = time.monotonic()
    response = await get_rooms(http, emulator)

    assert time.monotonic() - started >= 0.2
    assert response.status_code == 504


async def test_drop_before_response(target: Target, emulator: Emulator) -> None:
    emulator.add_faults("GET", ROOMS, [{"drop": "before_response"}])

    with pytest.raises(httpx2.RemoteProtocolError):
        await get_rooms(target, emulator)
    after = await get_rooms(target, emulator)

    assert after.status_code == 200


async def test_drop_during_body(target: Target, emulator: Emulator) -> None:
    emulator.add_faults("GET", ROOMS, [{"drop": "during_body"}])

    with pytest.raises(httpx2.RemoteProtocolError):
        await get_rooms(target, emulator)
    after = await get_rooms(target, emulator)

    assert after.status_code == 200


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("truncated", "application/json"),
        ("not_json", "application/json"),
        ("html", "text/html; charset=utf-8"),
    ],
)
async def test_malformed_bodies(
    target: Target, emulator: Emulator, kind: str, content_type: str
) -> None:
    emulator.add_faults("GET", ROOMS, [{"malformed": kind}])

    response = await get_rooms(target, emulator)

    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_malformed_with_status(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"malformed": "html", "status": 502}])

    response = await get_rooms(http, emulator)

    assert response.status_code == 502
    assert response.text.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("status", "expected"), [(None, 307), (301, 301), (308, 308)])
async def test_redirect_is_not_followed(
    target: Target, emulator: Emulator, status: int | None, expected: int
) -> None:
    outcome: dict[str, object] = {"redirect": "http://127.0.0.1:9/elsewhere"}
    if status is not None:
        outcome["status"] = status
    emulator.add_faults("GET", ROOMS, [outcome])

    response = await get_rooms(target, emulator)

    assert response.status_code == expected
    assert response.headers["location"] == "http://127.0.0.1:9/elsewhere"


async def test_body_bytes_with_content_length(
    target: Target, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"body_bytes": 12_000_000}])

    response = await get_rooms(target, emulator)

    assert response.status_code == 200
    assert response.headers["content-length"] == "12000000"
    assert len(response.content) == 12_000_000


async def test_body_bytes_chunked(target: Target, emulator: Emulator) -> None:
    emulator.add_faults("GET", ROOMS, [{"body_bytes": 200_000, "chunked": True}])

    response = await get_rooms(target, emulator)

    assert "content-length" not in response.headers
    assert len(response.content) == 200_000
    if target.socket:
        assert response.headers["transfer-encoding"] == "chunked"


async def test_outcomes_are_used_in_order_then_exhausted(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"status": 500}, {}, {"status": 503}])

    statuses = [(await get_rooms(http, emulator)).status_code for _ in range(4)]

    assert statuses == [500, 200, 503, 200]


async def test_scripts_match_method_and_raw_prefix(
    target: Target, emulator: Emulator
) -> None:
    emulator.add_faults("POST", ROOMS, [{"status": 500}])
    emulator.add_faults("*", API + "/room/a%2Fb", [{"status": 418}])

    rooms = await get_rooms(target, emulator)
    encoded = await target.http.get(API + "/room/a%2Fb/users")
    pending = await target.http.get("/emulator/v1/faults")

    assert rooms.status_code == 200
    assert encoded.status_code == 418
    assert pending.json() == {
        "faults": [
            {"method": "POST", "path_prefix": ROOMS, "outcomes": [{"status": 500}]}
        ]
    }


async def test_first_added_script_wins(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("GET", API, [{"status": 501}])
    emulator.add_faults("GET", ROOMS, [{"status": 502}])

    first = await get_rooms(http, emulator)
    second = await get_rooms(http, emulator)

    assert [first.status_code, second.status_code] == [501, 502]


async def test_faults_on_pubnub_grants(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("POST", "/v3/pam/", [{"status": 429, "body": {"status": 429}}])

    response = await http.post("/v3/pam/any/grant", content=b"{}")

    assert response.status_code == 429


async def test_faults_over_control_api(target: Target, emulator: Emulator) -> None:
    scripts = [
        {"method": "GET", "path_prefix": ROOMS, "outcomes": [{"status": 500}]},
        {
            "method": "*",
            "path_prefix": "/v3/",
            "outcomes": [{"drop": "before_response"}],
        },
    ]

    added = await target.http.post("/emulator/v1/faults", json=scripts)
    one = await target.http.post(
        "/emulator/v1/faults",
        json={"method": "GET", "path_prefix": ROOMS, "outcomes": [{"status": 501}]},
    )
    first = await get_rooms(target, emulator)
    cleared = await target.http.delete("/emulator/v1/faults")
    after = await get_rooms(target, emulator)

    assert added.status_code == 200
    assert added.json()["queued"] == 2
    assert one.json()["queued"] == 1
    assert first.status_code == 500
    assert cleared.status_code == 200
    assert after.status_code == 200


BAD_OUTCOMES = [
    {"status": 99},
    {"status": 600},
    {"status": "500"},
    {"delay": 500},
    {"delay": -1},
    {"drop": "sometimes"},
    {"drop": "before_response", "status": 500},
    {"drop": "before_response", "headers": {"X": "1"}},
    {"malformed": "xml"},
    {"malformed": "html", "drop": "during_body"},
    {"redirect": "/relative"},
    {"redirect": "ftp://127.0.0.1/file"},
    {"redirect": "http://127.0.0.1:9/", "status": 200},
    {"body_bytes": -1},
    {"body_bytes": 10**9},
    {"body_bytes": 10, "body": "x", "status": 200},
    {"chunked": True},
    {"body": {"a": 1}},
    {"headers": {"X": "1"}},
    {"delay": 1, "headers": {"X": "1"}},
    {"status": 500, "headers": {"Content-Length": "1"}},
    {"status": 500, "headers": {"Transfer-Encoding": "chunked"}},
    {"status": 500, "headers": {"X": "a\nb"}},
    {"status": 500, "headers": {"X": "caf\u00e9"}},
    {"status": 500, "headers": {"bad name": "1"}},
    {"surprise": 1},
]


@pytest.mark.parametrize("outcome", BAD_OUTCOMES)
def test_bad_outcomes_are_rejected(
    emulator: Emulator, outcome: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="outcomes"):
        emulator.add_faults("GET", ROOMS, [outcome])


@pytest.mark.parametrize(
    ("method", "path_prefix", "outcomes"),
    [
        ("GET", ROOMS, []),
        ("get", ROOMS, [{}]),
        ("CONNECT", ROOMS, [{}]),
        ("GET", "rooms", [{}]),
        ("GET", "/emulator/v1/join", [{}]),
        ("GET", ROOMS, [{}] * 1001),
    ],
)
def test_bad_scripts_are_rejected(
    emulator: Emulator, method: str, path_prefix: str, outcomes: list[object]
) -> None:
    with pytest.raises(ValueError, match="validation error"):
        emulator.add_faults(method, path_prefix, outcomes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "script",
    [
        {"method": "GET", "path_prefix": ROOMS, "outcomes": [{"status": 99}]},
        {"method": "GET", "path_prefix": ROOMS},
        [{"method": "GET", "path_prefix": ROOMS, "outcomes": [{}]}, {"method": "GET"}],
        "not a script",
    ],
)
async def test_bad_scripts_over_http_are_rejected_whole(
    http: httpx2.AsyncClient, script: object
) -> None:
    response = await http.post("/emulator/v1/faults", json=script)

    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body is invalid")
    assert (await http.get("/emulator/v1/faults")).json() == {"faults": []}


async def test_non_json_fault_script_is_rejected(http: httpx2.AsyncClient) -> None:
    response = await http.post("/emulator/v1/faults", content=b"{oops")

    assert response.status_code == 400


async def test_empty_script_list_queues_nothing(http: httpx2.AsyncClient) -> None:
    response = await http.post("/emulator/v1/faults", json=[])

    assert response.json()["queued"] == 0


async def test_add_faults_accepts_outcome_models(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [FaultOutcome(status=503), FaultOutcome()])

    statuses = [(await get_rooms(http, emulator)).status_code for _ in range(2)]

    assert statuses == [503, 200]


async def test_request_log_records_status_and_fault(
    target: Target, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"status": 503}, {"drop": "before_response"}])
    await get_rooms(target, emulator)
    with pytest.raises(httpx2.RemoteProtocolError):
        await get_rooms(target, emulator)
    await target.http.get(ROOMS + "?state=all&limit=1", headers=bearer(emulator))
    await target.http.get("/emulator/v1/faults")

    listed = (await target.http.get("/emulator/v1/requests")).json()["requests"]

    assert [(r["status"], r["fault"], r["query"]) for r in listed] == [
        (503, "status", ""),
        (None, "drop", ""),
        (200, None, "state=all&limit=1"),
    ]
    assert listed[0] == {
        "method": "GET",
        "raw_path": ROOMS,
        "query": "",
        "status": 503,
        "fault": "status",
        "time": 1_700_000_000.0,
    }
    assert [entry.to_json() for entry in emulator.requests] == listed


async def test_request_log_keeps_encoded_path(
    target: Target, emulator: Emulator
) -> None:
    await target.http.get(API + "/room/a%2Fb/users")

    assert emulator.requests[0].raw_path == API + "/room/a%2Fb/users"
    assert emulator.requests[0].status == 401


async def test_request_log_clears(http: httpx2.AsyncClient, emulator: Emulator) -> None:
    await get_rooms(http, emulator)
    await get_rooms(http, emulator)

    deleted = await http.delete("/emulator/v1/requests")
    after_http = (await http.get("/emulator/v1/requests")).json()
    await get_rooms(http, emulator)
    emulator.clear_requests()

    assert deleted.status_code == 200
    assert after_http == {"requests": []}
    assert emulator.requests == []


async def test_reset_clears_faults_and_log(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"status": 500}])
    await http.get("/as/v1/conference/external-streams")

    await http.post("/emulator/v1/reset")

    assert emulator.requests == []
    assert (await get_rooms(http, emulator)).status_code == 200


def test_clear_faults(emulator: Emulator) -> None:
    emulator.add_faults("*", "/", [{"status": 500}])
    emulator.clear_faults()

    assert emulator._core.faults.to_json() == []
