"""An INFO-level log of every frame, as mobilityhouse's ``ocpp`` keeps one.

Off by default: ``ChargePoint(..., log_frames=True)`` (also through
``CentralSystem(..., log_frames=True)`` and ``ChargePointClient(...,
log_frames=True)``, which hand their extra options to each ChargePoint)
wraps the connection in a ``FrameLog``. Lines go to the logger
``ocppj.frames`` in mobilityhouse's wording:

    CP-1: receive message [2,"19223201","BootNotification",{...}]
    CP-1: send [3,"19223201",{"status":"Accepted",...}]

A connection without it pays nothing per frame.
"""

import logging

_LOG = logging.getLogger("ocppj.frames")


class FrameLog:
    """Delegates to ``connection`` and logs each text frame it carries."""

    def __init__(self, connection, name):
        self._connection = connection
        self._name = name

    def __getattr__(self, name):
        # result_sent, close, remote_address, ... of the wrapped connection
        return getattr(self._connection, name)

    async def recv(self):
        text = await self._connection.recv()
        _LOG.info("%s: receive message %s", self._name, text)
        return text

    async def send(self, text):
        _LOG.info("%s: send %s", self._name, text)
        await self._connection.send(text)
