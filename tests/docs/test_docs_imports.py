"""The Python snippets in the transport docs compile, and what they import
exists (CPython names only; the device snippets are not imported here)."""

import ast
import importlib
import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = ("quickstart.md", "security-profiles.md", "migrating.md")


def python_blocks(name):
    with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as handle:
        text = handle.read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize("name", DOCS)
def test_snippets_compile_and_their_imports_resolve(name):
    blocks = python_blocks(name)
    assert blocks, name
    for block in blocks:
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module.split(".")[0] in (
                "ocpp16",
                "ocppj",
            ):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or importlib.util.find_spec(
                        node.module + "." + alias.name
                    ), "%s: %s.%s" % (name, node.module, alias.name)


def test_migration_table_names_exist():
    # Names the tables in migrating.md promise, outside code blocks.
    import asyncio

    from ocpp16 import call, call_result
    from ocppj.errors import NotImplementedCallError, NotSupportedError
    from ocppj_aio.charge_point import CallTimeoutError, ChargePoint

    assert call.BootNotificationPayload is call.BootNotification
    assert call_result.ResetPayload is call_result.Reset
    assert issubclass(CallTimeoutError, asyncio.TimeoutError)
    assert NotImplementedCallError.code == "NotImplemented"
    assert NotSupportedError.code == "NotSupported"
    assert hasattr(ChargePoint, "start") and hasattr(ChargePoint, "route_message")
