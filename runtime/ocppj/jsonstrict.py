"""What jsontext offers where json.loads is strict (CPython): which texts
still need the scan, and the nesting of a parsed value.

Imported by jsontext only when the interpreter's parser refuses ``[1 2]``;
MicroPython's accepts it, scans every frame (which bounds the nesting as
it goes) and never loads this module.
"""


def needs_scan(text):
    """Whether ``loads`` alone could misjudge ``text`` (a str)."""
    return "NaN" in text or "Infinity" in text


def may_be_too_deep(text, max_depth):
    """False when ``text`` cannot nest deeper than ``max_depth``: it holds
    no more brackets than that (counted in C, so cheap)."""
    return text.count("[") + text.count("{") > max_depth


def too_deep(value, max_depth):
    """Whether the parsed ``value`` nests arrays/objects deeper than
    ``max_depth`` (the outermost container is level 1). Iterative."""
    # Level by level: one depth count per level, not one per container.
    level = []
    if type(value) is dict or type(value) is list:
        level.append(value)
    depth = 1
    while level:
        if depth > max_depth:
            return True
        below = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
        level = below
        depth += 1
    return False
