"""The CPython tier of ocppj: asyncio transports, the ``ocppj`` command, the
``ocpp16`` binding (v16) and CPython speedups. It imports the portable tier
(``ocppj``), never the reverse.

Importing this package hands the portable core CPython's C JSON entry
points (speedups.install: same results, less time per frame).
"""

from . import speedups

speedups.install()
