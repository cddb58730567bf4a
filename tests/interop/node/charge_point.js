'use strict';
// ocpp-rpc RPCClient as an OCPP 1.6 charge point, strict mode on.
// Usage: node charge_point.js <endpoint ws://host:port> <identity> <table.json>
// Connects, sends every charge-point action of the table, answers the
// central system's calls until the central system closes the connection.
const { RPCClient } = require('ocpp-rpc');
const { emit, loadTable, watch, answer, callAll, guard } = require('./peer_common');

guard(async () => {
    const [endpoint, identity, tablePath] = process.argv.slice(2);
    const table = loadTable(tablePath);
    const client = new RPCClient({
        endpoint,
        identity,
        protocols: ['ocpp1.6'],
        strictMode: true,
        reconnect: false,
        callTimeoutMs: 10000,
    });
    watch(client);
    answer(client, table, table.centralSystemActions);
    client.on('close', ({ code, reason }) => {
        emit('closed', { code, reason: String(reason || '') });
        process.exit(0);
    });
    await client.connect();
    emit('connected', { protocol: client.protocol, identity: client.identity });
    await callAll(client, table, table.chargePointActions);
});
