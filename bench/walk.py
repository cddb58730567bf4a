"""The walk of one CALL: the modules a charge point's CALL passes through on
its way from the socket to its answer, through the asyncio ChargePoint.

    python -m bench walk            a `make bench` section
    python -m bench.walk [TREE]     the walk of the runtime of TREE (a checkout
                                    of this repository; default: this one)

A fake socket hands ``start()`` one Heartbeat CALL. From the moment its
``recv()`` returns the text until the answer reaches its ``send()``,
``sys.setprofile`` sees every Python call and return; after each, control
is in one module. The walk is the sequence of the project's modules
(ocppj, ocppj_aio, ocpp16), the handler and the socket that control is in,
repeats collapsed. Frames of other modules (asyncio, json, this one) are
transparent: control counts as still in the project module that called
them. Figures:

* modules visited: how many of the project's modules the walk touches;
* re-entries: how often control enters a module it had left, that is one
  that ran before and is not on the call stack at that moment (returning
  to a caller is not a re-entry; the session visited a second time to take
  the handler's answer is one);
* hand-offs: the walk as the pump (the module whose code awaited ``recv``)
  sees it: each entry is one of its calls into another module, with the
  modules that call reached.
"""

import asyncio
import json
import os
import subprocess
import sys

PROJECT = ("ocppj", "ocppj_aio", "ocpp16")
SOCKET = "socket"
HANDLER = "handler"
CALL_TEXT = '[2,"w1","Heartbeat",{}]'


class Recorder:
    """The walk between ``start()`` and ``stop()``."""

    def __init__(self, pump, labels):
        self.pump = pump  # module name of the pump
        self.labels = labels  # code object -> what the walk calls it
        self.entries = []  # (module, pump's callee module, re-entry)
        self._seen = {}

    def _module_of(self, frame):
        label = self.labels.get(frame.f_code)
        if label is not None:
            return label
        name = frame.f_globals.get("__name__")
        if name and name.split(".")[0] in PROJECT:
            return name
        return None

    def _chain(self, frame):
        """Project modules from ``frame`` outwards, innermost first."""
        chain = []
        while frame is not None:
            module = self._module_of(frame)
            if module is not None:
                chain.append(module)
            frame = frame.f_back
        return chain

    def _profile(self, frame, event, arg):
        if event == "call":
            chain = self._chain(frame)
        elif event == "return":
            chain = self._chain(frame.f_back)
        else:
            return
        if not chain:
            return
        module = chain[0]
        if self.entries and self.entries[-1][0] == module:
            return
        # a return goes back to a caller; a call into a module that ran
        # before and is not on the stack below is a re-entry
        reentry = (
            event == "call"
            and module in self._seen
            and module not in chain[1:]
            and module != SOCKET
        )
        self._seen[module] = True
        # the module the pump called into: the innermost one below the
        # pump's own frames at the bottom of the stack
        while chain and chain[-1] == self.pump:
            chain.pop()
        callee = chain[-1] if chain else self.pump
        self.entries.append((module, callee, reentry))

    def start(self):
        """Called by the socket as it hands out the CALL."""
        self.entries.append((SOCKET, SOCKET, False))
        sys.setprofile(self._profile)

    def stop(self):
        sys.setprofile(None)

    def summary(self):
        modules = []
        handoffs = []
        for module, callee, _ in self.entries:
            if module not in modules:
                modules.append(module)
            if callee == self.pump:
                continue
            if not handoffs or handoffs[-1][0] != callee:
                handoffs.append([callee])
            if module not in handoffs[-1]:
                handoffs[-1].append(module)
        return {
            "walk": [module for module, _, _ in self.entries],
            "modules": modules,
            "modules_visited": len(modules),
            "steps": len(self.entries),
            "reentries": [module for module, _, reentry in self.entries if reentry],
            "handoffs": handoffs,
        }


class _Socket:
    """Hands out one CALL and starts the recorder as ``recv`` returns it;
    stops it when the answer comes. The next ``recv`` ends ``start()``."""

    def __init__(self, recorder):
        self.recorder = recorder
        self.text = CALL_TEXT
        self.answer = None

    async def recv(self):
        if self.text is None:
            raise ConnectionError("the fake charge point hung up")
        text, self.text = self.text, None
        self.recorder.start()
        return text

    async def send(self, text):
        self.recorder.stop()
        self.answer = text


def one_call():
    """The summary of the walk of one Heartbeat CALL through the asyncio
    ChargePoint of the runtime on sys.path."""
    from ocpp16 import call_result, protocol
    from ocppj.routing import on
    from ocppj_aio.charge_point import ChargePoint

    class CentralSystemSide(ChargePoint):
        @on("Heartbeat")
        async def on_heartbeat(self, **kwargs):
            return call_result.Heartbeat(current_time="2024-05-17T09:41:28.000Z")

    labels = {CentralSystemSide.on_heartbeat.__code__: HANDLER}
    for method in (_Socket.recv, _Socket.send):
        labels[method.__code__] = SOCKET
    recorder = Recorder(ChargePoint.__module__, labels)
    socket = _Socket(recorder)
    charge_point = CentralSystemSide("CP-1", socket, protocol=protocol)

    async def serve():
        try:
            await charge_point.start()
        except ConnectionError:
            pass

    asyncio.run(serve())
    if socket.answer is None or json.loads(socket.answer)[:2] != [3, "w1"]:
        raise AssertionError("no CALLRESULT: %r" % (socket.answer,))
    return recorder.summary()


def of_tree(tree):
    """one_call() in a fresh interpreter on the runtime and generated code of
    ``tree`` (a checkout of this repository)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [os.path.join(tree, "runtime"), os.path.join(tree, "generated", "cpython"), here]
    probe = (
        "import json, ocppj\n"
        "from bench import walk\n"
        "assert ocppj.__file__.startswith(%r), ocppj.__file__\n"
        "print(json.dumps(walk.one_call()))\n" % os.path.join(tree, "runtime")
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(paths)),
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError("walk probe failed: %s" % completed.stderr[-2000:])
    return json.loads(completed.stdout)


def describe(summary):
    lines = [
        "modules visited: %d (%s)" % (summary["modules_visited"], ", ".join(summary["modules"])),
        "steps (changes of module): %d" % summary["steps"],
        "re-entries: %d (%s)" % (len(summary["reentries"]), ", ".join(summary["reentries"])),
        "hand-offs from the pump:",
    ]
    for handoff in summary["handoffs"]:
        lines.append("  -> %s  (%s)" % (handoff[0], ", ".join(handoff[1:]) or "-"))
    lines.append("walk: " + " > ".join(summary["walk"]))
    return "\n".join(lines)


def run():
    from bench import results

    summary = one_call()
    print("One Heartbeat CALL through ocppj_aio's ChargePoint.start(), socket to socket")
    print(describe(summary))
    print("wrote %s" % results.write("walk", summary))
    return summary


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(describe(of_tree(os.path.abspath(sys.argv[1]))))
    else:
        print(describe(one_call()))
