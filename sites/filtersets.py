"""One FilterSet per list, shared by the HTML pages and the API."""

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.db.models.fields.json import KeyTransform

from rollout.models import Client
from sites.choices import ImportStatus, SiteStatus
from sites.models import Site, SiteContact, SiteImport
from sites.values import infer_attribute

ATTRIBUTE_FILTER_RE = r"^[a-z][a-z0-9_]{0,63}:.*$"


def visible_clients(request):
    """Choices of the client filter: the caller's visible clients only (never another organization's)."""
    access = getattr(request, "access", None)
    return Client.objects.none() if access is None else Client.objects.visible_to(access)


def visible_sites(request):
    access = getattr(request, "access", None)
    return Site.objects.none() if access is None else Site.objects.visible_to(access)


def attribute_filter(queryset, expression: str):
    """`name:value` → sites whose attribute `name` equals value, as text or as its inferred type (2, 4.5, true).

    The name goes through KeyTransform, never into a lookup string, so a name like `contains` is just a key.
    """
    name, _, raw = expression.partition(":")
    candidates = [raw]
    typed = infer_attribute(raw) if raw else raw
    if typed != raw or isinstance(typed, bool):
        candidates.append(typed)
    if raw.lower() in ("yes", "no"):
        candidates.append(raw.lower() == "yes")
    condition = Q()
    for candidate in candidates:
        condition |= Q(attribute_value=candidate)
    return queryset.alias(attribute_value=KeyTransform(name, "attributes")).filter(condition)


class SiteFilterSet(django_filters.FilterSet):
    """The sites list's filters; the programs app extends them with program and wave (sites.contributions)."""

    q = django_filters.CharFilter(method="filter_q", label="Search", help_text="Code, name, address, city or ZIP.")
    client = django_filters.ModelChoiceFilter(queryset=visible_clients, empty_label="All clients")
    status = django_filters.ChoiceFilter(choices=SiteStatus.choices, empty_label="Any status")
    state = django_filters.CharFilter(lookup_expr="iexact", label="State / region")
    city = django_filters.CharFilter(lookup_expr="iexact")
    attr = django_filters.CharFilter(
        method="filter_attr",
        label="Attribute",
        help_text="name:value, such as store_format:mall or floors:2.",
        validators=[RegexValidator(ATTRIBUTE_FILTER_RE, "Write name:value, such as store_format:mall.")],
    )

    class Meta:
        model = Site
        fields = ["q", "client", "status", "state", "city", "attr"]

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(code__icontains=text)
            | Q(name__icontains=text)
            | Q(address_line1__icontains=text)
            | Q(city__icontains=text)
            | Q(postal_code__istartswith=text)
        )

    def filter_attr(self, queryset, name, value):
        return attribute_filter(queryset, value) if value else queryset

    @classmethod
    def locations_wave(cls, queryset, params):
        """The `locations` action's rows with `wave_id` annotated from `params`, or None when nothing says which
        wave a site is in (an app that knows, programs, overrides this; see sites.contributions)."""
        return None


class SiteContactFilterSet(django_filters.FilterSet):
    site = django_filters.ModelChoiceFilter(queryset=visible_sites)
    is_primary = django_filters.BooleanFilter(widget=forms.NullBooleanSelect)

    class Meta:
        model = SiteContact
        fields = ["site", "is_primary"]


class SiteImportFilterSet(django_filters.FilterSet):
    client = django_filters.ModelChoiceFilter(queryset=visible_clients)
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices)

    class Meta:
        model = SiteImport
        fields = ["client", "status"]
