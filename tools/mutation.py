"""Mutation testing with cosmic-ray (pinned in requirements/mutation.txt)
over the code issue 13 (item 15) names: the portable runtime core, the
asyncio tier's security, queue and client modules, and the generator's
rule emission (generator/pycode.py, which turns every schema constraint
into a validator statement).

    .venv/bin/python -m tools.mutation [target ...]     (`make test-long`)

Per target: a scratch copy of the committed tree (``git archive HEAD``;
cosmic-ray mutates files in place, so the work tree is never touched),
``cosmic-ray init`` over the target file, a baseline run, ``cosmic-ray
exec`` running the target's tests (``pytest -x``) once per mutant, then
the counts. Sessions stay in build/mutation/<target>.sqlite, so an
interrupted run goes on where it stopped (``cr-report`` and ``cr-html``
read them; surviving mutants are what to look at). The score is killed /
(killed + survived); a mutant that hangs past the timeout counts as
killed, as cosmic-ray counts it.

Targets and their tests are chosen so that every mutant is run against
the tests that exercise the file, nothing else: the whole run takes
hours on two cores (the client alone most of it), hence by hand.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "mutation")
BIN = os.path.dirname(sys.executable)
LINKED = (".venv", "schemas/upstream", "tests/interop/node/node_modules")

# name -> (file to mutate, tests, seconds per mutant before it counts as hung)
TARGETS = {
    "core": ("runtime/ocppj/session.py", ["tests/runtime/scenarios"], 60),
    "security": (
        "runtime/ocppj_aio/security.py",
        [
            "tests/transport/test_auth.py",
            "tests/transport/test_server_handshake.py",
            "tests/transport/test_tls_profiles.py",
        ],
        120,
    ),
    "queue": (
        "runtime/ocppj_aio/queue.py",
        ["tests/transport/test_queue.py", "tests/transport/test_transactions.py"],
        180,
    ),
    "rules": ("generator/pycode.py", ["tests/generator"], 180),
    "client": (
        "runtime/ocppj_aio/client.py",
        [
            "tests/transport/test_client.py",
            "tests/transport/test_transactions.py",
            "tests/transport/test_identity.py",
        ],
        240,
    ),
}

CONFIG = """[cosmic-ray]
module-path = "{module}"
timeout = {timeout}
excluded-modules = []
test-command = "{python} -m pytest -x -q -p no:cacheprovider {tests}"

[cosmic-ray.distributor]
name = "local"
"""


def scratch_copy():
    folder = tempfile.mkdtemp(prefix="ocppj-mutation-")
    archive = subprocess.run(
        ["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    for name in LINKED:
        if os.path.exists(os.path.join(ROOT, name)):
            os.symlink(os.path.join(ROOT, name), os.path.join(folder, name))
    return folder


def counts(session):
    """{"killed": n, "survived": n, "incompetent": n, "pending": n}."""
    result = {"killed": 0, "survived": 0, "incompetent": 0, "pending": 0}
    connection = sqlite3.connect(session)
    try:
        rows = connection.execute(
            "SELECT work_results.test_outcome, work_results.worker_outcome"
            " FROM work_items LEFT JOIN work_results"
            " ON work_items.job_id = work_results.job_id"
        ).fetchall()
    finally:
        connection.close()
    for test_outcome, worker_outcome in rows:
        if worker_outcome is None:
            result["pending"] += 1
        elif test_outcome == "KILLED" or worker_outcome == "TIMEOUT":
            result["killed"] += 1
        elif test_outcome == "SURVIVED":
            result["survived"] += 1
        else:
            result["incompetent"] += 1
    return result


def run_target(name, folder):
    module, tests, timeout = TARGETS[name]
    os.makedirs(OUT, exist_ok=True)
    config = os.path.join(folder, "cosmic-ray-%s.toml" % name)
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(
            CONFIG.format(
                module=module,
                timeout=float(timeout),
                python=os.path.join(folder, ".venv", "bin", "python"),
                tests=" ".join(tests),
            )
        )
    session = os.path.join(OUT, name + ".sqlite")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(folder, "runtime"), os.path.join(folder, "generated", "cpython")]
    )
    cosmic_ray = os.path.join(BIN, "cosmic-ray")
    if not os.path.exists(session):
        subprocess.run([cosmic_ray, "init", config, session], cwd=folder, env=env, check=True)
        baseline = subprocess.run(
            [cosmic_ray, "baseline", config], cwd=folder, env=env, capture_output=True, text=True
        )
        if baseline.returncode != 0:
            raise SystemExit("%s: the tests fail without mutations:\n%s" % (name, baseline.stdout))
    subprocess.run([cosmic_ray, "exec", config, session], cwd=folder, env=env, check=True)
    return counts(session)


def main(argv):
    names = argv or list(TARGETS)
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        print("unknown target(s) %s; known: %s" % (", ".join(unknown), ", ".join(TARGETS)))
        return 2
    folder = scratch_copy()
    summary = {}
    try:
        for name in names:
            figures = run_target(name, folder)
            decided = figures["killed"] + figures["survived"]
            figures["score"] = figures["killed"] / decided if decided else None
            summary[name] = figures
            print(
                "%-8s %-32s killed %4d  survived %4d  incompetent %3d  score %s"
                % (
                    name,
                    TARGETS[name][0],
                    figures["killed"],
                    figures["survived"],
                    figures["incompetent"],
                    "%.1f%%" % (100 * figures["score"]) if decided else "-",
                ),
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    killed = sum(f["killed"] for f in summary.values())
    survived = sum(f["survived"] for f in summary.values())
    if killed + survived:
        print(
            "all      killed %d, survived %d: score %.1f%%"
            % (killed, survived, 100.0 * killed / (killed + survived))
        )
    with open(os.path.join(OUT, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
