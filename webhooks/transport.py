"""The one way a webhook leaves Tutti: an SSRF-guarded, pinned, bounded HTTP POST.

1. The URL is checked (https only, unless TUTTI_WEBHOOKS_ALLOW_HTTP), its host resolved once, and every address
   it resolves to must be public: private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback (unless
   TUTTI_WEBHOOKS_ALLOW_LOOPBACK), link-local and metadata (169.254/16, fe80::/10), multicast, reserved,
   unspecified, shared (100.64/10) and the IPv4 inside an IPv6 (::ffff:10.0.0.1) are refused.
2. The connection goes to the checked address (pinned), never to a second resolution of the name, so a DNS answer
   that changes between the check and the connection (rebinding) cannot reach a private address; TLS still
   verifies the certificate for the URL's host name (SNI), and `Host` names the URL's host.
3. Short timeouts (connect, read), no redirect followed (a 3xx is an answer, and a failure), no retries here (the
   delivery schedule retries), and at most EXCERPT_BYTES of the answer read.
4. A batch of deliveries to one endpoint goes through one `Sender`: one check and lookup, then one keep-alive
   connection to the checked address for every request of the batch (a batch lasts seconds, not minutes).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from webhooks.errors import UrlRefused

EXCERPT_BYTES = 2048
USER_AGENT = "Tutti-Webhooks/1.0 (+https://www.standardwebhooks.com/)"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    """What one POST got: a status and an excerpt, or an error (refused, timeout, connection, TLS)."""

    address: str = ""
    status_code: int | None = None
    excerpt: str = ""
    latency_ms: int | None = None
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one lookup). Tests replace it to play a resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_refusal(address: str) -> str | None:
    """Why the guard refuses to connect to `address`, or None when it is a public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK else "a loopback address"
    if ip.is_link_local:
        return "a link-local or cloud metadata address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved address"
    return None


def url_target(url: str) -> Target:
    """The URL's parts, checked without any lookup: a scheme the guard allows, a host, no credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UrlRefused("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("Give a full URL, such as https://hooks.example.com/tutti.")
    if scheme == "http" and not settings.TUTTI_WEBHOOKS_ALLOW_HTTP:
        raise UrlRefused("Webhook URLs must use https.", code="url_scheme_not_allowed")
    if parts.username or parts.password:
        raise UrlRefused("Put no user name or password in the URL; verify the signature instead.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), path)


def target_address(target: Target) -> str:
    """Resolve the target's host once and check every address it answers; the first one is the one to use."""
    try:
        addresses = [target.host] if _is_ip(target.host) else resolve_host(target.host, target.port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise UrlRefused(f"“{target.host}” does not resolve to any address.", code="url_unresolvable")
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise UrlRefused(
                f"“{target.host}” resolves to {address}, {reason}: webhooks go to public addresses only.",
                code="url_address_not_allowed",
            )
    return addresses[0]


def url_check(url: str) -> Target:
    """Check a webhook URL when an endpoint is saved: allowed scheme, and the host resolves to public addresses."""
    target = url_target(url)
    target_address(target)
    return target


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _pool(target: Target, address: str):
    timeout = urllib3.Timeout(
        connect=settings.TUTTI_WEBHOOKS_CONNECT_TIMEOUT, read=settings.TUTTI_WEBHOOKS_READ_TIMEOUT
    )
    options = {"port": target.port, "timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        # Connect to the pinned address; verify the certificate against, and send SNI for, the URL's host.
        return urllib3.HTTPSConnectionPool(
            address,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.TUTTI_WEBHOOKS_CA_BUNDLE or None,
            server_hostname=target.host,
            assert_hostname=target.host,
            **options,
        )
    return urllib3.HTTPConnectionPool(address, **options)


class Sender:
    """POSTs to one webhook URL through the guard, for a batch of deliveries: the URL is checked and its host
    resolved and checked once, when the sender is made, and every request goes to that pinned address on one
    keep-alive connection (opened again when the receiver closes it or an answer is cut short). Never raises for
    the receiver's faults: they are in each answer. Use it as a context manager (the connection is closed)."""

    def __init__(self, url: str):
        self.pool = None
        self.address = ""
        self.refusal = ""
        try:
            self.target = url_target(url)
            self.address = target_address(self.target)
        except UrlRefused as refused:
            self.refusal = f"refused: {refused.message}"[:300]
            return
        self.pool = _pool(self.target, self.address)

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        """POST `body` to the pinned address: status and a bounded excerpt, or the error that stopped it."""
        if self.pool is None:
            return Answer(error=self.refusal)
        started = time.monotonic()
        address = self.address

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            response = self.pool.urlopen(
                "POST",
                self.target.path,
                body=body,
                headers={**headers, "Host": self.target.host_header, "User-Agent": USER_AGENT},
                retries=False,
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                excerpt = response.read(EXCERPT_BYTES, decode_content=False)
            finally:
                if response.length_remaining == 0:
                    response.release_conn()  # the whole answer was read: the connection serves the next request
                else:
                    response.close()  # an answer longer than the excerpt (or of unknown length) is not drained
                    response.release_conn()
        except urllib3.exceptions.TimeoutError as error:
            return Answer(address=address, latency_ms=elapsed(), error=f"timeout: {_reason(error)}"[:300])
        except urllib3.exceptions.SSLError as error:
            return Answer(address=address, latency_ms=elapsed(), error=f"TLS: {_reason(error)}"[:300])
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Answer(address=address, latency_ms=elapsed(), error=f"connection: {_reason(error)}"[:300])
        status = response.status
        error = ""
        if 300 <= status < 400:
            error = f"redirect to {response.headers.get('Location', '?')} not followed"[:300]
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
        return Answer(
            address=address,
            status_code=status,
            excerpt=excerpt.decode("utf-8", errors="replace"),
            latency_ms=elapsed(),
            error=error,
        )


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    return str(reason) or type(error).__name__
