"""Master credentials: open and seal the bundle a Red5 Cloud account hands out.

A master secret is `base64(hex(AES-128-ECB(PKCS#7(fields))))`, where the AES
key is the MD5 digest of the first 16 characters of the master key and the
fields are five service credentials joined by `|`. ECB and MD5 are weak, but
they are what Red5 Cloud issues; this module only reproduces the format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr, ValidationError

from ._errors import CredentialsError, InvalidArgumentError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

__all__ = ["Red5Credentials", "seal_master_secret"]

_FIELD_NAMES = (
    "conferenceSecret",
    "pubnubSecretKey",
    "pubnubPublishKey",
    "pubnubSubscribeKey",
    "streamManagerHost",
)
_AES_BLOCK_BYTES = 16
_HEX_PATTERN = re.compile(r"[0-9a-fA-F]*")
# A bare host name, IPv4 address or bracketed IPv6 address, with an optional port.
_HOST_PATTERN = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?")


def _check_host(value: str) -> str:
    if not _HOST_PATTERN.fullmatch(value):
        raise ValueError(
            "stream_manager_host must be a bare host with an optional port, "
            "such as sm.example.com or 10.0.0.5:5080, without a scheme or path"
        )
    return value


class Red5Credentials(BaseModel):
    """The five service credentials sealed inside a Red5 Cloud master secret.

    Secrets are `SecretStr`, so `repr()` and `str()` of the model show
    `**********` in their place. Call `get_secret_value()` to read them.

    Attributes:
        conference_secret: The HS256 key of conference and admin tokens.
        pubnub_secret_key: PubNub's secret key, used to sign grant requests.
        pubnub_publish_key: PubNub's publish key, embedded in conference tokens.
        pubnub_subscribe_key: PubNub's subscribe key, embedded in conference
            tokens and part of the grant URL.
        stream_manager_host: Host (and optional port) of the conference API.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    conference_secret: SecretStr
    pubnub_secret_key: SecretStr
    pubnub_publish_key: str
    pubnub_subscribe_key: str
    stream_manager_host: Annotated[str, AfterValidator(_check_host)]

    @property
    def base_url(self) -> str:
        """The conference API's base URL, `https://<host>/as/v1/conference`."""
        return f"https://{self.stream_manager_host}/as/v1/conference"

    @classmethod
    def from_master(cls, master_key: str, master_secret: str) -> Red5Credentials:
        """Open a sealed master secret with its master key.

        Args:
            master_key: The account's master key; surrounding whitespace is
                ignored.
            master_secret: The account's sealed master secret; surrounding
                whitespace is ignored.

        Returns:
            The five credentials sealed inside the secret.

        Raises:
            CredentialsError: The key is not valid text, or a step of
                opening failed (base64, hex, AES block size, padding, UTF-8 or
                the fields). The message names the step and contains none of
                the inputs.
        """
        if not isinstance(master_key, str) or not isinstance(master_secret, str):
            raise CredentialsError("The master key and master secret must be strings.")
        # Copied from a console or a file, both often carry a newline or spaces,
        # which neither value can contain.
        master_key = master_key.strip()
        master_secret = master_secret.strip()
        if not master_key:
            raise CredentialsError("The master key is empty.")
        if not _is_unicode_text(master_key):
            raise CredentialsError(
                "The master key contains a lone surrogate and is not valid "
                "Unicode text; copy it again from the Red5 Cloud console."
            )
        if not master_secret:
            raise CredentialsError("The master secret is empty.")

        ciphertext = _decode_ciphertext(master_secret)
        plaintext = _decrypt(_aes_key(master_key), ciphertext)
        return _parse_fields(plaintext)


def seal_master_secret(master_key: str, credentials: Red5Credentials) -> str:
    """Seal credentials into a master secret, the inverse of `from_master`.

    Red5 Cloud issues master secrets itself; this exists so that an emulator
    or a test can make a key and secret pair of its own.

    Args:
        master_key: The master key to seal with (at least one character).
        credentials: The credentials to seal.

    Returns:
        The sealed master secret.

    Raises:
        InvalidArgumentError: The master key or a credential is empty or
            contains a lone surrogate, or a credential contains `|`, which
            would split it into two fields.
    """
    if not isinstance(master_key, str) or not master_key:
        raise InvalidArgumentError("master_key", "master_key must be a non-empty str.")
    if not _is_unicode_text(master_key):
        raise InvalidArgumentError(
            "master_key", "master_key contains a lone surrogate and is not valid text."
        )

    fields = (
        credentials.conference_secret.get_secret_value(),
        credentials.pubnub_secret_key.get_secret_value(),
        credentials.pubnub_publish_key,
        credentials.pubnub_subscribe_key,
        credentials.stream_manager_host,
    )
    for name, value in zip(_FIELD_NAMES, fields, strict=True):
        if "|" in value or not value or not _is_unicode_text(value):
            raise InvalidArgumentError(
                "credentials",
                f"{name} must be non-empty Unicode text and must not contain '|'.",
            )

    plaintext = "|".join(fields).encode("utf-8")
    padding_length = _AES_BLOCK_BYTES - len(plaintext) % _AES_BLOCK_BYTES
    padded = plaintext + bytes([padding_length]) * padding_length
    encryptor = _cipher(_aes_key(master_key)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(ciphertext.hex().encode("ascii")).decode("ascii")


def _is_unicode_text(value: str) -> bool:
    # A lone surrogate cannot be encoded as UTF-8, which the key derivation needs.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _aes_key(master_key: str) -> bytes:
    # MD5 is the key derivation Red5 Cloud uses; it is not used for security here.
    return hashlib.md5(master_key[:16].encode("utf-8"), usedforsecurity=False).digest()


def _cipher(key: bytes) -> Cipher[modes.ECB]:
    # Imported on first use, because only opening or sealing a master secret
    # needs it, and it adds about 10 ms to `import red5_bcs`.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    # ECB is the mode Red5 Cloud seals master secrets with.
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305


# The errors below are raised after their `except` blocks, never inside them:
# a UnicodeError raised by a codec holds its whole input (the master secret,
# or the decrypted credentials), and would stay reachable as `__context__`
# even with `raise ... from None`.


def _decode_ciphertext(master_secret: str) -> bytes:
    try:
        hex_bytes = base64.b64decode(master_secret.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        hex_bytes = None
    if hex_bytes is None:
        raise CredentialsError(
            "The master secret is not valid base64; copy it again from the "
            "Red5 Cloud console."
        )

    try:
        hex_text = hex_bytes.decode("ascii")
    except UnicodeDecodeError:
        hex_text = None
    if hex_text is None or not _HEX_PATTERN.fullmatch(hex_text):
        raise CredentialsError("The master secret's base64 does not contain hex text.")
    if len(hex_text) % 2:
        raise CredentialsError("The master secret's hex text has an odd length.")

    ciphertext = bytes.fromhex(hex_text)
    if not ciphertext or len(ciphertext) % _AES_BLOCK_BYTES:
        raise CredentialsError(
            "The master secret's ciphertext is not a whole number of 16-byte "
            "AES blocks."
        )
    return ciphertext


def _decrypt(key: bytes, ciphertext: bytes) -> str:
    decryptor = _cipher(key).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()

    padding_length = padded[-1]
    padding_valid = 1 <= padding_length <= _AES_BLOCK_BYTES and padded.endswith(
        bytes([padding_length]) * padding_length
    )
    if not padding_valid:
        raise CredentialsError(
            "The master secret has invalid AES padding after decryption; the "
            "master key probably does not belong to this master secret."
        )

    try:
        plaintext = padded[:-padding_length].decode("utf-8")
    except UnicodeDecodeError:
        plaintext = None
    if plaintext is None:
        raise CredentialsError(
            "The master secret does not decrypt to UTF-8 text; the master key "
            "probably does not belong to this master secret."
        )
    return plaintext


def _parse_fields(plaintext: str) -> Red5Credentials:
    # Fields after the fifth are ignored, so that newer secrets still open.
    fields = plaintext.split("|")
    if len(fields) < len(_FIELD_NAMES):
        raise CredentialsError(
            f"The master secret contains {len(fields)} fields; "
            f"{len(_FIELD_NAMES)} are required."
        )
    for position, name in enumerate(_FIELD_NAMES):
        if not fields[position]:
            raise CredentialsError(f"The master secret's {name} field is empty.")

    try:
        return Red5Credentials(
            conference_secret=SecretStr(fields[0]),
            pubnub_secret_key=SecretStr(fields[1]),
            pubnub_publish_key=fields[2],
            pubnub_subscribe_key=fields[3],
            stream_manager_host=fields[4],
        )
    except ValidationError:
        raise CredentialsError(
            "The master secret's streamManagerHost field is not a host with an "
            "optional port."
        ) from None
