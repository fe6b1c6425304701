"""The subset of CBOR (RFC 8949) that PubNub Access Manager tokens use.

PubNub tokens are CBOR maps of byte-string keys to integers, byte strings,
text strings and nested maps. This module encodes and decodes definite-length
items of major types 0 to 5 and the simple values false, true and null. That
covers the fields of a v3 token (v, t, ttl, res, pat, meta, uuid and sig), and
anything else is rejected as malformed.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["CBORError", "dumps", "loads"]

_MAX_DEPTH = 16


class CBORError(ValueError):
    """The data is not CBOR of the supported subset."""


def dumps(value: Any) -> bytes:
    """Encode `value` (int, bytes, str, list, dict, bool or None) as CBOR."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def loads(data: bytes) -> Any:
    """Decode one CBOR item that fills `data` exactly.

    Raises:
        CBORError: The data is malformed, truncated, has trailing bytes or uses
            a CBOR feature outside the supported subset.
    """
    value, position = _decode(memoryview(data), 0, 0)
    if position != len(data):
        raise CBORError("trailing bytes after the CBOR item")
    return value


def _head(major: int, argument: int, out: bytearray) -> None:
    if argument < 24:
        out.append(major << 5 | argument)
    elif argument < 0x100:
        out += struct.pack(">BB", major << 5 | 24, argument)
    elif argument < 0x10000:
        out += struct.pack(">BH", major << 5 | 25, argument)
    elif argument < 0x100000000:
        out += struct.pack(">BI", major << 5 | 26, argument)
    else:
        out += struct.pack(">BQ", major << 5 | 27, argument)


def _encode(value: Any, out: bytearray) -> None:
    if value is False or value is True or value is None:
        out.append({False: 0xF4, True: 0xF5, None: 0xF6}[value])
    elif isinstance(value, int):
        if not -(2**64) <= value < 2**64:
            raise CBORError("integers must fit in 64 bits")
        _head(0, value, out) if value >= 0 else _head(1, -1 - value, out)
    elif isinstance(value, bytes | bytearray | memoryview):
        _head(2, len(value), out)
        out += value
    elif isinstance(value, str):
        encoded = value.encode("utf-8")
        _head(3, len(encoded), out)
        out += encoded
    elif isinstance(value, list | tuple):
        _head(4, len(value), out)
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        _head(5, len(value), out)
        for key, item in value.items():
            _encode(key, out)
            _encode(item, out)
    else:
        raise CBORError(f"cannot encode a {type(value).__name__}")


def _argument(data: memoryview, position: int, info: int) -> tuple[int, int]:
    if info < 24:
        return info, position
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if info not in sizes:
        raise CBORError("indefinite lengths and reserved values are not supported")
    end = position + sizes[info]
    if end > len(data):
        raise CBORError("truncated CBOR item")
    return int.from_bytes(data[position:end], "big"), end


def _take(data: memoryview, position: int, length: int) -> tuple[bytes, int]:
    end = position + length
    if end > len(data):
        raise CBORError("truncated CBOR string")
    return bytes(data[position:end]), end


def _decode(data: memoryview, position: int, depth: int) -> tuple[Any, int]:
    if depth > _MAX_DEPTH:
        raise CBORError("CBOR nesting is too deep")
    if position >= len(data):
        raise CBORError("truncated CBOR item")

    major, info = data[position] >> 5, data[position] & 0x1F
    position += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info not in simple:
            raise CBORError("floats and other simple values are not supported")
        return simple[info], position

    argument, position = _argument(data, position, info)
    if major == 0:
        return argument, position
    if major == 1:
        return -1 - argument, position
    if major == 2:
        return _take(data, position, argument)
    if major == 3:
        raw, position = _take(data, position, argument)
        try:
            return raw.decode("utf-8"), position
        except UnicodeDecodeError:
            raise CBORError("a CBOR text string is not UTF-8") from None
    if major == 4:
        items = []
        for _ in range(argument):
            item, position = _decode(data, position, depth + 1)
            items.append(item)
        return items, position
    if major == 5:
        mapping: dict[Any, Any] = {}
        for _ in range(argument):
            key, position = _decode(data, position, depth + 1)
            if isinstance(key, list | dict):
                raise CBORError("CBOR map keys must be scalars")
            mapping[key], position = _decode(data, position, depth + 1)
        return mapping, position
    raise CBORError("CBOR tags are not supported")
