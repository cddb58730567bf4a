'use strict';
// ocpp-rpc RPCServer as an OCPP 1.6 central system, strict mode on.
// Usage: node central_system.js <table.json>
// Listens on 127.0.0.1 (a free port, printed), answers the charge point's
// calls and, once its BootNotification is answered, sends every
// central-system action of the table. Exits when the charge point leaves.
const { RPCServer } = require('ocpp-rpc');
const { emit, loadTable, watch, answer, callAll, guard } = require('./peer_common');

guard(async () => {
    const [tablePath] = process.argv.slice(2);
    const table = loadTable(tablePath);
    const server = new RPCServer({
        protocols: ['ocpp1.6'],
        strictMode: true,
        callTimeoutMs: 10000,
    });
    server.on('client', async (client) => {
        emit('client', { identity: client.identity, protocol: client.protocol });
        watch(client);
        client.on('close', ({ code, reason }) => {
            emit('closed', { code, reason: String(reason || '') });
            server.close({ force: true }).then(() => process.exit(0));
        });
        let booted;
        const boot = new Promise((resolve) => { booted = resolve; });
        answer(client, table, table.chargePointActions, (action) => {
            // let the BootNotification.conf leave before our first call
            if (action === 'BootNotification') setImmediate(booted);
        });
        await boot;
        await callAll(client, table, table.centralSystemActions);
    });
    const http = await server.listen(0, '127.0.0.1');
    emit('listening', { port: http.address().port });
});
