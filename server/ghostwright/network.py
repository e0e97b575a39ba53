"""Which addresses ghostwright may talk to: loopback only, unless `allowRemote` says otherwise."""

from __future__ import annotations

import ipaddress
from dataclasses import fields, is_dataclass
from typing import Any
from urllib.parse import urlsplit

# Config fields that hold a backend address (the HTTP backends name theirs like this).
ADDRESS_FIELDS = ("host", "url", "base_url", "endpoint", "address")


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


def is_loopback(host: str) -> bool:
    """True for localhost names and loopback IP literals; never resolves a name (that is traffic)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def check_address(url: str, allow_remote: bool) -> None:
    """Raise RemoteAddressError unless `url` is loopback or remote addresses are allowed."""
    host = host_of(url)
    if allow_remote or is_loopback(host):
        return
    raise RemoteAddressError(
        f"{url} is not on this machine ({host}); ghostwright talks only to loopback addresses "
        "unless you set allowRemote = true in its configuration"
    )


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
