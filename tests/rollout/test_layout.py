"""The one shape of every app (docs/architecture.md), checked so that it stays true as apps are added.

URL names: every page and endpoint is named inside its app's namespace (`<app>:<page>`, `<app>-api:<route>`),
only the project-level routes are not. Files: no app keeps the old shapes (`api.py`, `page_urls.py`, a top-level
`demo.py`, `site_views.py`). Tests: no module imports a test module or a conftest; they share builders.
"""

import ast
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ["rollout", "programs", "sites", "technicians", "workorders", "quality", "webhooks"]
PROJECT_LEVEL_NAMES = {"healthz", "api-schema", "api-docs", "api-redoc"}
OLD_SHAPES = {"api.py", "page_urls.py", "public_urls.py", "demo.py", "site_views.py"}


def named_patterns(patterns, prefix="", namespaces=()):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from named_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route, ":".join((*namespaces, pattern.name))


def test_every_url_name_is_namespaced_by_its_app():
    # given every named pattern but the admin's
    names = list(named_patterns(get_resolver().url_patterns))
    # then pages and endpoints carry one namespace, `-api` exactly for the API's, and names are unique
    offenders = []
    for route, name in names:
        if name in PROJECT_LEVEL_NAMES:
            continue
        namespace, _, _ = name.rpartition(":")
        if not namespace or ":" in namespace:
            offenders.append(f"{route}: {name} (one namespace per app)")
        elif route.startswith("api/v1/") != namespace.endswith("-api"):
            offenders.append(f"{route}: {name} (API routes in `<app>-api`, pages in `<app>`)")
    assert offenders == []
    assert {"core:login", "programs:program-detail", "programs-api:program-detail"} <= {name for _, name in names}


def test_no_app_keeps_an_old_module_shape():
    found = [
        str(path.relative_to(ROOT))
        for package in APP_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if path.name in OLD_SHAPES and "migrations" not in path.parts
    ]
    assert found == []


def test_no_test_module_imports_another_test_module_or_a_conftest():
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                last = module.rsplit(".", 1)[-1]
                if module.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
                    offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert offenders == []
