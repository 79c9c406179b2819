"""What the crawler may touch: the one decision, used by every component that opens a connection.

A crawl follows links and redirects chosen by the sites it visits, so a page can point it at the
machine it runs on (`file://`, `http://127.0.0.1:6379/`), at the local network (`10.0.0.5`, a
router at `192.168.1.1`) or at a cloud's metadata service (`169.254.169.254`) — server-side
request forgery. The crawler therefore only fetches

- `http` and `https` URLs (the file, ftp, s3 and data download handlers are switched off in
  crawler/settings.py as well), without credentials in them, and
- public addresses: an address that is private, loopback, link-local, unique-local, shared
  (100.64/10), reserved, unspecified or multicast is refused — also inside an IPv4-mapped, 6to4 or
  NAT64 IPv6 address — unless it is in the setting ALLOWED_ADDRESSES (addresses or networks, e.g.
  `["127.0.0.1"]` for a loopback test site, `["10.1.0.0/16"]` for a mirror on the local network).

Where it is applied: `AddressGuardMiddleware` (crawler/downloadermiddlewares/addresses.py) checks
every request's scheme and literal address before it is sent, and redirects before they are
followed (and that they stay on an origin the spider allows); `GuardedResolver`
(crawler/resolver.py) checks what a host name resolves to, when the connection is made, with the
address the connection then uses — so a name that resolves to a public address when first looked
up and to a private one later (DNS rebinding) is refused too.
"""
from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

FETCHABLE_SCHEMES = ("http", "https")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressPolicy:
    def __init__(self, allowed=()):
        self.allowed = [ipaddress.ip_network(a.strip(), strict=False) for a in allowed if a and a.strip()]

    @classmethod
    def from_settings(cls, settings) -> AddressPolicy:
        value = settings.get("ALLOWED_ADDRESSES") or []
        if isinstance(value, str):  # -s ALLOWED_ADDRESSES=127.0.0.1,10.1.0.0/16 or a JSON list
            value = json.loads(value) if value.strip().startswith("[") else value.split(",")
        return cls(value)

    def is_allowed(self, ip) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allowed)

    def address_refusal(self, address: str) -> str | None:
        """Why the crawler may not connect to IP `address`, or None when it may."""
        try:
            ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
        except ValueError:
            return f"not an IP address: {address!r}"
        if self.is_allowed(ip):
            return None
        for inner in embedded_ipv4(ip):
            if self.is_allowed(inner):
                return None
            if not public(inner):
                return f"{address} is a non-public address ({inner}); see ALLOWED_ADDRESSES"
        if not public(ip):
            return f"{address} is a non-public address; see ALLOWED_ADDRESSES"
        return None

    def url_refusal(self, url: str) -> str | None:
        """Why the crawler may not fetch `url` as it stands — its scheme, credentials in it, or a
        literal address it names — or None. A host name is checked when it is resolved."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as e:
            return f"malformed URL: {e}"
        if parts.scheme.lower() not in FETCHABLE_SCHEMES:
            return f"scheme {parts.scheme or '(none)'!r} is not fetched, only http and https"
        host = parts.hostname
        if not host:
            return "no host in URL"
        if literal_address(host):
            return self.address_refusal(host)
        return None


def public(ip) -> bool:
    return ip.is_global and not ip.is_multicast


def embedded_ipv4(ip) -> list:
    """IPv4 addresses an IPv6 address stands for (mapped, 6to4, NAT64): they are what is reached."""
    if ip.version != 6:
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def literal_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def origin(url: str) -> tuple[str, int | None]:
    """(host, port) of a URL; the default port of http and https counts as one, None, so an
    `http://x/` → `https://x/` upgrade stays on the origin and `http://x:8080/` does not."""
    parts = urlsplit(url)
    port = parts.port
    if port == {"http": 80, "https": 443}.get(parts.scheme.lower()):
        port = None
    return (parts.hostname or "").lower(), port
