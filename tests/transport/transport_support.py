"""Helpers shared by the transport tests: real sockets on 127.0.0.1 only."""

import asyncio
import socket

from ocpp16 import call, protocol
from ocppj.routing import on
from ocppj_aio.demo import answering_class
from websockets.asyncio.client import connect

HOST = "127.0.0.1"
TEST_TIMEOUT = 20


def run(coroutine, timeout=TEST_TIMEOUT):
    """Run one test coroutine in a fresh event loop, bounded in time."""

    async def bounded():
        return await asyncio.wait_for(coroutine, timeout)

    return asyncio.run(bounded())


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def boot_request(model="Model-1"):
    return call.BootNotification(charge_point_vendor="Vendor", charge_point_model=model)


def recording_central_system(overrides=None, answers=None):
    """An answer-everything central system class whose instances append
    every received action to ``cls.received`` (shared, in order).
    ``answers``: action -> list of wire answers or OCPPError instances,
    consumed one per CALL before falling back to the defaults."""
    base = answering_class(protocol, "CentralSystem", overrides)
    received = []
    scripted = {action: list(items) for action, items in (answers or {}).items()}

    def make(action):
        async def handler(self, **fields):
            received.append((self.id, action, fields))
            queue = scripted.get(action)
            if queue:
                item = queue.pop(0)
                if isinstance(item, Exception):
                    raise item
                return protocol.decode_response(action, item)
            default = getattr(base, "answer_" + action)
            return await default(self, **fields)

        return on(action)(handler)

    namespace = {"received": received, "role": "CentralSystem"}
    for name in dir(base):
        if name.startswith("answer_"):
            action = name[len("answer_") :]
            namespace["record_" + action] = make(action)
    return type("RecordingCentralSystem", (base.__mro__[1],), namespace)


async def open_websocket(url, subprotocols=("ocpp1.6",), **kwargs):
    return await connect(
        url,
        subprotocols=list(subprotocols) if subprotocols is not None else None,
        open_timeout=5,
        **kwargs,
    )


async def wait_for(predicate, timeout=5, step=0.01):
    """Poll ``predicate`` until true; AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        await asyncio.sleep(step)
