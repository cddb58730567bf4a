"""Instructions per message on the hot path, counted by callgrind: a figure
that does not move with the machine's load, unlike the CPU time of
bench/hotpath.py.

    python -m bench instructions                 this tree and BASELINE
    python -m bench.instructions [REV ...]       this tree and each REV

The workload is bench/hotpath.py's "ours server" contender on the mix (one
connection answering the eight CALLs of bench/frames.py, one of each), run
under ``valgrind --tool=callgrind`` with PYTHONHASHSEED=0. Each tree runs it
twice in fresh interpreters, SMALL and LARGE connections after the same
imports and warm-up, and the figure is the difference in instructions
divided by the difference in messages: start-up and imports cancel out.

A revision (a commit of this repository, e.g. the issue's baseline) is
measured from its own files: ``git archive`` of its runtime/, generated/
and bench/ into a temporary folder, imported through PYTHONPATH, in the
same run as this tree, so the ratio compares like with like.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# main when issue 12 was filed against 188.7k instructions per message
BASELINE = "9d69e7c"
SMALL = 20
LARGE = 120

_DRIVER = r"""
import asyncio, sys
import ocppj
from bench import frames, hotpath

assert ocppj.__file__.startswith(sys.argv[2]), ocppj.__file__
texts = [frames.call_text(action, payload) for _, action, payload in frames.PAYLOADS]
loop = asyncio.new_event_loop()
contenders = hotpath.Contenders(loop)
for _ in range(int(sys.argv[1])):
    contenders.run("ours_server", texts)
print("MESSAGES", int(sys.argv[1]) * len(texts))
"""


def valgrind():
    try:
        subprocess.run(["valgrind", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def _instructions(tree, connections, scratch):
    """(instructions, messages) of the driver with ``connections`` on the
    runtime and generated code of ``tree``."""
    out = os.path.join(scratch, "callgrind.%d.out" % connections)
    paths = [os.path.join(tree, "runtime"), os.path.join(tree, "generated", "cpython"), tree]
    completed = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=" + out,
            sys.executable,
            "-c",
            _DRIVER,
            str(connections),
            os.path.join(tree, "runtime"),
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=os.pathsep.join(paths)),
    )
    messages = re.search(r"^MESSAGES (\d+)$", completed.stdout, re.M)
    if completed.returncode != 0 or messages is None:
        raise RuntimeError("callgrind run failed: %s" % completed.stderr[-2000:])
    with open(out) as handle:
        totals = re.search(r"^(?:summary|totals): (\d+)", handle.read(), re.M)
    os.unlink(out)
    return int(totals.group(1)), int(messages.group(1))


def per_message(tree):
    """Instructions per message on the hot-path mix for ``tree``."""
    with tempfile.TemporaryDirectory() as scratch:
        small, small_messages = _instructions(tree, SMALL, scratch)
        large, large_messages = _instructions(tree, LARGE, scratch)
    return (large - small) / float(large_messages - small_messages)


def per_message_at(revision):
    """per_message() of a commit of this repository."""
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(
            ["git", "archive", revision, "runtime", "generated", "bench"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        return per_message(tree)


def compare(revisions):
    """{"this tree": figure, revision: figure, ...} and prints them."""
    figures = {"this tree": per_message(ROOT)}
    for revision in revisions:
        figures[revision] = per_message_at(revision)
    print("Instructions per message, hot-path mix (callgrind, PYTHONHASHSEED=0)")
    for name, figure in figures.items():
        line = "  %-10s %8.1fk" % (name, figure / 1000.0)
        if name != "this tree":
            line += "   this tree / %s: %.3f" % (name, figures["this tree"] / figure)
        print(line)
    return figures


def run():
    from bench import results

    if not valgrind():
        print("valgrind is not installed: instructions per message not counted")
        return None
    figures = compare([BASELINE])
    print("wrote %s" % results.write("instructions", {"per_message": figures}))
    return figures


if __name__ == "__main__":
    if not valgrind():
        raise SystemExit("valgrind is not installed")
    compare(sys.argv[1:])
