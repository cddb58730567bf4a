"""Runs the python fragments of one Markdown file, in order, in one
namespace and one event loop (a subprocess of tests/docs/test_docs.py, so
each file's imports and staged packages stay apart).

    python run_fragments.py CONTEXT PORT     (in the file's scratch folder)

CONTEXT is the path of the file's context module (tests/docs/contexts/),
or "-" for none. A context may define ``setup(session)`` returning the
names the fragments may use, ``teardown(session, namespace)``, and
``EXPECTED_ENDS``, exceptions with which a fragment ends as written (a
blocking ``start()`` that returns by raising once the connection closed).

stdin: one JSON object per fragment, {"where": "docs/x.md:12", "code":
"..."}; stdout: one JSON object per fragment, {"ok": true} or {"ok":
false, "error": "traceback"}. A fragment may use top-level ``await``.
"""

import ast
import asyncio
import importlib.util
import inspect
import json
import os
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Session:
    def __init__(self, port):
        self.port = port
        self.root = ROOT
        self.folder = os.getcwd()
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)


def load_context(path):
    if path == "-":
        return None
    sys.path.insert(0, os.path.dirname(path))  # the contexts' shared helpers
    spec = importlib.util.spec_from_file_location("docs_context", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def execute(session, namespace, where, code, expected_ends):
    compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    try:
        if compiled.co_flags & inspect.CO_COROUTINE:
            session.run(eval(compiled, namespace))
        else:
            exec(compiled, namespace)
    except expected_ends:
        pass


def main():
    context = load_context(sys.argv[1])
    session = Session(int(sys.argv[2]))
    namespace = {"__name__": "docs_fragment"}
    expected_ends = tuple(getattr(context, "EXPECTED_ENDS", ()))
    out = sys.stdout
    sys.stdout = sys.stderr  # what fragments print must not mix with the replies
    failed_setup = None
    if context is not None and hasattr(context, "setup"):
        try:
            namespace.update(context.setup(session) or {})
        except BaseException:
            failed_setup = "the context's setup failed:\n" + traceback.format_exc()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            if failed_setup is not None:
                reply = {"ok": False, "error": failed_setup}
            else:
                try:
                    execute(session, namespace, request["where"], request["code"], expected_ends)
                    reply = {"ok": True}
                except BaseException:
                    reply = {"ok": False, "error": traceback.format_exc()}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        if failed_setup is None and context is not None and hasattr(context, "teardown"):
            context.teardown(session, namespace)
        session.loop.close()


if __name__ == "__main__":
    main()
