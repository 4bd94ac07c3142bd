"""Secrets sealed at rest open only with the same key and purpose."""

from __future__ import annotations

import pytest

from quarry.core.crypto import SealedValueError, SecretBox


def test_a_sealed_value_opens_with_the_same_key_and_purpose() -> None:
    box = SecretBox("k" * 32)
    sealed = box.seal("whsec_abc", purpose="webhook-secret")
    assert "whsec_abc" not in sealed and sealed.startswith("v1.")
    assert box.open(sealed, purpose="webhook-secret") == "whsec_abc"
    assert box.seal("same", purpose="p") != box.seal("same", purpose="p")  # fresh nonces


@pytest.mark.parametrize("key, purpose", [("j" * 32, "webhook-secret"), ("k" * 32, "other")])
def test_another_key_or_purpose_cannot_open_it(key: str, purpose: str) -> None:
    sealed = SecretBox("k" * 32).seal("secret", purpose="webhook-secret")
    with pytest.raises(SealedValueError):
        SecretBox(key).open(sealed, purpose=purpose)


def test_tampering_is_detected() -> None:
    box = SecretBox("k" * 32)
    sealed = box.seal("secret", purpose="p")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SealedValueError):
        box.open(tampered, purpose="p")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        SecretBox("short")
