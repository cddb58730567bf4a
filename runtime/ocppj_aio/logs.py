"""Rate-limited warnings per connection (CPython only).

A connection's ChargePoint reports what the peer did wrong (a refused
frame, an answer nobody waited for) as one WARNING each, and a failing
handler as one ERROR with its traceback. A peer that floods invalid
CALLs made 146,249 such lines (30 MB) in 30 s in a field test, so each
connection gets a ``ConnectionLog``:

* at most ``burst`` lines per ``interval`` seconds are written;
* the rest are counted, and one summary line says how many were left
  out and repeats the last of them: when the interval is over (a timer,
  on the running event loop), or when the connection ends.

Identities are printed escaped (``ocppj_aio.identity.printable``).
"""

import logging
import time

from .identity import printable

DEFAULT_BURST = 20
DEFAULT_INTERVAL = 60.0


class ConnectionLog:
    def __init__(
        self,
        name,
        logger=None,
        burst=DEFAULT_BURST,
        interval=DEFAULT_INTERVAL,
        clock=time.monotonic,
    ):
        self.name = printable(name)
        self.logger = logger if logger is not None else logging.getLogger("ocppj")
        self.burst = burst
        self.interval = interval
        self._clock = clock
        self._window_start = None
        self._written = 0
        self.suppressed = 0  # left out in the current interval
        self.suppressed_total = 0
        self._last = None
        self._timer = None

    def warning(self, message, exc_info=None):
        """Write ``message`` (prefixed by the connection's name) at
        WARNING unless this interval's ``burst`` is spent."""
        self.log(logging.WARNING, message, exc_info)

    def error(self, message, exc_info=None):
        """The same at ERROR (a failing handler: with its traceback)."""
        self.log(logging.ERROR, message, exc_info)

    def log(self, level, message, exc_info=None):
        now = self._clock()
        if self._window_start is None or now - self._window_start >= self.interval:
            self.summarise()
            self._window_start = now
            self._written = 0
        if self._written < self.burst:
            self._written += 1
            self.logger.log(level, "%s: %s", self.name, message, exc_info=exc_info)
            return
        self.suppressed += 1
        self.suppressed_total += 1
        self._last = message
        if self._timer is None:
            self._schedule_summary(self._window_start + self.interval - now)

    def summarise(self):
        """Write the summary line of what was left out, if anything."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.suppressed:
            return
        self.logger.warning(
            "%s: %d more warnings left out in %g s (at most %d per interval); the last: %s",
            self.name,
            self.suppressed,
            self.interval,
            self.burst,
            self._last,
        )
        self.suppressed = 0
        self._last = None

    def close(self):
        """The connection ended: summarise now."""
        self.summarise()

    def _schedule_summary(self, delay):
        try:
            import asyncio

            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next warning or close() summarises
        self._timer = loop.call_later(max(0.0, delay), self._interval_over)

    def _interval_over(self):
        self._timer = None
        self.summarise()
        self._window_start = None
