"""`python -m generator`: schemas → generated packages."""

import argparse
import sys
from pathlib import Path

from .build import build_model
from .flavours import FLAVOURS
from .loader import SchemaError, load
from .render import environment, format_python, write_tree

ROOT = Path(__file__).resolve().parent.parent


def render_all(schema_dir: Path, meta_dir: Path):
    model = build_model(load(schema_dir, meta_dir))
    env = environment()
    files = {}
    for flavour_class in FLAVOURS:
        files.update(render_flavour(flavour_class(model), env))
    return files


def render_flavour(flavour, env) -> dict:
    """{path below the output folder: text} for every file of one flavour."""
    files = {}
    for output, template_name, formatted in flavour.files:
        template = env.get_template(template_name)
        context = flavour.module_context(output)
        text = template.render(model=flavour.model, flavour=flavour, **context)
        rel = "%s/%s/%s" % (flavour.name, flavour.package, output)
        files[rel] = format_python(text, rel) if formatted else text
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument("--schemas", type=Path, default=ROOT / "schemas" / "upstream")
    parser.add_argument(
        "--meta", type=Path, default=ROOT / "schemas", help="actions.json, errata.json, lock"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "generated")
    args = parser.parse_args(argv)
    try:
        files = render_all(args.schemas, args.meta)
    except SchemaError as error:
        print("generator: %s" % error, file=sys.stderr)
        return 2
    write_tree(files, args.out)
    print("generator: wrote %d files under %s" % (len(files), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
