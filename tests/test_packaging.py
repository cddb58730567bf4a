"""A plain `pip install` gives a working `ocppj` (issue 13, item 5).

The wheel is built from this tree (pip, no build isolation, no network),
then: its metadata asks for websockets unconditionally, pip's resolver
wants websockets for a plain install, and a copy installed without it
(`--no-deps`, an interpreter that sees no site-packages) still runs
`ocppj validate` and says in one line what `ocppj serve` is missing.
"""

import email
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        PIP + ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(folder), ROOT],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = [folder / name for name in os.listdir(folder) if name.endswith(".whl")]
    return path


def test_the_wheel_requires_websockets_without_an_extra(wheel):
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(name))
        entry_points = archive.read(name.replace("METADATA", "entry_points.txt")).decode()
    requires = metadata.get_all("Requires-Dist")
    assert "websockets>=13" in requires  # no '; extra == ...' marker
    assert "ocppj = ocppj_aio.cli:main" in entry_points


def test_pip_resolves_websockets_for_a_plain_install(wheel, tmp_path):
    # Offline, with only our wheel to choose from: pip must ask for websockets.
    done = subprocess.run(
        PIP
        + ["install", "--dry-run", "--ignore-installed", "--no-index", "--find-links"]
        + [str(wheel.parent), "--target", str(tmp_path / "target"), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert "websockets>=13" in done.stdout + done.stderr


def test_without_websockets_the_command_names_what_to_install(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run(
        PIP + ["install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # -S: no site-packages, so only what went into target can be imported
    environment = dict(os.environ, PYTHONPATH=str(target))
    command = [sys.executable, "-S", str(target / "bin" / "ocppj")]
    probe = subprocess.run(
        [sys.executable, "-S", "-c", "import websockets"], env=environment, capture_output=True
    )
    assert probe.returncode != 0, "websockets is importable: the test would prove nothing"

    served = subprocess.run(
        command + ["serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert served.returncode == 1, served.stdout + served.stderr
    assert served.stderr.splitlines() == [
        "ocppj serve: error: the websockets package (13 or later), which ocppj serve needs, is"
        " not installed: pip install 'ocpp16-toolkit[websockets]' (or pip install websockets)"
    ]
    validated = subprocess.run(
        command + ["validate"],
        input='[2,"1","Heartbeat",{}]\n',
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert validated.stdout.splitlines()[0] == "1: valid: CALL Heartbeat"
