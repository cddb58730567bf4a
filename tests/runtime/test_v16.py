"""ocppj_aio.v16: the CPython binding of the runtime to the generated package."""

import asyncio

from ocppj_aio.v16 import ChargePoint, call_result, enums, on, protocol


class Pipe:
    def __init__(self):
        self.sent = []

    async def send(self, text):
        self.sent.append(text)

    async def recv(self):
        await asyncio.sleep(3600)


class CentralSystemSide(ChargePoint):
    @on(enums.Action.heartbeat)
    def on_heartbeat(self):
        return call_result.Heartbeat(current_time="2026-01-01T00:00:00Z")


def test_protocol_defaults_to_the_generated_package_and_answers_a_call():
    async def scenario():
        pipe = Pipe()
        side = CentralSystemSide("CP-1", pipe)
        assert side.protocol is protocol
        await side.route_message('[2,"7","Heartbeat",{}]')
        await side.route_message('[2,"8","Heartbeat",{"extra":1}]')
        for _ in range(10):
            if len(pipe.sent) == 2:
                break
            await asyncio.sleep(0.01)
        return pipe.sent

    sent = asyncio.run(scenario())
    assert protocol.ValidationError  # the interface is the generated one
    import json

    frames = [json.loads(text) for text in sent]
    assert frames[0] == [3, "7", {"currentTime": "2026-01-01T00:00:00Z"}]
    assert frames[1][:3] == [4, "8", "PropertyConstraintViolation"]
