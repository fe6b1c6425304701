"""Argument checks: every rule, with the argument named in the message."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from red5_bcs import InvalidArgumentError, Role, RoomState
from red5_bcs._validation import (
    check_bool,
    check_channel_id,
    check_choice,
    check_int,
    check_minutes,
    check_permissions,
    check_room_id,
    check_stream_id,
    check_timestamp_ms,
    check_user_id,
)


def test_ids_are_stripped() -> None:
    assert check_user_id("  alice \t") == "alice"
    assert check_room_id("\nstandup ") == "standup"


def test_user_id_may_contain_inner_space_and_punctuation() -> None:
    assert check_user_id("alice smith/ops:1") == "alice smith/ops:1"


@pytest.mark.parametrize("value", [None, 1, 1.5, b"alice", ["a"], True])
def test_non_string_id_is_rejected(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="user_id must be a str") as caught:
        check_user_id(value)
    assert caught.value.argument == "user_id"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_empty_id_is_rejected(value: str) -> None:
    with pytest.raises(InvalidArgumentError, match="empty"):
        check_room_id(value)


@pytest.mark.parametrize("value", ["a\x00b", "a\x1fb", "a\x7fb", "a\x85b"])
def test_control_character_is_rejected(value: str) -> None:
    with pytest.raises(InvalidArgumentError, match="control"):
        check_user_id(value)


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(InvalidArgumentError, match="surrogate"):
        check_user_id("a\ud800b")


@pytest.mark.parametrize("value", [".", "..", " .. "])
def test_dot_segments_are_rejected(value: str) -> None:
    with pytest.raises(InvalidArgumentError, match="relative path segment"):
        check_user_id(value)


def test_dots_inside_ids_are_fine() -> None:
    assert check_room_id("...") == "..."
    assert check_room_id("a..b") == "a..b"


def test_room_id_length_limit_leaves_room_for_presence_suffix() -> None:
    assert check_room_id("r" * 85) == "r" * 85
    with pytest.raises(InvalidArgumentError, match="maximum is 85"):
        check_room_id("r" * 86)


def test_user_id_length_limit_is_92() -> None:
    assert check_user_id("u" * 92) == "u" * 92
    with pytest.raises(InvalidArgumentError, match="maximum is 92"):
        check_user_id("u" * 93)


def test_stream_id_length_limit() -> None:
    assert check_stream_id("s" * 256) == "s" * 256
    with pytest.raises(InvalidArgumentError, match="stream_id"):
        check_stream_id("s" * 257)


@pytest.mark.parametrize("char", [",", ":", "*", "/", "\\", " "])
def test_pubnub_forbidden_characters_are_rejected(char: str) -> None:
    with pytest.raises(InvalidArgumentError, match="PubNub") as caught:
        check_channel_id(f"room{char}1")
    assert caught.value.argument == "channel_id"


def test_long_id_is_not_echoed_in_message() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_room_id("x" * 80 + "/")
    assert "x" * 80 not in str(caught.value)


@given(st.text(max_size=120))
def test_room_id_check_accepts_or_rejects_cleanly(value: str) -> None:
    try:
        result = check_room_id(value)
    except InvalidArgumentError:
        return
    assert result == value.strip()
    assert 1 <= len(result) <= 85


@pytest.mark.parametrize("value", [0, -1, 43_201, 10**20])
def test_minutes_out_of_range_are_rejected(value: int) -> None:
    with pytest.raises(InvalidArgumentError, match="from 1 to 43200"):
        check_minutes("ttl_minutes", value)


@pytest.mark.parametrize(
    "value", [True, False, 1.0, float("nan"), float("inf"), "60", None]
)
def test_minutes_of_wrong_type_are_rejected(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="must be an int"):
        check_minutes("ttl_minutes", value)


def test_minutes_bounds_are_inclusive() -> None:
    assert check_minutes("m", 1) == 1
    assert check_minutes("m", 43_200) == 43_200


def test_int_minimum_only() -> None:
    assert check_int("offset", 0, minimum=0) == 0
    with pytest.raises(InvalidArgumentError, match="at least 1"):
        check_int("limit", 0, minimum=1)


@pytest.mark.parametrize("value", ["true", 1, 0, None])
def test_bool_must_be_bool(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="must be a bool"):
        check_bool("read", value)


def test_permissions_need_read_or_write() -> None:
    assert check_permissions(True, False) == (True, False)
    assert check_permissions(False, True) == (False, True)
    with pytest.raises(InvalidArgumentError, match="read, write or both"):
        check_permissions(False, False)


def test_choice_accepts_member_or_exact_value() -> None:
    assert check_choice("role", Role.ADMIN, Role) is Role.ADMIN
    assert check_choice("role", "subscriber", Role) is Role.SUBSCRIBER
    assert check_choice("state", "all", RoomState) is RoomState.ALL


@pytest.mark.parametrize(
    "value", ["Admin", " admin", "owner", "", 1, None, RoomState.ALL]
)
def test_choice_rejects_anything_else(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="role must be one of"):
        check_choice("role", value, Role)


def test_choice_works_with_any_str_enum() -> None:
    class Color(enum.StrEnum):
        RED = "red"

    assert check_choice("color", "red", Color) is Color.RED


def test_timestamp_accepts_ms_and_aware_datetimes() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    shifted = moment.astimezone(timezone(timedelta(hours=5)))

    assert check_timestamp_ms("start_time", None) is None
    assert check_timestamp_ms("start_time", 1_700_000_000_000) == 1_700_000_000_000
    assert check_timestamp_ms("start_time", moment) == 1_767_323_045_678
    assert check_timestamp_ms("start_time", shifted) == 1_767_323_045_678


def test_timestamp_rejects_naive_datetime() -> None:
    with pytest.raises(InvalidArgumentError, match="naive"):
        check_timestamp_ms("start_time", datetime(2026, 1, 1))


@pytest.mark.parametrize("value", [-1, 1.5, "1700000000000", True])
def test_timestamp_rejects_other_values(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="start_time"):
        check_timestamp_ms("start_time", value)
