"""The fenced code blocks of a Markdown file, with the marker before each.

A marker is an HTML comment (invisible when rendered) on the last
non-blank line before the opening fence:

    <!-- docs-test: background -->     a program that runs until the end of
                                        the file (a server the next blocks use)
    <!-- docs-test: output -->          this text block lists lines the
                                        previous block prints
    <!-- docs-test: output of background -->   ... the last background block
    <!-- docs-test: skip REASON -->     not run, and why

Without a marker a ``python`` block is a program when it calls
``asyncio.run(`` or checks ``__main__`` (run as a script), else a fragment
(run in the file's session, which keeps names from block to block); a
``sh`` block runs in bash; a block without a language, or ``text``, is not
code (a diagram, an output).
"""

import re

_FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*docs-test:\s*(.*?)\s*-->$")

CODE = ("python", "sh")
TEXT = ("", "text")


class Block:
    def __init__(self, path, line, language, text, marker):
        self.path = path
        self.line = line  # of the opening fence, 1-based
        self.language = language
        self.text = text
        self.marker = marker  # the marker's text, or None

    @property
    def kind(self):
        """program, background, fragment, shell, output, text or skip."""
        marker = self.marker or ""
        if marker.startswith("skip"):
            return "skip"
        if marker in ("output", "output of background"):
            return "output"
        if self.language == "python":
            if marker == "background":
                return "background"
            if "asyncio.run(" in self.text or "__main__" in self.text:
                return "program"
            return "fragment"
        if self.language == "sh":
            return "background" if marker == "background" else "shell"
        if self.language in TEXT:
            return "text"
        raise ValueError(
            "%s:%d: a ```%s block; the docs test runs python and sh, and shows text"
            % (self.path, self.line, self.language)
        )

    def where(self):
        return "%s:%d" % (self.path, self.line)

    def __repr__(self):
        return "<Block %s %s>" % (self.where(), self.kind)


def read_blocks(path):
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    blocks = []
    index = 0
    last_text = None  # last non-blank line outside a block
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            if lines[index].strip():
                last_text = lines[index].strip()
            index += 1
            continue
        start = index
        index += 1
        body = []
        while index < len(lines) and lines[index].rstrip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise ValueError("%s:%d: code block never closed" % (path, start + 1))
        marker = _MARKER.match(last_text or "")
        blocks.append(
            Block(
                path,
                start + 1,
                match.group(1),
                "\n".join(body) + "\n",
                marker.group(1) if marker else None,
            )
        )
        last_text = None
        index += 1
    return blocks
