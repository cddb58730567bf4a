"""Every OCPP 1.6 action through gateway and Mosquitto in the EMQX
format, in its direction(s), with both topic presets and both MQTT
versions."""

import pytest
from gateway_support import (
    ChargePoint,
    Service,
    charge_point,
    downstream_topic,
    gateway,
    payloads,
    reply_topic,
    run,
    status_topic,
    upstream_call_topic,
)
from mosquitto_broker import Mosquitto
from ocpp16 import protocol
from ocppj.routing import on

CHARGE_POINT_ACTIONS = payloads.initiated_by(payloads.CHARGE_POINT)
CENTRAL_SYSTEM_ACTIONS = payloads.initiated_by(payloads.CENTRAL_SYSTEM)


def test_the_table_covers_all_39_actions():
    assert len(set(CHARGE_POINT_ACTIONS) | set(CENTRAL_SYSTEM_ACTIONS)) == 39


def _table_charge_point():
    """A charge point answering every central-system CALL from the table
    and recording what it was asked."""
    namespace = {"role": "ChargePoint", "asked": []}

    def make(action):
        async def handler(self, **fields):
            self.asked.append(action)
            return payloads.typed_response(action)

        return on(action)(handler)

    for action in CENTRAL_SYSTEM_ACTIONS:
        namespace["answer_" + action] = make(action)
    return type("TableChargePoint", (ChargePoint,), namespace)


@pytest.mark.parametrize("preset, version", [("emqx4", "5"), ("emqx5", "5"), ("emqx4", "3.1.1")])
def test_every_action_round_trips_in_its_directions(tmp_path, preset, version):
    identity = "CP-RT-1"
    with Mosquitto(tmp_path) as broker:

        async def scenario():
            async with (
                Service(broker) as service,
                gateway(broker, topics=preset, gateway_id="gw-rt", mqtt_protocol=version) as gw,
            ):
                assert gw.broker.protocol == version
                service.answer_calls(preset)
                websocket, cp, reader = await charge_point(
                    gw.url(identity), cls=_table_charge_point()
                )
                await service.expect_on(status_topic(preset, identity), status="online")
                # the charge point's CALLs: up with the exact payload, the
                # table's answer back, typed
                for action in CHARGE_POINT_ACTIONS:
                    response = await cp.call(payloads.typed_request(action), suppress=False)
                    assert response == payloads.typed_response(action), action
                    up = await service.expect_on(
                        upstream_call_topic(preset, identity, action), Action=action
                    )
                    assert up["MessageTypeId"] == 2
                    assert up["Payload"] == payloads.REQUESTS[action]
                # the services' CALLs: down, answered by the charge point,
                # up on the reply topic with the Action
                for index, action in enumerate(CENTRAL_SYSTEM_ACTIONS):
                    unique_id = "svc-%d" % index
                    service.publish(
                        downstream_topic(preset, identity, "Call", action),
                        {
                            "MessageTypeId": 2,
                            "UniqueId": unique_id,
                            "Action": action,
                            "Payload": payloads.REQUESTS[action],
                        },
                    )
                    reply = await service.expect_on(
                        reply_topic(preset, identity), UniqueId=unique_id, MessageTypeId=3
                    )
                    assert reply["Action"] == action
                    assert protocol.decode_response(action, reply["Payload"]) == (
                        payloads.typed_response(action)
                    ), action
                assert cp.asked == CENTRAL_SYSTEM_ACTIONS
                await websocket.close()
                await reader

        run(scenario(), timeout=60)
