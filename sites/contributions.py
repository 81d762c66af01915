"""What the apps built on sites add to its pages and API, registered from their `AppConfig.ready()`.

The sites app never imports them (the dependency points the other way): the programs app contributes the sites
list's program and wave filters (a FilterSet extending SiteFilterSet, used by the list page, its export and the
API, whose `locations` action also takes the site's wave from it) and the programs a finished import offers to
enroll the sites in.
"""

from __future__ import annotations

from collections.abc import Callable

from sites.filtersets import SiteFilterSet

_site_filterset: type[SiteFilterSet] = SiteFilterSet
_import_programs: Callable | None = None


def site_filterset_register(filterset_class: type[SiteFilterSet]) -> None:
    """Use `filterset_class` (a SiteFilterSet subclass) for the sites list, its export and the API."""
    global _site_filterset
    if not issubclass(filterset_class, SiteFilterSet):
        raise TypeError(f"{filterset_class!r} does not extend SiteFilterSet")
    _site_filterset = filterset_class


def site_filterset() -> type[SiteFilterSet]:
    return _site_filterset


def import_programs_register(programs_of: Callable) -> None:
    """`programs_of(access, client_id) -> list`: what a committed import offers to enroll its sites in."""
    global _import_programs
    _import_programs = programs_of


def import_programs(access, client_id: int) -> list:
    return [] if _import_programs is None else list(_import_programs(access, client_id))
