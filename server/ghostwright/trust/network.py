"""Which addresses ghostwright may talk to: loopback only, unless `allowRemote` says otherwise."""

from __future__ import annotations

import ipaddress
from dataclasses import fields, is_dataclass
from typing import Any
from urllib.parse import urlsplit

# Config fields that hold a backend address (the HTTP backends name theirs like this).
ADDRESS_FIELDS = ("host", "url", "base_url", "endpoint", "address")


LOCALHOST = "localhost"
LOCALHOST_ADDRESS = "127.0.0.1"  # what `localhost` means here: no resolver is asked


class RemoteAddressError(ValueError):
    """A backend address leaves this machine and `allowRemote` is false."""


def host_of(url: str) -> str:
    """The host part of `url`; a bare "host:port" or "host" is read as http://host:port."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError as exc:
        raise RemoteAddressError(f"{url!r} is not a valid address ({exc})") from None
    if not host:
        raise RemoteAddressError(f"{url!r} names no host")
    return host


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_loopback(host: str) -> bool:
    """True for a loopback IP literal or exactly `localhost`, which ghostwright maps itself.

    Any other name, even `foo.localhost` or `localhost.`, would go to the system resolver, which
    may ask a DNS server off this machine and may answer with any address.
    """
    if host.lower() == LOCALHOST:
        return True
    address = _literal(host)
    return address is not None and address.is_loopback


def check_address(url: str, allow_remote: bool) -> None:
    """Raise RemoteAddressError unless `url` is loopback or remote addresses are allowed."""
    host = host_of(url)
    if allow_remote or is_loopback(host):
        return
    raise RemoteAddressError(
        f"{url} is not on this machine ({host}); ghostwright talks only to loopback addresses "
        "unless you set allowRemote = true in its configuration"
    )


def connect_target(url: str, allow_remote: bool) -> tuple[str, dict[str, str]]:
    """The URL to connect to and the headers to add, such that no name is resolved.

    `localhost` becomes 127.0.0.1 in the URL and stays in the Host header (servers that guard
    against DNS rebinding, like Ollama, check it). With allowRemote the URL is left as written:
    a remote name is resolved as the user asked. A refused address is returned unchanged: the
    backend's `require` refuses it before any request.
    """
    text = url.strip()
    if allow_remote or not text:
        return text, {}
    parts = urlsplit(text if "://" in text else "http://" + text)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return text, {}
    if host is None or host.lower() != LOCALHOST:
        return text, {}
    netloc = LOCALHOST_ADDRESS + (f":{port}" if port else "")
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return parts._replace(netloc=netloc).geturl(), {"Host": LOCALHOST + (f":{port}" if port else "")}


def require(url: str, allow_remote: bool) -> None:
    """check_address for a backend about to connect: the refusal is a BackendError for the user."""
    from ghostwright.backends.base import BackendError

    try:
        check_address(url, allow_remote)
    except RemoteAddressError as exc:
        raise BackendError(str(exc)) from None


def configured_addresses(config: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every non-empty backend address in a config, as (dotted key, value)."""
    found: list[tuple[str, str]] = []
    if not is_dataclass(config):
        return found
    for f in fields(config):
        value = getattr(config, f.name)
        key = f"{prefix}{f.name}"
        if is_dataclass(value):
            found += configured_addresses(value, key + ".")
        elif f.name in ADDRESS_FIELDS and isinstance(value, str) and value:
            found.append((key, value))
        elif f.name in ADDRESS_FIELDS and isinstance(value, (list, tuple)):
            found += [(f"{key}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str) and v]
    return found


def describe(config: Any) -> list[str]:
    """Lines for `ghostwright doctor`: the policy and each configured address's verdict."""
    allow = bool(getattr(config, "allow_remote", False))
    lines = [f"allowRemote = {str(allow).lower()}" + ("" if allow else " (loopback only)")]
    addresses = configured_addresses(config)
    if not addresses:
        lines.append("no network backends configured: the model runs in this process")
    for key, url in addresses:
        try:
            check_address(url, allow)
            host = host_of(url)
            verdict = "loopback" if is_loopback(host) else "remote, allowed by allowRemote"
            lines.append(f"{key} = {url}: {verdict}")
        except RemoteAddressError as exc:
            lines.append(f"! {key} = {url}: refused: {exc}")
    return lines
