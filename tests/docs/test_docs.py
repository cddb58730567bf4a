"""Every code block in docs/ and the README runs, as written (issue 13,
item 2).

Per Markdown file, in order: python programs run as scripts (``background``
ones until the end of the file), python fragments run in one namespace
per file (tests/docs/run_fragments.py, with the names of the file's
context module in tests/docs/contexts/), sh blocks run in bash from the
repository root with .venv/bin first on PATH, and a text block marked
``output`` lists lines the block before it printed (``output of
background``: the last background program), in any order, since programs
that talk to each other print in the order their messages cross (see
doc_blocks.py for the markers). What a shell block starts in the
background (``cmd &``) ends with the block. The one change made to what
is written: the ports 9000 (OCPP-J) and 1883 (MQTT) become free ports, so
runs never collide. Network use is 127.0.0.1 only.
"""

import json
import os
import re
import signal
import subprocess
import sys

import pytest
from doc_blocks import read_blocks

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOCS = sorted(os.path.join("docs", name) for name in os.listdir(os.path.join(ROOT, "docs"))) + [
    "README.md"
]
BLOCK_TIMEOUT = 120


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_port(text, ports):
    """``text`` with each well-known port replaced by this run's free one."""
    for written, used in ports.items():
        text = re.sub(r"\b%d\b" % written, str(used), text)
    return text


def environment():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PATH"] = os.path.join(os.path.dirname(sys.executable)) + os.pathsep + env["PATH"]
    env.pop("MAKEFLAGS", None)
    return env


class Output:
    """What a block printed; a background block's grows until it ends."""

    def __init__(self, block, process=None, text=""):
        self.block = block
        self.process = process
        self._text = text

    def text(self):
        if self.process is not None:
            stop(self.process)
            self._text = self.process.stdout_text
            self.process = None
        return self._text


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    if not hasattr(process, "stdout_text"):
        process.stdout_text = out or ""


class DocRun:
    def __init__(self, path, folder):
        self.path = path
        self.folder = folder
        self.port = free_port()
        self.ports = {9000: self.port, 1883: free_port()}
        self.background = []
        self.fragments = None  # the run_fragments.py process, once needed
        self.last = None  # Output of the last block that ran
        self.last_background = None  # Output of the last background block
        self.checks = []  # (output block, Output) checked at the end

    # ---------------------------------------------------------------- kinds

    def program(self, block, background=False):
        script = os.path.join(self.folder, "block_%d.py" % block.line)
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(with_port(block.text, self.ports))
        return self._start(block, [sys.executable, script], self.folder, background)

    def shell(self, block, background=False):
        script = "set -e\n" + with_port(block.text, self.ports)
        return self._start(block, ["bash", "-c", script], ROOT, background)

    def _start(self, block, command, cwd, background):
        if background:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=environment(),
                start_new_session=True,  # its children stop with it
            )
            self.background.append((block, process))
            self.last = self.last_background = Output(block, process)
            return
        # A file, not a pipe: what the block left running in the background
        # would hold a pipe open after the block ended.
        with open(os.path.join(self.folder, "block_%d.out" % block.line), "w+") as printed:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                stdout=printed,
                stderr=subprocess.STDOUT,
                text=True,
                env=environment(),
                start_new_session=True,
            )
            try:
                process.wait(timeout=BLOCK_TIMEOUT)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            try:
                os.killpg(process.pid, signal.SIGTERM)  # what it left running
            except ProcessLookupError:
                pass
            process.wait(timeout=30)
            printed.seek(0)
            out = printed.read()
        assert finished, "%s did not finish within %ss:\n%s" % (
            block.where(),
            BLOCK_TIMEOUT,
            out,
        )
        assert process.returncode == 0, "%s exited with %s:\n%s" % (
            block.where(),
            process.returncode,
            out,
        )
        assert "Traceback (most recent call last)" not in out, "%s:\n%s" % (block.where(), out)
        self.last = Output(block, text=out)

    def fragment(self, block):
        if self.fragments is None:
            context = os.path.join(
                HERE, "contexts", os.path.basename(self.path)[:-3].replace("-", "_") + ".py"
            )
            # what fragments print goes to a file: a pipe nobody reads could fill
            self.fragments_log = open(os.path.join(self.folder, "fragments.log"), "w+")
            self.fragments = subprocess.Popen(
                [
                    sys.executable,
                    os.path.join(HERE, "run_fragments.py"),
                    context if os.path.exists(context) else "-",
                    str(self.port),
                ],
                cwd=self.folder,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.fragments_log,
                text=True,
                env=environment(),
            )
        request = {"where": block.where(), "code": with_port(block.text, self.ports)}
        self.fragments.stdin.write(json.dumps(request) + "\n")
        self.fragments.stdin.flush()
        reply = self.fragments.stdout.readline()
        if not reply:
            raise AssertionError(
                "%s: the fragment runner died:\n%s" % (block.where(), self._fragments_printed())
            )
        reply = json.loads(reply)
        assert reply["ok"], "%s failed:\n%s" % (block.where(), reply["error"])
        self.last = None  # what fragments print is not checked

    def _fragments_printed(self):
        self.fragments_log.seek(0)
        return self.fragments_log.read()

    def output(self, block):
        source = self.last_background if block.marker == "output of background" else self.last
        assert source is not None, "%s: an output block after no program" % block.where()
        self.checks.append((block, source))

    # ---------------------------------------------------------------- end

    def finish(self):
        problems = []
        if self.fragments is not None:
            self.fragments.stdin.close()
            self.fragments.wait(timeout=60)
            if self.fragments.returncode != 0:
                problems.append("fragment runner, at the end: %s" % self._fragments_printed())
            self.fragments_log.close()
        for block, process in self.background:
            stop(process)
            if "Traceback (most recent call last)" in process.stdout_text:
                problems.append("%s:\n%s" % (block.where(), process.stdout_text))
        for block, output in self.checks:
            printed = [line.rstrip() for line in output.text().splitlines()]
            for written, used in self.ports.items():
                printed = [line.replace(str(used), str(written)) for line in printed]
            for wanted in block.text.splitlines():
                if wanted.rstrip() not in printed:
                    problems.append(
                        "%s: %r is not in what %s printed:\n%s"
                        % (block.where(), wanted, output.block.where(), "\n".join(printed))
                    )
        assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("path", DOCS)
def test_every_code_block_runs(path, tmp_path):
    run = DocRun(path, str(tmp_path))
    counted = {}
    try:
        for block in read_blocks(os.path.join(ROOT, path)):
            kind = block.kind
            counted[kind] = counted.get(kind, 0) + 1
            if kind == "program":
                run.program(block)
            elif kind == "background" and block.language == "python":
                run.program(block, background=True)
            elif kind == "background":
                run.shell(block, background=True)
            elif kind == "shell":
                run.shell(block)
            elif kind == "fragment":
                run.fragment(block)
            elif kind == "output":
                run.output(block)
    finally:
        run.finish()
    assert counted, "%s has no code blocks" % path


def test_skipped_blocks_say_why_and_are_few():
    skipped = []
    for path in DOCS:
        for block in read_blocks(os.path.join(ROOT, path)):
            if block.kind == "skip":
                reason = block.marker[len("skip") :].strip()
                assert reason, "%s: a skip marker without a reason" % block.where()
                skipped.append(block.where())
    # Only the README's `make test`, which is how this suite itself runs.
    # Anything else: make the block run (a context module in
    # tests/docs/contexts/ can give it the names and servers it needs), or
    # show it as ```text if it is not code to run.
    outside_readme = [where for where in skipped if "README.md:" not in where]
    assert not outside_readme and len(skipped) <= 1, "code blocks must run; skipped: %s" % skipped
