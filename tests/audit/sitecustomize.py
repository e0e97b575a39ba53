"""Test-only network audit: refuse and record any socket use towards a non-loopback address,
and any name handed to the resolver (getaddrinfo/gethostbyname of anything but a literal address).

Python imports `sitecustomize` at start-up from sys.path, so putting this folder on PYTHONPATH
installs the hook in every Python process the tests start (servers, their children, forks).
It is active when GHOSTWRIGHT_NET_AUDIT names a log file: each refused attempt appends one line
there (the test session fails if the file is not empty at the end), and each process that
installed the hook appends its pid to GHOSTWRIGHT_NET_AUDIT + ".pids", so a test can prove the
server really ran under it. It deliberately imports nothing from ghostwright.
"""

from __future__ import annotations

import ipaddress
import os
import sys

ENV = "GHOSTWRIGHT_NET_AUDIT"
_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg",
           "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr")


_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex")


def _loopback(host: object, lookup: bool = False) -> bool:
    """A loopback address; for a lookup, also a literal one: any name there asks the resolver
    (even `localhost`, which ghostwright maps to 127.0.0.1 itself)."""
    if host is None:  # getaddrinfo(None, port) looks up the local wildcard, not the network
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name == "":
        return True
    if name == "localhost" and not lookup:
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def _target(event: str, args: tuple) -> object:
    """The host an event is about, or None when it is not about an internet host."""
    if event in ("socket.connect", "socket.sendto"):
        address = args[1]
        if isinstance(address, tuple) and address:
            return address[0]
        return None  # AF_UNIX paths and the like stay on this machine
    if event == "socket.sendmsg":
        address = args[1] if len(args) > 1 else None
        return address[0] if isinstance(address, tuple) and address else None
    return args[0] if args else None


def install(log_path: str) -> None:
    def hook(event: str, args: tuple) -> None:
        if event not in _EVENTS:
            return
        host = _target(event, args)
        if _loopback(host, event in _LOOKUPS):
            return
        line = f"pid {os.getpid()} {event} {host!r} argv={sys.argv!r}\n"
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8", "replace"))
            finally:
                os.close(fd)
        finally:
            raise PermissionError(f"ghostwright network audit: {event} to {host!r} refused "
                                  "(not a loopback address, or a name to resolve)")

    sys.addaudithook(hook)
    with open(log_path + ".pids", "a") as f:
        f.write(f"{os.getpid()}\n")


if os.environ.get(ENV):
    install(os.environ[ENV])
