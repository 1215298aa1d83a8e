"""Who may import whom, read from the source with the ast module (README, "Layout").

- `core` is what every app shares: it imports no other app of ours and not the project.
- Content apps depend on `editorial` (and `core`); they never import `wechat` or the project.
- `editorial` imports no content app: content reaches it through its interfaces.
- No app imports the project package `alumni_cms`; only the project imports every app.
- `search` imports `editorial` and `core` only of our apps: it reaches the content models through
  `editorial.registry` and their declared search fields, never by importing a content app.
- Only the WeChat gateway (`wechat/gateway.py` or any module of `wechat/gateway/`) imports
  wechatpy.
- Online giving: `payments` depends on `donations` (a paid order becomes a Gift through
  donations.services), never the other way: donations links to the give page by URL name only.
  Only `payments.gateway` talks HTTP to WeChat Pay (the only payments module that imports
  requests); nothing outside `payments` imports its gateway or crypto. The payment emulator
  imports no payments module but `payments.constants` (an independent implementation to test
  against), and no app imports the emulator.
- The emulators are development tools: no app imports the WeChat emulator either, and their
  shared HTTP skeleton `emulator_kit` is imported by the two emulators only; it imports no app
  of ours and not Django (the emulators run without it).

Every import counts: at the top of a module or inside a function, absolute or relative.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "alumni_cms"
CONTENT_APPS = ("articles", "activities", "donations", "alumni", "surveys")
WECHAT = ("wechat", "wechat_emulator")
PAYMENTS = ("payments", "payments_emulator")
APPS = (*CONTENT_APPS, "core", "editorial", *WECHAT, "audience", "notifications", "stats", "search")
EMULATORS = ("wechat_emulator", "payments_emulator")
EMULATOR_KIT = "emulator_kit"
APPS = (*APPS, *PAYMENTS, EMULATOR_KIT)
SKIPPED = {".venv", ".git", "data", "node_modules", "static", "test-results"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """The dotted names `source` (the text of `module`) imports, relative ones resolved."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module
            if prefix:
                names.add(prefix)
            # `from core import text` imports core.text.
            names.update(f"{prefix}.{alias.name}" if prefix else alias.name for alias in node.names)
    return names


def source_files(root: Path):
    """(module name, path, is a package's __init__) of every Python file of the project."""
    for path in sorted(root.rglob("*.py")):
        if SKIPPED & set(path.relative_to(root).parts):
            continue
        yield module_name(path, root), path, path.name == "__init__.py"


def project_imports(root: Path = ROOT) -> dict[str, set[str]]:
    """{module: the names it imports} for every Python file under `root`."""
    return {
        module: imports_of(path.read_text(encoding="utf-8"), module, is_package=is_package)
        for module, path, is_package in source_files(root)
    }


def within(name: str, packages) -> bool:
    return any(name == package or name.startswith(f"{package}.") for package in packages)


def violations(graph: dict[str, set[str]], importers, forbidden) -> list[str]:
    """ "importer -> imported" for each import of a `forbidden` package by an `importers` one."""
    return sorted(
        f"{module} -> {name}"
        for module, names in graph.items()
        if within(module, importers)
        for name in names
        if within(name, forbidden) and not within(name, importers)
    )


def wechatpy_outside_the_gateway(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} -> {name}"
        for module, names in graph.items()
        if not within(module, ["wechat.gateway"])
        for name in names
        if within(name, ["wechatpy"])
    )


@pytest.fixture(scope="module")
def graph():
    return project_imports()


def test_core_imports_no_other_app_and_not_the_project(graph):
    others = [app for app in APPS if app != "core"]
    assert violations(graph, ["core"], [*others, PROJECT]) == []


def test_content_apps_import_neither_wechat_nor_the_project(graph):
    assert violations(graph, CONTENT_APPS, [*WECHAT, PROJECT]) == []


def test_editorial_imports_no_content_app(graph):
    assert violations(graph, ["editorial"], CONTENT_APPS) == []


def test_no_app_imports_the_project(graph):
    assert violations(graph, APPS, [PROJECT]) == []


def test_search_imports_only_editorial_and_core_of_our_apps(graph):
    others = [app for app in APPS if app not in ("search", "editorial", "core")]
    assert violations(graph, ["search"], [*others, PROJECT]) == []


def test_only_the_wechat_gateway_imports_wechatpy(graph):
    assert wechatpy_outside_the_gateway(graph) == []


def test_content_apps_never_import_payments(graph):
    assert violations(graph, CONTENT_APPS, PAYMENTS) == []


def test_only_the_payments_gateway_talks_http(graph):
    others = {m: names for m, names in graph.items() if m != "payments.gateway"}
    assert violations(others, ["payments"], ["requests", "urllib3", "httpx"]) == []


def test_nothing_outside_payments_imports_its_gateway(graph):
    others = [app for app in APPS if app != "payments"]
    assert violations(graph, others, ["payments.gateway", "payments.crypto"]) == []


def test_the_payment_emulator_is_independent_of_the_payments_app(graph):
    found = violations(graph, ["payments_emulator"], ["payments"])
    assert [f for f in found if not f.split(" -> ")[1].startswith("payments.constants")] == []


def test_no_app_imports_the_payment_emulator(graph):
    others = [app for app in APPS if app != "payments_emulator"]
    assert violations(graph, others, ["payments_emulator"]) == []


def test_no_app_imports_the_wechat_emulator(graph):
    others = [app for app in APPS if app != "wechat_emulator"]
    assert violations(graph, [*others, PROJECT], ["wechat_emulator"]) == []


def test_only_the_emulators_import_the_emulator_kit(graph):
    others = [app for app in APPS if app not in (*EMULATORS, EMULATOR_KIT)]
    assert violations(graph, [*others, PROJECT], [EMULATOR_KIT]) == []


def test_the_emulator_kit_imports_no_app_nor_django(graph):
    assert violations(graph, [EMULATOR_KIT], [*APPS, PROJECT, "django"]) == []


def test_the_rules_see_every_kind_of_import(tmp_path):
    """The scanner is what keeps the rules honest: a forbidden import, however it is written,
    is found (so a rule above goes red when someone adds one)."""
    (tmp_path / "core" / "sub").mkdir(parents=True)
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "sub" / "__init__.py").write_text("from ... import alumni_cms\n")
    (tmp_path / "core" / "sub" / "late.py").write_text(
        "def f():\n    from articles.models import Article\n    return Article\n"
    )
    (tmp_path / "core" / "plain.py").write_text("import wechat.gateway as g\n")
    (tmp_path / "core" / "relative.py").write_text("from .sub import late\n")
    (tmp_path / "wechat" / "gateway").mkdir(parents=True)
    (tmp_path / "wechat" / "gateway" / "client.py").write_text(
        "from wechatpy import WeChatClient\n"
    )
    (tmp_path / "wechat" / "views.py").write_text("from wechatpy.crypto import WeChatCrypto\n")
    found = project_imports(tmp_path)
    assert violations(found, ["core"], ["articles", "wechat", PROJECT]) == [
        "core.plain -> wechat.gateway",
        "core.sub -> alumni_cms",
        "core.sub.late -> articles.models",
        "core.sub.late -> articles.models.Article",
    ]
    assert "core.sub.late" in found["core.relative"]
    assert wechatpy_outside_the_gateway(found) == [
        "wechat.views -> wechatpy.crypto",
        "wechat.views -> wechatpy.crypto.WeChatCrypto",
    ]
