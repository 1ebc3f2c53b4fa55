"""The key that signs ledger checkpoints (issue 17 §1): Ed25519, so that anyone holding the
published public key can check a checkpoint, and nobody without the service's key can make one.

The key is LEDGER_SIGNING_KEY (a 32-byte seed, hex), or, when that is empty, derived from
JWT_SECRET with HKDF-SHA256 (info "gridpoints ledger checkpoints v1"). A checkpoint names its
key by `key_id`, the first 16 hex digits of the SHA-256 of the raw public key; checkpoints
signed by an earlier key verify while that key is listed in LEDGER_PREVIOUS_PUBLIC_KEYS.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.kit.settings import get_settings

_INFO = b"gridpoints ledger checkpoints v1"
# LEDGER_PREVIOUS_PUBLIC_KEYS holds at most this many keys (the settings refuse more).
MAX_PREVIOUS_KEYS = 20


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@lru_cache(maxsize=4)
def _private(seed_hex: str, jwt_secret: str) -> Ed25519PrivateKey:
    if seed_hex:
        seed = bytes.fromhex(seed_hex)
    else:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            jwt_secret.encode()
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    """The service's checkpoint signing key, as the settings give it."""
    settings = get_settings()
    return _private(settings.ledger_signing_key, settings.jwt_secret)


def key_id(public_hex: str) -> str:
    """A public key's id: the first 16 hex digits of the SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def public_key() -> str:
    """The current public key (hex of its 32 raw bytes), which checkpoints are checked with."""
    return _raw(signing_key().public_key()).hex()


def known_keys() -> dict[str, str]:
    """key id -> public key (hex) of the current key and the previous ones still accepted."""
    keys = [public_key()]
    keys += [
        k.strip().lower()
        for k in get_settings().ledger_previous_public_keys.split(",")
        if k.strip()
    ]
    return {key_id(k): k for k in keys}


def sign(message: bytes) -> tuple[str, str]:
    """(key id, signature hex) of the message under the current key."""
    return key_id(public_key()), signing_key().sign(message).hex()


def verify(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """Whether the signature over the message was made by the key."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True
