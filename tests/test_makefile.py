"""The Makefile sets up what the tests need by itself (issue 13, item 1).

`make test` installs the ocpp-rpc interop peer from
tests/interop/node/package-lock.json with `npm ci`, once per lock file,
or says exactly why it cannot. The real `npm ci` needs the npm registry,
so these tests put a stand-in `npm` on PATH that records how it was called
(no network in tests); .ci/run and every `make test` run the real one.
"""

import os
import shutil
import stat
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_DIR = os.path.join("tests", "interop", "node")
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not on PATH")

FAKE_NPM = """#!/bin/sh
echo "$PWD $*" >> "{log}"
[ -n "$FAIL_NPM" ] && {{ echo "npm ERR! network unreachable" >&2; exit 1; }}
rm -rf node_modules && mkdir -p node_modules/ocpp-rpc
echo '{{}}' > node_modules/ocpp-rpc/package.json
"""


@pytest.fixture
def tree(tmp_path):
    """The Makefile and what its rules read, in a scratch tree, plus a
    bin/ folder with stand-in node and npm."""
    for name in ("Makefile", "pyproject.toml", os.path.join("requirements", "dev.txt")):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(ROOT, name), target)
    node_dir = tmp_path / NODE_DIR
    node_dir.mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, NODE_DIR, "package-lock.json"), node_dir)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm.log"
    for name, text in (("npm", FAKE_NPM.format(log=log)), ("node", "#!/bin/sh\nexit 0\n")):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def make(tree, *targets, path=None, **environment):
    env = dict(os.environ, **environment)
    env["PATH"] = path if path is not None else "%s:/usr/bin:/bin" % (tree / "bin")
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    return subprocess.run(
        [MAKE, "--no-print-directory"] + list(targets),
        cwd=str(tree),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def npm_calls(tree):
    log = tree / "npm.log"
    return log.read_text().splitlines() if log.exists() else []


def test_make_test_runs_npm_ci_before_the_tests():
    plan = make_plan()
    assert "npm ci --no-audit --no-fund --loglevel=error" in plan
    assert plan.index("npm ci") < plan.index("-m pytest")


def make_plan():
    # `make -n test` in the real tree with the stamp out of date: what a
    # fresh clone runs, printed instead of run.
    done = subprocess.run(
        [MAKE, "-n", "-W", os.path.join(NODE_DIR, "package-lock.json"), "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_node_peer_installs_once_per_lock_file(tree):
    done = make(tree, "node-peer")
    assert done.returncode == 0, done.stdout + done.stderr
    assert npm_calls(tree) == ["%s ci --no-audit --no-fund --loglevel=error" % (tree / NODE_DIR)]
    stamp = tree / NODE_DIR / "node_modules" / ".installed-lock.json"
    lock = tree / NODE_DIR / "package-lock.json"
    assert stamp.read_bytes() == lock.read_bytes()

    assert make(tree, "node-peer").returncode == 0
    assert len(npm_calls(tree)) == 1  # up to date: not again

    os.utime(lock, (stamp.stat().st_mtime + 10,) * 2)  # the lock file changed
    assert make(tree, "node-peer").returncode == 0
    assert len(npm_calls(tree)) == 2


def test_without_node_it_says_why_and_what_to_do(tree):
    done = make(tree, "node-peer", path=str(tree / "empty"))
    assert done.returncode == 0  # the rest of the suite still runs
    assert npm_calls(tree) == []
    assert "node or npm is not on PATH" in done.stderr
    assert "its tests will skip" in done.stderr
    assert "apt-get install nodejs npm" in done.stderr


def test_a_failing_npm_ci_stops_make_test_and_says_so(tree):
    done = make(tree, "node-peer", FAIL_NPM="1")
    assert done.returncode != 0
    assert "npm ERR! network unreachable" in done.stderr
    assert "npm ci failed in tests/interop/node" in done.stderr
    assert not (tree / NODE_DIR / "node_modules" / ".installed-lock.json").exists()
