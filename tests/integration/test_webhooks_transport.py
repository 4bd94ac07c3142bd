"""The outbound POST of a webhook: the address policy of URL fetching, and no redirects."""

from __future__ import annotations

import ipaddress

from quarry.sources.netguard import PUBLIC_ONLY, AddressPolicy, IPAddress
from quarry.webhooks import transport
from tests.fakes.webhook_receiver import always, webhook_receiver


async def test_private_addresses_are_refused_unless_allowed() -> None:
    with webhook_receiver() as receiver:
        blocked = await transport.post(
            receiver.url, b"{}", [], timeout_seconds=2, policy=PUBLIC_ONLY
        )
        allowed = await transport.post(
            receiver.url, b"{}", [], timeout_seconds=2, policy=AddressPolicy(allow_private=True)
        )
    assert blocked.status_code is None and "private or reserved" in (blocked.error or "")
    assert allowed.delivered and len(receiver.received) == 1


async def test_a_name_that_resolves_inside_is_refused_before_connecting() -> None:
    async def rebinding(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("169.254.169.254")]

    with webhook_receiver(always(302)) as receiver:
        url = receiver.url.replace("127.0.0.1", "hooks.example.com")
        outcome = await transport.post(
            url, b"{}", [], timeout_seconds=2, policy=PUBLIC_ONLY, resolver=rebinding
        )
        moved = await transport.post(
            receiver.url, b"{}", [], timeout_seconds=2, policy=AddressPolicy(allow_private=True)
        )
    assert "169.254.169.254" in (outcome.error or "") and not outcome.delivered
    assert moved.status_code == 302 and not moved.delivered
    assert "redirects are not followed" in (moved.error or "")
    assert len(receiver.received) == 1
