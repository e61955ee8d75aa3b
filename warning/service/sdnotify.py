"""The systemd notification protocol, in the few lines it needs.

With ``Type=notify`` systemd passes ``NOTIFY_SOCKET``; we send datagrams such
as ``READY=1`` to it. Without the variable every call is a no-op, so the
daemon behaves the same under systemd, in a terminal and in tests.
"""

from __future__ import annotations

import os
import socket
import time


def notify(*assignments: str) -> bool:
    """Send ``KEY=VALUE`` lines to systemd; False when not under systemd or on error."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(assignments).encode())
        return True
    except OSError:
        return False


def reloading() -> bool:
    """Tell systemd a reload started (it wants the monotonic time with it)."""
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify("RELOADING=1", f"MONOTONIC_USEC={usec}")


def watchdog_interval() -> float | None:
    """Seconds within which systemd expects WATCHDOG=1, if the watchdog is on for us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1_000_000
    except ValueError:
        return None
