"""Which network addresses a request to a provider may reach (the SSRF guard).

An admin-supplied base URL must not turn the gateway into a probe of its own network: private,
loopback, link-local (the cloud metadata endpoint 169.254.169.254 among them) and other
non-public addresses are refused. Two checks, both here so every HTTP client can share them:

- `check_base_url` when a provider is created or updated: a literal address in the URL, in any
  spelling a resolver accepts (`2130706433`, `0x7f.1`, `127.1`, `[::1]`, `[::ffff:127.0.0.1]`),
  is refused before anything is sent. Host names are not resolved here (DNS may change).
- `check_peer` on every connection, with the address the socket actually connected to, so a
  name that resolves (or re-resolves: DNS rebinding) to a forbidden address is cut before any
  byte of the request leaves.

`allow_private` (setting UPSTREAM_ALLOW_PRIVATE, on by default only on the local stage) lets
loopback and private ranges through for a local demo upstream; link-local addresses, the
metadata endpoints among them, stay refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NUMERIC_HOST = frozenset("0123456789abcdefABCDEFxX.")
_LOCAL_NAMES = ("localhost", "localhost.", "ip6-localhost", "ip6-loopback")


class ForbiddenAddress(OSError):
    """A connection to a non-public address was refused (an OSError, so HTTP clients treat it
    as a connection failure)."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is (or resolves to) the non-public address {address}")
        self.host = host
        self.address = address


def literal_address(host: str) -> Address | None:
    """The address a host that is written as an address stands for, in any accepted spelling."""
    bare = host.strip("[]")
    try:
        address = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        if not bare or not set(bare) <= _NUMERIC_HOST or not any(c.isdigit() for c in bare):
            return None
        try:  # inet_aton reads what C resolvers read: 2130706433, 0x7f.1, 0177.0.0.1, 127.1
            address = ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_allowed(address: Address, *, allow_private: bool) -> bool:
    """Public unicast addresses always; loopback and private ones only when allowed."""
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return False
    if address.is_global:
        return True
    return allow_private and (address.is_loopback or address.is_private)


def forbidden_host(url: str, *, allow_private: bool) -> str | None:
    """The offending host if `url` names a refused address literally (or localhost), else None."""
    host = urlsplit(url).hostname or ""
    if host.lower() in _LOCAL_NAMES or host.lower().endswith(".localhost"):
        return None if allow_private else host
    address = literal_address(host)
    if address is None or is_allowed(address, allow_private=allow_private):
        return None
    return host


def check_peer(host: str, peer: str, *, allow_private: bool) -> None:
    """Raise ForbiddenAddress unless the address a socket connected to may be reached."""
    address = literal_address(peer)
    if address is None or not is_allowed(address, allow_private=allow_private):
        raise ForbiddenAddress(host, peer)
