"""The CBOR subset of PubNub tokens, checked against the cbor2 package."""

from __future__ import annotations

import contextlib
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from red5_bcs._cbor import CBORError, dumps, loads

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=40)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.binary(max_size=8) | st.text(max_size=8), children, max_size=5
        )
    ),
    max_leaves=30,
)


@given(values)
def test_encoding_matches_cbor2(value: Any) -> None:
    assert dumps(value) == cbor2.dumps(value)


@given(values)
def test_decoding_round_trips(value: Any) -> None:
    assert loads(cbor2.dumps(value)) == value


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x18",  # truncated argument
        b"\x42a",  # truncated byte string
        b"\x9f\xff",  # indefinite-length array
        b"\xf9\x3c\x00",  # half-precision float
        b"\xc1\x00",  # a tag
        b"\x01\x02",  # trailing bytes
        b"\x63\xff\xfe\xfd",  # text that is not UTF-8
        b"\xa1\x80\x00",  # an array as map key
        b"\x81" * 40 + b"\x00",  # nesting too deep
        b"\x9b" + b"\xff" * 8,  # an array claiming 2**64 items
    ],
)
def test_malformed_input_raises_cbor_error(data: bytes) -> None:
    with pytest.raises(CBORError):
        loads(data)


@given(st.binary(max_size=64))
def test_random_bytes_raise_only_cbor_error(data: bytes) -> None:
    with contextlib.suppress(CBORError):
        loads(data)


def test_unsupported_type_is_rejected() -> None:
    with pytest.raises(CBORError):
        dumps(1.5)
