"""Jinja environment, black formatting and writing of generated files."""

from pathlib import Path
from typing import Dict

import black
import jinja2

TEMPLATES = Path(__file__).parent / "templates"

# Pinned in requirements/dev.txt; output depends on it, so say which.
BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY39}, line_length=88)


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def format_python(source: str, name: str) -> str:
    try:
        return black.format_str(source, mode=BLACK_MODE)
    except black.InvalidInput as error:  # a template bug: show where
        raise SystemExit("generated %s is not valid Python: %s" % (name, error)) from None


def write_tree(files: Dict[str, str], out: Path) -> None:
    """Writes exactly `files` below `out`, removing stale generated files."""
    wanted = {out / rel for rel in files}
    for flavour_dir in {(out / rel).parts[len(out.parts)] for rel in files}:
        root = out / flavour_dir
        if root.exists():
            for path in sorted(root.rglob("*")):
                if path.is_file() and path not in wanted:
                    path.unlink()
    for rel in sorted(files):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = files[rel].encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
