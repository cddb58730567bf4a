"""examples/ run as a person would: two processes on 127.0.0.1."""

import os
import subprocess
import sys
import time

from transport_support import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def example(name):
    return os.path.join(ROOT, "examples", name)


def test_example_charge_point_charges_once_at_the_example_central_system(tmp_path):
    port = free_port()
    password = "example-password-0123"
    server = subprocess.Popen(
        [
            sys.executable,
            example("central_system.py"),
            "--port",
            str(port),
            "--password",
            password,
            "--duration",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(0.5)
        charge_point = subprocess.run(
            [
                sys.executable,
                example("charge_point.py"),
                "ws://127.0.0.1:%d" % port,
                "CP-EXAMPLE",
                "--password",
                password,
                "--queue",
                str(tmp_path / "queue.jsonl"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        served, _ = server.communicate(timeout=30)
    output = charge_point.stdout + charge_point.stderr
    assert charge_point.returncode == 0, output
    assert "transaction 1 started" in output
    assert "queue empty: True" in output
    assert "CP-EXAMPLE boots: Example EX-1" in served
    assert "CP-EXAMPLE stops transaction 1 at 1500 Wh" in served
    assert served.count(": 500 Wh") == 1 and served.count(": 1000 Wh") == 1
