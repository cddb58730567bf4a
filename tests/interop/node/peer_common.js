'use strict';
// Shared by the two ocpp-rpc peers: the payload table, JSON-line output
// for the Python test that drives us, and the listeners that report what
// ocpp-rpc itself noticed (strict-mode schema failures, bad frames).
const fs = require('fs');
const { createRPCError } = require('ocpp-rpc');

function emit(event, fields) {
    process.stdout.write(JSON.stringify(Object.assign({ event }, fields || {})) + '\n');
}

function loadTable(path) {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
}

function describeError(err) {
    return {
        name: err && err.name,
        code: err && err.rpcErrorCode,
        message: String((err && err.message) || err),
    };
}

function watch(client) {
    client.on('strictValidationFailure', (failure) => {
        emit('strictValidationFailure', {
            method: failure.method,
            outbound: failure.outbound,
            isCall: failure.isCall,
            params: failure.params,
            result: failure.result,
            error: describeError(failure.error),
        });
    });
    client.on('badMessage', ({ buffer, error }) => {
        emit('badMessage', { frame: String(buffer), error: describeError(error) });
    });
}

// Answer every action the table lists for the other side with the table's
// response, reporting the params ocpp-rpc handed us (already checked
// against its schema in strict mode). Anything else is NotImplemented and
// reported, so the test sees an unexpected call instead of a timeout.
function answer(client, table, actions, onHandled) {
    for (const action of actions) {
        client.handle(action, ({ params }) => {
            emit('handled', { action, params });
            if (onHandled) onHandled(action);
            return table.responses[action];
        });
    }
    client.handle(({ method, params }) => {
        emit('unexpected', { method, params });
        throw createRPCError('NotImplemented', 'no handler for ' + method);
    });
}

// Send every action in order, one outstanding call at a time.
async function callAll(client, table, actions) {
    for (const action of actions) {
        try {
            const response = await client.call(action, table.requests[action]);
            emit('result', { action, response });
        } catch (err) {
            emit('error', Object.assign({ action }, describeError(err)));
        }
    }
    emit('calls_done', {});
}

function guard(main) {
    main().catch((err) => {
        emit('fatal', { message: String((err && err.stack) || err) });
        process.exit(1);
    });
}

module.exports = { emit, loadTable, watch, answer, callAll, guard };
