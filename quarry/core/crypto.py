"""Secrets at rest (webhook signing secrets, integration credentials), sealed with AES-256-GCM.

The key is derived from WEBHOOK_ENCRYPTION_KEY with HKDF-SHA256, so any string of enough entropy
works as the setting. A sealed value is `v1.<base64url(nonce ‖ ciphertext ‖ tag)>`; the purpose
(e.g. "webhook-secret", "integration-credentials") is bound as associated data, so a value sealed
for one purpose cannot be opened as another.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12


class SealedValueError(ValueError):
    """A sealed value is malformed, was sealed with another key, or for another purpose."""


class SecretBox:
    def __init__(self, key_material: str) -> None:
        if len(key_material) < 16:
            raise ValueError("WEBHOOK_ENCRYPTION_KEY must be at least 16 characters")
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"quarry-secret-box", info=b"aes-256-gcm"
        ).derive(key_material.encode())
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, *, purpose: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, value: str, *, purpose: str) -> str:
        version, _, payload = value.partition(".")
        if version != _VERSION:
            raise SealedValueError("unknown sealed-value version")
        try:
            raw = base64.urlsafe_b64decode(payload.encode())
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], purpose.encode())
        except (InvalidTag, ValueError) as exc:
            raise SealedValueError("cannot open this value with the configured key") from exc
        return plain.decode()
