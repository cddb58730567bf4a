"""Back-off after failed authentications (CPython only).

Without it a field test made 4,634 password guesses per second against
one central system. ``AuthThrottle`` keeps two ``FailureThrottle`` tables,
one keyed by charge point identity and one by peer address:

* the first ``free_failures`` failures of a key cost nothing (a charge
  point whose AuthorizationKey was just changed, a typo);
* after that each failure blocks the key for ``base_delay * 2 ** k``
  seconds (k = failures beyond the free ones, minus one), at most
  ``max_delay``; a blocked key is answered 429 with ``Retry-After``
  without asking the authenticator, right password or not;
* a success clears the identity's record; an address's record is only
  forgotten ``forget_after`` seconds after its last failure, so one valid
  credential does not reset the count of guesses at other identities;
* at most ``max_keys`` keys are kept per table, the least recently
  failed are forgotten first.

Trade-off: whoever knows an identity can keep that charge point out for
up to ``max_delay`` by guessing at it. The per-identity defaults (3 free
failures, 1 s doubling to 300 s at most) bound that, and a charge point
retries on its own (OCPP-J errata 3.3 back-off); security profile 3
(client certificates) has no password to guess. The per-address table
allows more (20 free failures): many charge points may share one
address behind a carrier's NAT.
"""

import time


class FailureThrottle:
    def __init__(
        self,
        free_failures=3,
        base_delay=1.0,
        max_delay=300.0,
        forget_after=3600.0,
        max_keys=100000,
        clock=time.monotonic,
    ):
        if free_failures < 0 or base_delay <= 0 or max_delay < base_delay or max_keys < 1:
            raise ValueError("free_failures >= 0, 0 < base_delay <= max_delay, max_keys >= 1")
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_keys = max_keys
        self._clock = clock
        self._records = {}  # key -> [failures, blocked until, last failure]; oldest first

    def __len__(self):
        return len(self._records)

    def retry_after(self, key):
        """Seconds before ``key`` may try again (0.0: now)."""
        record = self._records.get(key)
        if record is None:
            return 0.0
        now = self._clock()
        if now - record[2] >= self.forget_after:
            del self._records[key]
            return 0.0
        return max(0.0, record[1] - now)

    def failures(self, key):
        record = self._records.get(key)
        return 0 if record is None else record[0]

    def failed(self, key):
        """Count one failure of ``key``; returns the seconds it is now
        blocked for (0.0 while failures are free)."""
        now = self._clock()
        record = self._records.pop(key, None)
        if record is None or now - record[2] >= self.forget_after:
            record = [0, now, now]
        record[0] += 1
        record[2] = now
        beyond = record[0] - self.free_failures
        delay = 0.0
        if beyond > 0:
            delay = min(self.max_delay, self.base_delay * 2.0 ** min(beyond - 1, 64))
        record[1] = now + delay
        self._records[key] = record  # most recently failed last
        while len(self._records) > self.max_keys:
            del self._records[next(iter(self._records))]
        return delay

    def succeeded(self, key):
        self._records.pop(key, None)


class AuthThrottle:
    """Per-identity and per-address back-off for HTTP Basic (see the
    module doc). ``identities``/``addresses``: FailureThrottle tables, or
    None to leave that side unthrottled."""

    def __init__(self, identities=None, addresses=None, clock=time.monotonic):
        if identities is None:
            identities = FailureThrottle(clock=clock)
        if addresses is None:
            addresses = FailureThrottle(free_failures=20, clock=clock)
        self.identities = identities
        self.addresses = addresses

    def retry_after(self, identity, address):
        """(seconds, which) to wait before ``identity`` from ``address``
        may try; which is "identity" or "address", or (0.0, None)."""
        wait = self.identities.retry_after(identity) if self.identities is not None else 0.0
        which = "identity" if wait else None
        if self.addresses is not None and address is not None:
            by_address = self.addresses.retry_after(address)
            if by_address > wait:
                wait, which = by_address, "address"
        return wait, which

    def failed(self, identity, address):
        if self.identities is not None:
            self.identities.failed(identity)
        if self.addresses is not None and address is not None:
            self.addresses.failed(address)

    def succeeded(self, identity, address):
        if self.identities is not None:
            self.identities.succeeded(identity)
