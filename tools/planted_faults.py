"""Plant the five faults issue 13 (item 15) found the suite let through
(the first in two places), one at a time, and check that a test now fails for each.

    .venv/bin/python -m tools.planted_faults        (part of `make test-long`)

Each fault is a text replacement in one file of a scratch copy of the
committed tree (``git archive HEAD``; the work tree is never touched),
followed by the tests named for it. Prints one line per fault, CAUGHT or
MISSED, and exits 1 when any is missed or a replacement no longer
matches the source (then the fault list needs updating, not the code).
"""

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (what, file, text, replacement, tests)
FAULTS = [
    (
        "Basic auth accepts an empty or truncated password (profiles 1 and 2)",
        "runtime/ocppj_aio/security.py",
        "        return hmac.compare_digest(expected, password)\n\n\nclass PasswordFile",
        "        return expected.startswith(password)\n\n\nclass PasswordFile",
        ["tests/transport/test_auth.py"],
    ),
    (
        "the server lets an empty Basic password through for a listed charge point",
        "runtime/ocppj_aio/server.py",
        "        if not accepted:\n",
        "        if not accepted and password:\n",
        ["tests/transport/test_auth.py"],
    ),
    (
        "the transaction queue neither flushes nor fsyncs on put",
        "runtime/ocppj_aio/queue.py",
        "        self._file.write(text)\n        self._file.flush()\n"
        "        os.fsync(self._file.fileno())\n",
        "        self._file.write(text)\n",
        ["tests/transport/test_transactions.py", "tests/transport/test_queue.py"],
    ),
    (
        "a queued StartTransaction meeting a closed session is dropped, not kept",
        "runtime/ocppj_aio/client.py",
        '                raise NotConnectedError("connection closed", self.identity) from None\n',
        '                queue.done(entry, why="dropped: session closed")\n'
        "                self._settle(entry, failure=DeliveryFailed(entry.action, 'closed'))\n"
        "                continue\n",
        ["tests/transport/test_transactions.py"],
    ),
    (
        "[5, id, 'GenericError', 'x', {}] settles our CALL as a CallError",
        "runtime/ocppj/framing.py",
        '    elif message_type == CALLERROR:\n        name = "CALLERROR"\n',
        "    elif message_type >= CALLERROR:\n        message_type = CALLERROR\n"
        '        name = "CALLERROR"\n',
        ["tests/runtime/scenarios/test_ocppj_message_types.py"],
    ),
    (
        "a device CALL times out one read late on an integer clock (> for >=)",
        "runtime/ocppj/device.py",
        "if deadline is not None and now >= deadline:",
        "if deadline is not None and now > deadline:",
        ["tests/micropython/test_device_deadline.py"],
    ),
]

LINKED = (".venv", "schemas/upstream", "tests/interop/node/node_modules")


def scratch_copy():
    folder = tempfile.mkdtemp(prefix="ocppj-faults-")
    archive = subprocess.run(
        ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    for name in LINKED:
        if os.path.exists(os.path.join(ROOT, name)):
            os.symlink(os.path.join(ROOT, name), os.path.join(folder, name))
    return folder


def run_tests(folder, tests):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(folder, "runtime"), os.path.join(folder, "generated", "cpython")]
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"] + tests,
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return completed.returncode


def main():
    folder = scratch_copy()
    missed = 0
    try:
        for what, name, text, replacement, tests in FAULTS:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as handle:
                original = handle.read()
            if original.count(text) != 1:
                print("STALE  %s: the text to replace is not in %s once" % (what, name))
                missed += 1
                continue
            if run_tests(folder, tests) != 0:
                print("BROKEN %s: the tests fail without the fault" % what)
                missed += 1
                continue
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(original.replace(text, replacement))
            try:
                caught = run_tests(folder, tests) != 0
            finally:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(original)
            print("%s %s (%s)" % ("CAUGHT" if caught else "MISSED", what, " ".join(tests)))
            missed += 0 if caught else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("%d of %d planted faults caught" % (len(FAULTS) - missed, len(FAULTS)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
