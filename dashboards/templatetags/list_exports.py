"""`{% list_export_buttons "work-orders" %}`: the CSV and XLSX buttons of a list page, keeping its current filters."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()

NOT_FILTERS = ("page", "sort", "format", "per_page")


@register.inclusion_tag("dashboards/_export_buttons.html", takes_context=True)
def list_export_buttons(context, name: str, label: str = "", **defaults) -> dict:
    """`defaults`: filters the page applies when the address names none (the dispatch board's day)."""
    request = context["request"]
    query = request.GET.copy()
    for key in NOT_FILTERS:
        query.pop(key, None)
    for key, value in defaults.items():
        if not query.get(key) and value:
            query[key] = value
    base = reverse("dashboards:list-export", kwargs={"org": context["organization"].slug, "list": name})
    links = {}
    for file_format in ("csv", "xlsx"):
        query["format"] = file_format
        links[file_format] = f"{base}?{query.urlencode()}"
    return {"csv_url": links["csv"], "xlsx_url": links["xlsx"], "label": label or name.replace("-", " ")}
