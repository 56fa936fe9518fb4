"""Guess limiting for the instance password: wrong passwords are counted per address and
overall, and past a few each further try waits longer, whatever password it brings."""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from starlette.types import Scope

log = logging.getLogger("mockloop.security")


def address_key(host: str) -> str:
    """Whom a guess is counted against: the IPv4 address, or the /64 network of an IPv6
    one (a single host usually holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


@dataclass
class _Tally:
    failures: int = 0
    last: float = 0.0
    until: float = 0.0


class GuessLimiter:
    """Wrong passwords, counted per address and for all addresses together. After
    `tries` failures, a key must wait before its next try: `first_wait` seconds, twice
    as long after each further failure, at most `max_wait`. A key forgets its failures
    after `forget` seconds without one; a right password clears its address's count.
    Asked before the password is looked at: a waiting client is refused even with the
    right one."""

    def __init__(
        self,
        tries: int,
        tries_overall: int,
        *,
        first_wait: float = 1.0,
        max_wait: float = 300.0,
        max_wait_overall: float = 60.0,
        forget: float = 3600.0,
        max_keys: int = 10_000,
    ) -> None:
        self.tries = tries
        self.tries_overall = tries_overall
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.max_wait_overall = max_wait_overall
        self.forget = forget
        self.max_keys = max_keys
        self._overall = _Tally()
        self._by_address: dict[str, _Tally] = {}

    def wait(self, address: str, now: float | None = None) -> float:
        """Seconds `address` must wait before its next try; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        mine = self._by_address.get(address_key(address))
        until = max(self._overall.until, mine.until if mine is not None else 0.0)
        return max(0.0, until - now)

    def failed(self, address: str, now: float | None = None) -> None:
        """Count a wrong password; the first failure that makes a key wait is logged."""
        now = time.monotonic() if now is None else now
        key = address_key(address)
        mine = self._by_address.get(key)
        if mine is None:
            self._trim(now)
            mine = self._by_address[key] = _Tally()
        if self._count(mine, self.tries, self.max_wait, now) == self.tries:
            log.warning("%d wrong passwords from %s: each further try waits", self.tries, key)
        if self._count(self._overall, self.tries_overall, self.max_wait_overall, now) == (
            self.tries_overall
        ):
            log.warning("%d wrong passwords overall: each further try waits", self.tries_overall)

    def succeeded(self, address: str) -> None:
        self._by_address.pop(address_key(address), None)

    def _count(self, tally: _Tally, tries: int, max_wait: float, now: float) -> int:
        if now - tally.last >= self.forget:
            tally.failures = 0
        tally.failures += 1
        tally.last = now
        if tally.failures >= tries:
            doublings = min(tally.failures - tries, 32)
            tally.until = now + min(max_wait, self.first_wait * 2.0**doublings)
        return tally.failures

    def _trim(self, now: float) -> None:
        if len(self._by_address) < self.max_keys:
            return
        for key in [k for k, t in self._by_address.items() if now - t.last >= self.forget]:
            del self._by_address[key]
        if len(self._by_address) >= self.max_keys:
            # Still full: the keys that failed longest ago go first.
            oldest = sorted(self._by_address.items(), key=lambda kv: kv[1].last)
            for key, _ in oldest[: len(oldest) // 2]:
                del self._by_address[key]
