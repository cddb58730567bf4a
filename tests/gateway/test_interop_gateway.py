"""Third-party charge points through the gateway and Mosquitto: a
mobilityhouse ``ocpp`` 2.1.0 charge point and an ocpp-rpc (node) one,
each sending every action it may and answering every command a service
publishes."""

import asyncio

import websockets
from gateway_support import Service, gateway, payloads, run
from interop_support import NodePeer, assert_wire_equal, node_or_skip, write_table
from mosquitto_broker import Mosquitto
from test_interop_mobilityhouse import (
    CENTRAL_SYSTEM_ACTIONS,
    CHARGE_POINT_ACTIONS,
    assert_they_got,
    assert_they_saw,
    their_class,
    their_request,
)
from test_interop_ocpp_rpc import assert_peer_clean, assert_peer_handled, assert_peer_results


async def _commands(service, identity, actions):
    """Publish one command per action and collect the replies' payloads."""
    replies = {}
    for index, action in enumerate(actions):
        unique_id = "%s-%d" % (identity, index)
        service.publish(
            "ocpp/%s/Call/%s" % (identity, action),
            {
                "MessageTypeId": 2,
                "UniqueId": unique_id,
                "Action": action,
                "Payload": payloads.REQUESTS[action],
            },
        )
        reply = await service.expect_on("ocpp/cp/Reply/" + identity, timeout=10, UniqueId=unique_id)
        assert reply["Action"] == action
        replies[action] = reply["Payload"]
    return replies


def _check_replies(replies):
    assert list(replies) == CENTRAL_SYSTEM_ACTIONS
    for action, payload in replies.items():
        assert_wire_equal(payload, payloads.RESPONSES[action], action + ".conf")


def test_a_mobilityhouse_charge_point_through_the_gateway(tmp_path):
    seen_by_them = []
    their_results = {}
    with Mosquitto(tmp_path) as broker:

        async def scenario():
            async with Service(broker) as service, gateway(broker) as gw:
                service.answer_calls()
                async with websockets.connect(
                    gw.url("MH-GW-1"), subprotocols=["ocpp1.6"]
                ) as websocket:
                    cp = their_class(seen_by_them, CENTRAL_SYSTEM_ACTIONS)("MH-GW-1", websocket)
                    reader = asyncio.ensure_future(cp.start())
                    try:
                        for action in CHARGE_POINT_ACTIONS:
                            their_results[action] = await cp.call(their_request(action))
                        return await _commands(service, "MH-GW-1", CENTRAL_SYSTEM_ACTIONS)
                    finally:
                        reader.cancel()

        replies = run(scenario(), timeout=60)
    assert_they_got(their_results, CHARGE_POINT_ACTIONS)
    assert_they_saw(seen_by_them, CENTRAL_SYSTEM_ACTIONS)
    _check_replies(replies)


def test_an_ocpp_rpc_charge_point_through_the_gateway(tmp_path):
    node = node_or_skip()
    table = write_table(tmp_path)
    with Mosquitto(tmp_path) as broker:

        async def scenario():
            async with Service(broker) as service, gateway(broker) as gw:
                service.answer_calls()
                peer = NodePeer(node, "charge_point.js", gw.url(), "RPC-GW-1", table)
                await peer.start()
                try:
                    await peer.wait_for("connected")
                    await peer.wait_for("calls_done")
                    replies = await _commands(service, "RPC-GW-1", CENTRAL_SYSTEM_ACTIONS)
                    await gw.close()
                    await peer.wait_for("closed")
                    assert await peer.finish() == 0
                finally:
                    peer.kill()
                return peer, replies

        peer, replies = run(scenario(), timeout=60)
    assert_peer_clean(peer)
    assert_peer_results(peer, CHARGE_POINT_ACTIONS)
    assert_peer_handled(peer, CENTRAL_SYSTEM_ACTIONS)
    _check_replies(replies)
