"""The runtime with the real generated protocol (generated/cpython/ocpp16):
both roles through an in-memory pipe for every one of the 39 actions.

Payloads are drawn from the patched JSON schemas by the strategies of
tests/generated (independent of the generator), decoded to typed objects by
the generated codec, and must come out of the other end equal:

* sans-IO: two ``Connection`` objects, frames moved by hand;
* asyncio: two ``ocppj_aio`` ChargePoints subclassing the generated
  handler classes (``ocpp16.handlers``), every stub overridden, routed
  through the ``OCPP_HANDLERS`` tables.
"""

import asyncio
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "generated"))

from aio_pipe import Closed, pipe  # noqa: E402
from budget import examples  # noqa: E402
from ocpp16 import handlers, protocol  # noqa: E402
from ocppj import errors  # noqa: E402
from ocppj.session import Session  # noqa: E402
from ocppj_aio.charge_point import ChargePoint  # noqa: E402
from payload_strategies import payloads  # noqa: E402

ACTIONS = sorted(protocol.ACTIONS)
ROLES = ("ChargePoint", "CentralSystem")


def directions(action):
    """(sender role, receiver role) pairs the action travels."""
    initiator = protocol.ACTIONS[action][0]
    if initiator == "Both":
        return [("ChargePoint", "CentralSystem"), ("CentralSystem", "ChargePoint")]
    receiver = "CentralSystem" if initiator == "ChargePoint" else "ChargePoint"
    return [(initiator, receiver)]


def test_the_protocol_has_39_actions_and_every_one_has_a_handler_stub():
    assert len(ACTIONS) == 39
    tables = (
        handlers.CentralSystemHandlers.OCPP_HANDLERS,
        handlers.ChargePointHandlers.OCPP_HANDLERS,
    )
    for action in ACTIONS:
        for _sender, receiver in directions(action):
            table = tables[0] if receiver == "CentralSystem" else tables[1]
            assert action in table, (action, receiver)


@pytest.mark.parametrize("action", ACTIONS)
@settings(max_examples=examples(0.1))
@given(data=st.data())
def test_sans_io_pipe_carries_every_action_both_ways(action, data):
    for sender_role, receiver_role in directions(action):
        request = protocol.decode_request(action, data.draw(payloads(action, "request")))
        response = protocol.decode_response(action, data.draw(payloads(action, "response")))
        sender = Session(protocol, sender_role)
        receiver = Session(protocol, receiver_role)

        call_id = sender.send_call(request, 0)
        [frame] = sender.data_to_send()
        [received] = receiver.receive_text(frame, 0)
        assert received.kind == "CallReceived", received
        assert received.action == action and received.unique_id == call_id
        assert received.request == request

        receiver.send_result(call_id, response)
        [frame] = receiver.data_to_send()
        [answered] = sender.receive_text(frame, 0)
        assert answered.kind == "ResultReceived", answered
        assert answered.action == action
        assert answered.response == response


@pytest.mark.parametrize("action", ACTIONS)
def test_the_wrong_direction_is_refused_on_both_ends(action):
    if protocol.ACTIONS[action][0] == "Both":
        return
    sender_role, receiver_role = directions(action)[0]
    request_class = protocol.request_class(action)
    # the receiver refuses to send it (checked before the payload's fields,
    # so a bare instance will do)...
    receiver = Session(protocol, receiver_role)
    with pytest.raises(errors.WrongDirectionError):
        receiver.send_call(request_class.__new__(request_class), 0)
    # ...and the sender refuses to receive it
    sender = Session(protocol, sender_role)
    [event] = sender.receive_text('[2,"w","%s",{}]' % action, 0)
    assert event.kind == "FrameRejected" and event.error.code == "NotSupported"


def _handler_class(base, responses, received):
    namespace = {"protocol": protocol}
    for action, method in base.OCPP_HANDLERS.items():

        async def handler(self, _action=action, **kwargs):
            await asyncio.sleep(0)
            received.append((_action, kwargs))
            return responses[_action]

        namespace[method] = handler
    return type("All" + base.__name__, (base, ChargePoint), namespace)


@settings(max_examples=examples(0.05))
@given(data=st.data())
def test_asyncio_charge_points_with_generated_handlers_carry_all_39(data):
    messages = []
    for action in ACTIONS:
        for sender_role, _receiver_role in directions(action):
            request = protocol.decode_request(action, data.draw(payloads(action, "request")))
            response = protocol.decode_response(action, data.draw(payloads(action, "response")))
            messages.append((action, sender_role, request, response))

    async def scenario():
        responses = {"ChargePoint": {}, "CentralSystem": {}}
        for action, sender_role, _request, response in messages:
            receiver_role = "CentralSystem" if sender_role == "ChargePoint" else "ChargePoint"
            responses[receiver_role][action] = response
        received = {"ChargePoint": [], "CentralSystem": []}
        cs_class = _handler_class(
            handlers.CentralSystemHandlers,
            responses["CentralSystem"],
            received["CentralSystem"],
        )
        cp_class = _handler_class(
            handlers.ChargePointHandlers,
            responses["ChargePoint"],
            received["ChargePoint"],
        )
        cs_end, cp_end = pipe()
        ends = {
            "CentralSystem": cs_class("CP-1", cs_end),
            "ChargePoint": cp_class("CP-1", cp_end),
        }
        assert ends["CentralSystem"]._session.role == "CentralSystem"
        assert ends["ChargePoint"]._session.role == "ChargePoint"
        readers = [asyncio.ensure_future(end.start()) for end in ends.values()]
        for action, sender_role, request, response in messages:
            receiver_role = "CentralSystem" if sender_role == "ChargePoint" else "ChargePoint"
            got = await ends[sender_role].call(request, suppress=False)
            assert got == response, action
            last_action, kwargs = received[receiver_role][-1]
            assert last_action == action
            assert kwargs == protocol.request_kwargs(request)
        cs_end.close()
        for reader in readers:
            with pytest.raises(Closed):
                await reader

    asyncio.run(asyncio.wait_for(scenario(), 60))
