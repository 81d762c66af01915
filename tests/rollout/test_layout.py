"""The one shape of every app (docs/architecture.md), checked so that it stays true as apps are added.

URL names: every page and endpoint is named inside its app's namespace (`<app>:<page>`, `<app>-api:<route>`),
only the project-level routes are not. Files: no app keeps the old shapes (`api.py`, `page_urls.py`, a top-level
`demo.py`, `site_views.py`, `training_views.py`), and none is over MAX_MODULE_LINES. Helpers: each shared helper
has one home, and no app module defines its own copy again. Tests: no module imports a test module or a conftest;
they share builders.
"""

import ast
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = [
    "rollout",
    "programs",
    "sites",
    "technicians",
    "workorders",
    "quality",
    "webhooks",
    "dashboards",
    "scheduling",
]
PROJECT_LEVEL_NAMES = {"healthz", "api-schema", "api-docs", "api-redoc"}
OLD_SHAPES = {"api.py", "page_urls.py", "public_urls.py", "demo.py", "site_views.py", "training_views.py"}
MAX_MODULE_LINES = 800
# Modules over the cap while they are being split elsewhere; an entry goes as soon as its module fits.
OVER_THE_CAP: dict[str, str] = {}
# One home for each shared helper: a function (or class) of this name defined anywhere else is a copy.
HELPER_HOMES = {
    "_field_error": None,  # gone: raise ApplicationError(message, code=..., field=...)
    "_label_of": None,  # gone: rollout.tenancy.actor_label
    "_user_of": None,  # gone: rollout.tenancy.actor_user
    "actor_label": "rollout/tenancy.py",
    "actor_user": "rollout/tenancy.py",
    "render_markdown": "rollout/markdown.py",
    "haversine_km": "rollout/geo.py",
    "is_timezone": "rollout/geo.py",
    "canonical_timezone": "rollout/geo.py",
    "coordinate_in_range": "rollout/geo.py",
    "OrgConfirmView": "rollout/views/base.py",
    "audit_created": "rollout/audit.py",
    "audit_deleted": "rollout/audit.py",
}
# Libraries that only a helper's home may import (so the rule is not written out again beside it).
LIBRARY_HOMES = {"nh3": "rollout/markdown.py", "markdown": "rollout/markdown.py"}
NAME_HOMES = {"available_timezones": "rollout/geo.py"}


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


def app_modules():
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield str(path.relative_to(ROOT)), path


def test_no_app_module_is_over_the_line_cap():
    # given every application module (migrations aside) and its length
    lengths = {name: len(path.read_text().splitlines()) for name, path in app_modules()}
    # then none is over the cap but those being split, and those are still over it (else the entry goes)
    over = {name: count for name, count in lengths.items() if count > MAX_MODULE_LINES}
    assert set(over) - set(OVER_THE_CAP) == set(), f"over {MAX_MODULE_LINES} lines: split by sub-domain ({over})"
    assert {name for name in OVER_THE_CAP if name in lengths and name not in over} == set()


def test_every_shared_helper_has_one_home():
    # given every function and class defined at any depth, every import, in every application module
    copies = []
    for name, path in app_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in HELPER_HOMES:
                if HELPER_HOMES[node.name] != name:
                    copies.append(f"{name}:{node.lineno} defines {node.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    home = LIBRARY_HOMES.get(alias.name.split(".")[0])
                    if home and home != name:
                        copies.append(f"{name}:{node.lineno} imports {alias.name} (use {home})")
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                home = LIBRARY_HOMES.get(node.module.split(".")[0])
                if home and home != name:
                    copies.append(f"{name}:{node.lineno} imports {node.module} (use {home})")
                for alias in node.names:
                    home = NAME_HOMES.get(alias.name)
                    if home and home != name:
                        copies.append(f"{name}:{node.lineno} imports {alias.name} (use {home})")
    # then each is defined in its home only
    assert copies == []


def test_confirmation_pages_derive_from_the_one_confirmation_view():
    # given every class that sets the confirmation page as its template
    offenders = []
    for name, path in app_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name != "OrgConfirmView":
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and any(getattr(target, "id", "") == "template_name" for target in statement.targets)
                        and getattr(statement.value, "value", None) == "components/confirm_page.html"
                    ):
                        offenders.append(f"{name}:{node.lineno} {node.name}")
    # then none: they derive from rollout.views.base.OrgConfirmView, which sets it
    assert offenders == []


def test_a_sites_editable_fields_are_listed_once():
    # given the one list beside the Site model
    from sites.api.serializers import SiteInputSerializer, SiteSerializer
    from sites.exporting import SITE_VALUE_FIELDS
    from sites.importing import WRITE_FIELDS
    from sites.models import SITE_FIELDS
    from sites.services import SITE_AUDIT_FIELDS

    # then the API's input and output, the export, the import's writes and the audit all follow it
    assert set(SiteInputSerializer().fields) == {"client", *SITE_FIELDS}
    assert [name for name in SiteSerializer.Meta.fields if name in SITE_FIELDS] == list(SITE_FIELDS)
    assert ("client__code", *SITE_FIELDS, "status") == SITE_VALUE_FIELDS
    assert set(WRITE_FIELDS) == (set(SITE_FIELDS) - {"code"}) | {"status"}
    assert ["client", *SITE_FIELDS, "status"] == SITE_AUDIT_FIELDS
