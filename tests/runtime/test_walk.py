"""The walk of one CALL (issue 12): socket -> pump -> session -> router ->
handler -> session -> pump, the router finding the handler and never
answering for it. bench/walk.py records it with sys.setprofile."""

import types

from bench import walk

SESSION = "ocppj.session"
ROUTER = "ocppj.routing"


def test_one_call_walks_socket_pump_session_router_handler_session_pump():
    summary = walk.one_call()
    callees = [handoff[0] for handoff in summary["handoffs"]]
    assert callees == [walk.SOCKET, SESSION, ROUTER, walk.HANDLER, SESSION, walk.SOCKET]
    # the router reads the request's fields and calls into no runtime module
    assert summary["handoffs"][2][1:] == ["ocpp16.protocol"]
    # the pump is where every hand-off starts: never re-entered
    assert "ocppj_aio.charge_point" not in summary["reentries"]
    assert ROUTER not in summary["reentries"]
    runtime = [m for m in summary["modules"] if m.split(".")[0] in ("ocppj", "ocppj_aio")]
    assert runtime == [
        "ocppj_aio.charge_point",
        SESSION,
        "ocppj.framing",
        "ocppj_aio.speedups",
        "ocppj.validation",
        "ocppj.events",
        ROUTER,
    ]


def _module(name, source):
    module = types.ModuleType(name)
    exec(source, module.__dict__)
    return module


def test_the_recorder_sees_hand_offs_and_re_entries():
    pump = _module("ocppj.fake_pump", "def run(a, b):\n    a.f(b.g)\n    b.g()\n")
    a = _module("ocppj.fake_a", "def f(g):\n    return g()\n")
    b = _module("ocppj.fake_b", "def g():\n    return 1\n")
    recorder = walk.Recorder("ocppj.fake_pump", {})
    recorder.start()
    pump.run(a, b)
    recorder.stop()
    summary = recorder.summary()
    assert summary["handoffs"] == [
        [walk.SOCKET],
        ["ocppj.fake_a", "ocppj.fake_b"],
        ["ocppj.fake_b"],
    ]
    # b ran under a, and was left: the pump's own call to it enters it again
    assert summary["reentries"] == ["ocppj.fake_b"]
    assert summary["modules_visited"] == 4
