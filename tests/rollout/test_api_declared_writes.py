"""Declared API writes (rollout.api.base.OrgServiceViewSet) fit their services: every routed create, update and
delete names its input serializer and service, and every field the input hands over is a parameter the service
takes — so a mismatch fails here, not as a 500 on the first request."""

import inspect

from django.urls import get_resolver

from rollout.api.base import ServiceWritesMixin, service_arguments
from tests.rollout.routes import view_class, walk

WRITES = {
    "create": ("create_input", "create_service"),
    "update": ("update_input", "update_service"),
    "partial_update": ("update_input", "update_service"),
    "destroy": (None, "delete_service"),
}


def routed_declared_writes():
    """(viewset, action) for every write action the API routes to a declared-write viewset."""
    seen = set()
    for _route, pattern in walk(get_resolver().url_patterns):
        cls = view_class(pattern.callback)
        actions = getattr(pattern.callback, "actions", None) or {}
        if cls is None or not issubclass(cls, ServiceWritesMixin):
            continue
        for method, action in actions.items():
            if action in WRITES and method in cls.http_method_names and (cls, action) not in seen:
                seen.add((cls, action))
                yield cls, action


def takes(service, name: str) -> bool:
    parameters = inspect.signature(service).parameters
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def test_every_routed_write_declares_its_input_and_service_and_they_fit():
    writes = list(routed_declared_writes())
    assert len(writes) >= 30  # the walk found the API's writes (not an empty loop)
    problems = []
    for cls, action in writes:
        input_name, service_name = WRITES[action]
        service = getattr(cls, service_name)
        if service is None or (input_name and getattr(cls, input_name) is None):
            problems.append(f"{cls.__name__}.{action}: declares no {input_name or ''} {service_name}")
            continue
        for required in ("organization", "actor"):
            if not takes(service, required):
                problems.append(f"{cls.__name__}.{action}: {service.__name__} takes no {required}")
        if action != "create":
            id_name = cls().service_id_name()
            if not takes(service, id_name):
                problems.append(f"{cls.__name__}.{action}: {service.__name__} takes no {id_name}")
        if input_name:
            fields = getattr(cls, input_name)().fields.values()
            sample = {field.source: None for field in fields if not field.read_only}
            for argument in service_arguments(service, sample):
                if not takes(service, argument):
                    problems.append(f"{cls.__name__}.{action}: {service.__name__} takes no {argument}")
    assert problems == []


def test_a_picked_row_reaches_the_service_as_its_id_only_where_the_service_asks_for_the_id(tenant):
    # given a service that takes program_id, and one that takes the client row itself
    def wave_like(*, organization, actor, program_id, name): ...

    def site_like(*, organization, actor, client, **fields): ...

    client = tenant.client
    # when the input's values are matched to each
    for_ids = service_arguments(wave_like, {"program": client, "name": "Pilot"})
    for_rows = service_arguments(site_like, {"client": client, "code": "S1"})
    # then the id goes where an id is asked for, the row where the row is
    assert for_ids == {"program_id": client.pk, "name": "Pilot"}
    assert for_rows == {"client": client, "code": "S1"}
