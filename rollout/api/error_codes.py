"""Which stable error codes an API operation may answer, read from the code it runs — for the OpenAPI schema.

An operation's view method is parsed (ast) and followed into the functions it calls in our own apps (services,
selectors, helpers — resolved through each function's module globals and `self.<name>` on the view), collecting
every `raise SomeApplicationError(...)` with its status and code. Calls on other objects (model methods) are not
followed, so the result is what is known, not a proof that nothing else is raised; the schema says so.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from functools import cache

from rollout.errors import ApplicationError

OUR_APPS = (
    "rollout",
    "programs",
    "sites",
    "workorders",
    "technicians",
    "quality",
    "escalations",
    "notifications",
    "webhooks",
    "dashboards",
    "scheduling",
)
MAX_DEPTH = 8


@dataclass(frozen=True, order=True)
class ErrorCode:
    status: int
    code: str


def _ours(obj) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.split(".")[0] in OUR_APPS


def _function(obj):
    """The plain function behind a function, method, staticmethod or decorated function; None otherwise."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    obj = getattr(obj, "__func__", obj)
    try:
        obj = inspect.unwrap(obj)
    except ValueError:
        return None
    return obj if inspect.isfunction(obj) and _ours(obj) else None


def _error_class(obj):
    return obj if inspect.isclass(obj) and issubclass(obj, ApplicationError) else None


@cache
def _tree(func) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None


def _resolve(node: ast.AST, namespace: dict, owner: type | None):
    """The object an expression names: `name`, `module.name`, `Class.name`, or `self.name` on the owner class."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            return inspect.getattr_static(owner, node.attr, None) if owner is not None else None
        base = _resolve(node.value, namespace, owner)
        if base is None:
            return None
        try:
            return inspect.getattr_static(base, node.attr, None)
        except Exception:  # noqa: BLE001 - an exotic descriptor: not something we can follow
            return None
    return None


def _raised_code(call: ast.Call, error: type[ApplicationError]) -> str:
    for keyword in call.keywords:
        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return keyword.value.value
    return error.code


def _walk(func, owner: type | None, seen: set, depth: int) -> set[ErrorCode]:
    if func in seen or depth > MAX_DEPTH:
        return set()
    seen.add(func)
    tree = _tree(func)
    if tree is None:
        return set()
    namespace = func.__globals__
    found: set[ErrorCode] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            error = _error_class(_resolve(node.exc.func, namespace, owner))
            if error is not None:
                found.add(ErrorCode(error.status_code, _raised_code(node.exc, error)))
        elif isinstance(node, ast.Raise) and node.exc is not None:
            error = _error_class(_resolve(node.exc, namespace, owner))
            if error is not None:
                found.add(ErrorCode(error.status_code, error.code))
        if isinstance(node, (ast.Attribute, ast.Name)):
            # A call, or a function handed on (a declared service, a task): followed alike.
            target = node
            callee = _function(_resolve(target, namespace, owner))
            if callee is not None and callee is not func:
                # `self.x()` keeps the view as the owner; anything else is looked up in its own class, if any.
                callee_owner = owner if _is_self_attribute(target) else _defining_class(callee)
                found |= _walk(callee, callee_owner, seen, depth + 1)
    return found


def _is_self_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")


def _defining_class(func) -> type | None:
    qualname = func.__qualname__.split(".")
    if len(qualname) < 2:
        return None
    obj = func.__globals__.get(qualname[0])
    for part in qualname[1:-1]:
        obj = getattr(obj, part, None)
    return obj if inspect.isclass(obj) else None


def operation_error_codes(view_class: type, handler_name: str) -> frozenset[ErrorCode]:
    """The ApplicationError codes (with their statuses) the view's `handler_name` method may raise, where known."""
    return _operation_error_codes(view_class, handler_name)


@cache
def _operation_error_codes(view_class: type, handler_name: str) -> frozenset[ErrorCode]:
    handler = _function(inspect.getattr_static(view_class, handler_name, None))
    found: set[ErrorCode] = set()
    seen: set = set()
    if handler is not None:
        found |= _walk(handler, view_class, seen, 0)
    # DRF's generic handlers call back into the view's perform_* hooks, where our services are called.
    hook = PERFORM_HOOKS.get(handler_name)
    method = _function(inspect.getattr_static(view_class, hook, None)) if hook else None
    if method is not None:
        found |= _walk(method, view_class, seen, 0)
    return frozenset(found)


PERFORM_HOOKS = {
    "create": "perform_create",
    "update": "perform_update",
    "partial_update": "perform_update",
    "destroy": "perform_destroy",
}
