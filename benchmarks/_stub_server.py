"""A loopback HTTP/1.1 stub that responds at once, for measuring client cost alone.

Run as `python -m benchmarks._stub_server`. It listens on 127.0.0.1 on a free
port, writes `{"port": N}` as one JSON line to stdout, and serves until its
standard input closes or `--lifetime` seconds pass, whichever comes first.

Every response is a fixed byte string built at start-up, so the stub spends
its CPU only on parsing request heads and writing. It sends a PubNub grant
envelope for `POST /v3/pam/...`, a page of users for `GET .../users`, and a
recording result for `POST .../startRecording` and `.../stopRecording`.
Connections are kept alive and pipelined requests get their responses in
order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re

from ._child import announce, wait_for_parent

# A real Access Manager v3 token (read and write on `bench-room` and its
# presence channel for `bench-user`, signed with a made-up key), so the
# conference tokens minted from it have their production length.
GRANT_TOKEN = (
    "qEF2AkF0GmVT8QBDdHRsGDxDcmVzpURjaGFuokpiZW5jaC1yb29tA1FiZW5jaC1yb29tLXBucHJl"
    "cwNDZ3JwoENzcGOgQ3VzcqBEdXVpZKBDcGF0pURjaGFuoENncnCgQ3NwY6BDdXNyoER1dWlkoERt"
    "ZXRhoER1dWlkSmJlbmNoLXVzZXJDc2lnWCDgxEeDYszwV5ixVoHsJ6UDZvOowtLqw7MYy6hmexea"
    "Wg=="
)
USERS_ON_PAGE = 10
MAX_HEAD_BYTES = 64 * 1024

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CONNECTION_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)


def _response(status: str, body: object) -> bytes:
    content = json.dumps(body, separators=(",", ":")).encode("utf-8")
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(content)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + content


def _user(index: int) -> dict[str, object]:
    return {
        "uid": f"user-{index}",
        "online": True,
        "role": "publisher",
        "audioEnabled": True,
        "videoEnabled": index % 2 == 0,
        "joinTime": 1_700_000_000 + index,
    }


GRANT_RESPONSE = _response(
    "200 OK",
    {
        "status": 200,
        "data": {"message": "Success", "token": GRANT_TOKEN},
        "service": "Access Manager",
    },
)
USERS_RESPONSE = _response(
    "200 OK",
    {
        "userCount": USERS_ON_PAGE,
        "users": [_user(index) for index in range(USERS_ON_PAGE)],
    },
)
START_RECORDING_RESPONSE = _response(
    "200 OK",
    {
        "message": "Recording started",
        "recordingStreamName": "bench-room-recording",
        "participantCount": 2,
        "originIp": "127.0.0.1",
    },
)
STOP_RECORDING_RESPONSE = _response(
    "200 OK",
    {
        "message": "Recording stopped",
        "recordingStreamName": "bench-room-recording",
        "mixerStopped": True,
    },
)
NOT_FOUND_RESPONSE = _response("404 Not Found", {"message": "No such route."})
BAD_REQUEST_RESPONSE = _response("400 Bad Request", {"message": "Bad request."})


def route(request_line: bytes) -> bytes:
    """Return the fixed response for a request line such as `GET /path HTTP/1.1`."""
    method, _, rest = request_line.partition(b" ")
    target = rest.rpartition(b" ")[0]
    path = target.partition(b"?")[0]
    if method == b"POST" and path.startswith(b"/v3/pam/"):
        return GRANT_RESPONSE
    if method == b"GET" and path.endswith(b"/users"):
        return USERS_RESPONSE
    if method == b"POST" and path.endswith(b"/startRecording"):
        return START_RECORDING_RESPONSE
    if method == b"POST" and path.endswith(b"/stopRecording"):
        return STOP_RECORDING_RESPONSE
    return NOT_FOUND_RESPONSE


class StubProtocol(asyncio.Protocol):
    """One keep-alive connection: parse request heads, skip bodies, respond."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None and self._respond_to_one():
            pass

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def _respond_to_one(self) -> bool:
        """Respond to the first complete request in the buffer, if there is one.

        Returns:
            Whether a request was handled and the connection is still open.
        """
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                self._close_with(BAD_REQUEST_RESPONSE)
            return False

        head = bytes(self._buffer[:head_end])
        match = _CONTENT_LENGTH.search(head)
        request_end = head_end + 4 + (int(match.group(1)) if match else 0)
        if len(self._buffer) < request_end:
            return False

        del self._buffer[:request_end]
        response = route(head.partition(b"\r\n")[0])
        if _CONNECTION_CLOSE.search(head):
            self._close_with(response)
            return False
        assert self._transport is not None
        self._transport.write(response)
        return True

    def _close_with(self, response: bytes) -> None:
        assert self._transport is not None
        self._transport.write(response)
        self._transport.close()
        self._transport = None


async def serve(lifetime: float) -> None:
    """Serve on a free loopback port until stdin closes or `lifetime` passes."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(StubProtocol, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    announce({"port": port})

    async with server:
        await wait_for_parent(lifetime)


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--lifetime",
        type=float,
        default=1800.0,
        help="seconds to serve before exiting on its own (default: 1800)",
    )
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.lifetime))


if __name__ == "__main__":
    main()
