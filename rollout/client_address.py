"""The client's network address, resolved once per request from the configured trusted proxies.

`X-Forwarded-For` is a header anyone can send. It is read only when the connection comes from a proxy listed in
TUTTI_TRUSTED_PROXIES, and then right to left: each hop appended by a trusted proxy is skipped, and the first
address a trusted proxy did not add itself is the client. With no trusted proxies the connection's own address
(REMOTE_ADDR) is the client. Sign-in lockouts (django-axes), password-reset limits and the anonymous API
throttle all use this one answer, so a new header per request cannot walk past any of them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def trusted_proxy_networks() -> tuple[Network, ...]:
    """TUTTI_TRUSTED_PROXIES (addresses or CIDR networks) as networks."""
    return _networks(tuple(settings.TUTTI_TRUSTED_PROXIES))


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address_resolve(remote_addr: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client address for a connection from `remote_addr` carrying `X-Forwarded-For: forwarded_for`."""
    current = _parse(remote_addr)
    if not _trusted(current, networks):
        return str(current) if current is not None else remote_addr
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        address = _parse(hop)
        if address is None:
            break  # garbage in the header: the last hop a trusted proxy vouched for is all we know
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def client_address(request) -> str:
    """The request's client address (see the module's docstring). Takes a Django or a DRF request."""
    request = getattr(request, "_request", request)
    cached = getattr(request, "_tutti_client_address", None)
    if cached is None:
        cached = client_address_resolve(
            request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""), trusted_proxy_networks()
        )
        request._tutti_client_address = cached
    return cached
