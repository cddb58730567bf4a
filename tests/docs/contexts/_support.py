"""What the docs' contexts share: a real central system on 127.0.0.1 in a
thread of its own, blocking WebSocket clients for device code, and the
device bundle staged as ``usr/`` (as the device imports it)."""

import asyncio
import os
import shutil
import sys
import threading

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ConnectionEnded = ConnectionClosed


def stage_usr(session):
    """Copy what ``make device`` ships into ``<folder>/usr`` and make
    ``usr.ocpp16`` / ``usr.ocppj`` importable."""
    sys.path.insert(0, session.root)
    from tools import device

    for name, source in device.device_sources():
        target = os.path.join(session.folder, "usr", name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(str(source), target)
    sys.path.insert(0, session.folder)


class ThreadedCentralSystem:
    """A CentralSystem served by an event loop in a thread; ``serve(cs)``
    is awaited there with the started server (to push CALLs)."""

    def __init__(self, factory, serve=None):
        from ocpp16 import protocol
        from ocppj_aio.server import CentralSystem

        self.loop = asyncio.new_event_loop()
        self.server = CentralSystem(factory, protocol=protocol)
        self._serve = serve
        self.done = threading.Event()
        self.errors = []
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            started.set()
            if self._serve is not None:
                self.task = self.loop.create_task(self._guarded())
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(10)

    async def _guarded(self):
        try:
            await self._serve(self.server)
        except Exception as exc:  # the context's teardown reports it
            self.errors.append(exc)
        finally:
            self.done.set()

    def url(self, identity):
        return self.server.url(identity)

    def stop(self):
        future = asyncio.run_coroutine_threadsafe(self.server.close(), self.loop)
        future.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class DeviceConnection:
    """The application's blocking WebSocket client, as device code uses
    it: ``send(text)``, ``recv()`` returning None after a short read
    timeout, raising once the connection is gone."""

    def __init__(self, url, read_timeout=0.5):
        self._websocket = connect(url, subprotocols=["ocpp1.6"], open_timeout=10)
        self._timeout = read_timeout

    def send(self, text):
        self._websocket.send(text)

    def recv(self):
        try:
            return self._websocket.recv(timeout=self._timeout)
        except TimeoutError:
            return None

    def close(self):
        self._websocket.close()
