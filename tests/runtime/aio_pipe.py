"""An in-memory, bounded, ordered text pipe with the connection interface
the asyncio ChargePoint needs (``async recv()`` / ``async send(text)``)."""

import asyncio


class Closed(Exception):
    """What a pipe end raises once closed, like websockets' ConnectionClosed."""


class PipeEnd:
    def __init__(self):
        self.inbox = asyncio.Queue(maxsize=64)
        self.peer = None
        self.sent = []
        self.closed = False

    async def recv(self):
        item = await self.inbox.get()
        if item is None:
            raise Closed()
        return item

    async def send(self, text):
        if self.closed:
            raise Closed()
        self.sent.append(text)
        await self.peer.inbox.put(text)

    def close(self):
        self.closed = True
        self.inbox.put_nowait(None)
        self.peer.inbox.put_nowait(None)


def pipe():
    a, b = PipeEnd(), PipeEnd()
    a.peer, b.peer = b, a
    return a, b
