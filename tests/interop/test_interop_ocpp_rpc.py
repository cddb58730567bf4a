"""Interop with the npm package ocpp-rpc 2.2.1 (pinned in
tests/interop/node/package-lock.json) over real WebSockets on 127.0.0.1.

ocpp-rpc runs with ``strictMode: true``: every CALL and CALLRESULT it sends
or receives is validated with ajv against its own ocpp1.6 schemas, which
include the security extension, so all 39 actions are checked by a second,
independent validator (formats included: date-time, uri). A failure shows
up as a ``strictValidationFailure`` event (and as an error on the call);
the tests require none.

* ``node/charge_point.js``: RPCClient as the charge point against our
  ``CentralSystem``;
* ``node/central_system.js``: RPCServer as the central system against our
  ``ChargePointClient``.

The node scripts print one JSON line per thing they saw; the tests assert
on those lines and on what our side received.
"""

import json
import os

import payloads
from interop_support import (
    NODE_DIR,
    NodePeer,
    assert_seen_in_order,
    assert_wire_equal,
    check_our_response,
    node_or_skip,
    recording_class,
    run,
    write_table,
)
from ocpp16 import protocol
from ocppj_aio.client import ChargePointClient
from ocppj_aio.server import CentralSystem

CHARGE_POINT_ACTIONS = payloads.initiated_by(payloads.CHARGE_POINT)
CENTRAL_SYSTEM_ACTIONS = payloads.initiated_by(payloads.CENTRAL_SYSTEM)
TRANSACTION_ACTIONS = ("StartTransaction", "MeterValues", "StopTransaction")


def test_the_pinned_version_is_locked():
    with open(os.path.join(NODE_DIR, "package-lock.json"), encoding="utf-8") as handle:
        lock = json.load(handle)
    assert lock["packages"]["node_modules/ocpp-rpc"]["version"] == "2.2.1"
    assert lock["packages"]["node_modules/ocpp-rpc"]["integrity"].startswith("sha512-")


def test_ocpp_rpc_knows_every_action_including_the_security_extension():
    node_or_skip()
    path = os.path.join(NODE_DIR, "node_modules", "ocpp-rpc", "lib", "schemas", "ocpp1_6.json")
    with open(path, encoding="utf-8") as handle:
        ids = {schema["$id"] for schema in json.load(handle)}
    expected = set()
    for action in protocol.ACTIONS:
        expected.add("urn:%s.req" % action)
        expected.add("urn:%s.conf" % action)
    assert ids == expected


def assert_peer_clean(peer):
    """Nothing ocpp-rpc complained about: no strict-mode failure in either
    direction, no bad frame, no call it had no handler for, no error."""
    for name in (
        "strictValidationFailure",
        "badMessage",
        "unexpected",
        "error",
        "fatal",
    ):
        assert peer.named(name) == [], (name, peer.named(name))


def assert_peer_handled(peer, actions):
    handled = peer.named("handled")
    assert [event["action"] for event in handled] == list(actions)
    for event in handled:
        assert_wire_equal(
            event["params"],
            payloads.REQUESTS[event["action"]],
            event["action"] + ".req",
        )


def assert_peer_results(peer, actions):
    results = peer.named("result")
    assert [event["action"] for event in results] == list(actions)
    for event in results:
        assert_wire_equal(
            event["response"],
            payloads.RESPONSES[event["action"]],
            event["action"] + ".conf",
        )


def test_ocpp_rpc_charge_point_against_our_central_system(tmp_path):
    node = node_or_skip()
    table = write_table(tmp_path)
    seen_by_us = []
    our_results = {}

    async def scenario():
        async with CentralSystem(
            recording_class(payloads.CENTRAL_SYSTEM, seen_by_us),
            protocol=protocol,
            port=0,
        ) as server:
            peer = NodePeer(node, "charge_point.js", server.url(), "RPC-CP-1", table)
            await peer.start()
            try:
                connected = await peer.wait_for("connected")
                assert connected["protocol"] == "ocpp1.6"
                await peer.wait_for("calls_done")
                assert server.is_connected("RPC-CP-1")
                for action in CENTRAL_SYSTEM_ACTIONS:
                    our_results[action] = await server.call(
                        "RPC-CP-1", payloads.typed_request(action), suppress=False
                    )
                await server.close()
                closed = await peer.wait_for("closed")
                assert closed["code"] == 1001
                assert await peer.finish() == 0
            finally:
                peer.kill()
        return peer

    peer = run(scenario())

    assert_peer_clean(peer)
    # the peer sent, we got typed requests, it validated our answers
    assert_peer_results(peer, CHARGE_POINT_ACTIONS)
    assert_seen_in_order(seen_by_us, CHARGE_POINT_ACTIONS)
    # we sent, it validated our requests, we got typed answers
    assert_peer_handled(peer, CENTRAL_SYSTEM_ACTIONS)
    assert list(our_results) == CENTRAL_SYSTEM_ACTIONS
    for action, response in our_results.items():
        check_our_response(action, response)


def test_ocpp_rpc_central_system_against_our_charge_point(tmp_path):
    node = node_or_skip()
    table = write_table(tmp_path)
    seen_by_us = []
    our_results = {}

    async def scenario():
        peer = NodePeer(node, "central_system.js", table)
        await peer.start()
        try:
            port = (await peer.wait_for("listening"))["port"]
            client = ChargePointClient(
                "ws://127.0.0.1:%d/ocpp" % port,
                "OUR-CP-2",
                protocol=protocol,
                boot_notification=payloads.typed_request("BootNotification"),
                charge_point_factory=recording_class(payloads.CHARGE_POINT, seen_by_us),
                queue=str(tmp_path / "transactions.jsonl"),
                max_reconnects=0,
            )
            async with client:
                await client.wait_accepted(timeout=10)
                our_results["BootNotification"] = client.registration
                client_event = await peer.wait_for("client")
                assert client_event == {
                    "event": "client",
                    "identity": "OUR-CP-2",
                    "protocol": "ocpp1.6",
                }
                await peer.wait_for("calls_done")
                for action in CHARGE_POINT_ACTIONS[1:]:
                    if action in TRANSACTION_ACTIONS:
                        continue
                    our_results[action] = await client.call(
                        payloads.typed_request(action), suppress=False
                    )
                # transaction messages through the persistent queue; the
                # transactionId of MeterValues and StopTransaction is filled
                # in from the central system's StartTransaction.conf (4711)
                start = client.enqueue(payloads.typed_request("StartTransaction"))
                meter = protocol.decode_request(
                    "MeterValues",
                    dict(payloads.REQUESTS["MeterValues"], transactionId=0),
                )
                meter_values = client.enqueue(meter, transaction=start.transaction)
                stop = protocol.decode_request(
                    "StopTransaction",
                    dict(payloads.REQUESTS["StopTransaction"], transactionId=0),
                )
                stop_transaction = client.enqueue(stop, transaction=start.transaction)
                our_results["StartTransaction"] = await start
                our_results["MeterValues"] = await meter_values
                our_results["StopTransaction"] = await stop_transaction
                assert len(client.queue) == 0
            await peer.wait_for("closed")
            assert await peer.finish() == 0
        finally:
            peer.kill()
        return peer

    peer = run(scenario())

    assert_peer_clean(peer)
    sent_order = [a for a in CHARGE_POINT_ACTIONS if a not in TRANSACTION_ACTIONS]
    sent_order += list(TRANSACTION_ACTIONS)
    # we sent (boot first, transaction messages last), it validated and
    # answered, we got typed answers
    assert_peer_handled(peer, sent_order)
    assert sorted(our_results) == sorted(CHARGE_POINT_ACTIONS)
    for action, response in our_results.items():
        check_our_response(action, response)
    # it sent, we got typed requests, it validated our answers
    assert_peer_results(peer, CENTRAL_SYSTEM_ACTIONS)
    assert_seen_in_order(seen_by_us, CENTRAL_SYSTEM_ACTIONS)
