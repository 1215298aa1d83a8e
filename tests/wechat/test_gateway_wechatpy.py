"""The gateway uses wechatpy through its public surface only (wechat/gateway/__init__.py says why).

An override of a wechatpy class is how its private methods (`_request`, `_handle_result`) get
bent; a private attribute read off another object (`client._http`) is the other way. Both are
checked on the gateway's source, so the next upgrade of the alpha cannot break us silently.
"""

import ast
from pathlib import Path

import wechat.gateway

GATEWAY = Path(wechat.gateway.__file__).parent


def gateway_modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text()) for path in sorted(GATEWAY.glob("*.py"))}


def wechatpy_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "wechatpy":
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] == "wechatpy"
            }
    return names


def test_no_gateway_class_derives_from_a_wechatpy_class():
    subclasses = []
    for name, tree in gateway_modules().items():
        imported = wechatpy_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base).split(".")[0] for base in node.bases}
                if bases & imported:
                    subclasses.append(f"{name}: {node.name}")
    assert subclasses == []


def test_the_gateway_reads_no_private_attribute_of_another_object():
    reaches = []
    for name, tree in gateway_modules().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                reaches.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert reaches == []


def test_wechatpy_is_imported_from_its_public_modules_only():
    private = [
        f"{name}: {node.module}"
        for name, tree in gateway_modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("wechatpy")
        and any(part.startswith("_") for part in node.module.split("."))
    ]
    assert private == []
