"""The steps of `red5-bcs demo --live`: read-only calls to a configured service.

None of them changes anything. They list rooms, a room's users and hosts,
and the external streams, and check that the responses are consistent.
"""

from __future__ import annotations

from .._tokens import Role
from ._demo_runner import Demo, DemoStep, Details, expect

__all__ = ["LIVE_STEPS"]

PAGE_SIZE = 50
_HOST_ROLES = {Role.ADMIN.value, Role.PUBLISHER.value}


def live_rooms(demo: Demo) -> Details:
    """List the active rooms."""
    page = demo.client.get_room_list("active", limit=PAGE_SIZE)
    expect(
        page.room_count >= len(page.rooms),
        f"The service counts {page.room_count} rooms but sent {len(page.rooms)}.",
    )
    if demo.room is None and page.rooms:
        demo.room = page.rooms[0].room_id
    return {
        "roomCount": page.room_count,
        "rooms": ", ".join(str(room.room_id) for room in page.rooms) or "none",
    }


def live_users(demo: Demo) -> Details:
    """List the first page of a room's users."""
    if demo.room is None:
        return {"skipped": "No room was given with --room and none is active."}
    page = demo.client.get_user_list(demo.room, limit=PAGE_SIZE)
    expect(
        page.user_count >= len(page.users),
        f"The service counts {page.user_count} users but sent {len(page.users)}.",
    )
    return {
        "room": demo.room,
        "userCount": page.user_count,
        "users": ", ".join(user.uid for user in page.users) or "none",
    }


def live_hosts(demo: Demo) -> Details:
    """List a room's hosts."""
    if demo.room is None:
        return {"skipped": "No room was given with --room and none is active."}
    hosts = demo.client.get_host_list(demo.room)
    roles = {host.role for host in hosts.hosts}
    expect(
        roles <= _HOST_ROLES,
        f"A host has a role other than admin or publisher: {roles}.",
    )
    return {
        "room": demo.room,
        "hostCount": hosts.host_count,
        "hosts": ", ".join(host.uid for host in hosts.hosts) or "none",
    }


def live_external_streams(demo: Demo) -> Details:
    """List the external streams."""
    streams = demo.client.get_external_streams().streams
    return {
        "streamCount": len(streams),
        "streams": ", ".join(
            f"{stream.stream_id} in {stream.room_id}" for stream in streams
        )
        or "none",
    }


LIVE_STEPS: list[DemoStep] = [
    live_rooms,
    live_users,
    live_hosts,
    live_external_streams,
]
"""Every step of the live demo, in the order they run."""
