"""One FilterSet per list, shared by the HTML pages and the API.

Choice filters over tenant rows get their queryset from the request's access, so a foreign id is
"not a valid choice" (a 400), never a way to probe another organization.
"""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import OuterRef, Q, Subquery

from programs.choices import AttributeType, EvidenceKind, ProgramStatus, SowStatus, VariationKind, VariationStatus
from programs.models import (
    Enrollment,
    Program,
    ProgramAttribute,
    ProgramCourseRequirement,
    SiteVariation,
    Sow,
    SowMaterial,
    SowTask,
    Wave,
)
from programs.selectors import responsible_pm_candidates
from rollout.models import Client, User
from sites.choices import SiteStatus
from sites.filtersets import ATTRIBUTE_FILTER_RE, SiteFilterSet, attribute_filter
from sites.models import Site
from technicians.choices import TRAINING_ROLE_CHOICES
from technicians.models import Course


def _visible(model):
    """A django-filter queryset callable: the model's rows visible to the request's access (none without)."""

    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


def _visible_programs_by_code(request):
    return _visible(Program)(request).order_by("code")


def _visible_waves_in_order(request):
    waves = _visible(Wave)(request).select_related("program")
    return waves.order_by("program__code", "order", "start_date")


class ProgramSiteFilterSet(SiteFilterSet):
    """The sites list's filters plus the program and wave a site is enrolled in (registered for the sites list,
    its export and the API by ProgramsConfig.ready(); see sites.contributions)."""

    program = django_filters.ModelChoiceFilter(
        field_name="enrollments__program",
        queryset=_visible_programs_by_code,
        empty_label="Any program",
        label="Program",
        help_text="Id of a program: the sites enrolled in it.",
    )
    wave = django_filters.ModelChoiceFilter(
        field_name="enrollments__wave",
        queryset=_visible_waves_in_order,
        empty_label="Any wave",
        label="Wave",
        help_text="Id of a program's wave: the sites enrolled in that wave.",
    )

    class Meta(SiteFilterSet.Meta):
        fields = ["q", "client", "program", "wave", "status", "state", "city", "attr"]

    @property
    def form(self):
        form = super().form
        # Waves of every program share one select: name each with its program's code.
        form.fields["wave"].label_from_instance = lambda wave: f"{wave.program.code} · {wave.name}"
        return form

    @classmethod
    def locations_wave(cls, queryset, params):
        """With `?program=<id>` (already checked by the filter: a program the caller may see), each site's wave in
        that program, correlated to the (already scoped) site rows: same organization and site."""
        program_id = params.get("program", "")
        if not program_id.isdigit():
            return None
        wave = Enrollment.objects.for_outer_organization().filter(program_id=int(program_id), site_id=OuterRef("pk"))
        return queryset.annotate(wave_id=Subquery(wave.values("wave_id")[:1]))


def enroll_programs_of(access, client_id: int) -> list:
    """The client's programs the caller sees that can still take sites (not closed): what a committed site import
    offers to enroll its sites in (sites.contributions)."""
    programs = Program.objects.visible_to(access).filter(client_id=client_id).exclude(status=ProgramStatus.CLOSED)
    return list(programs.order_by("code")[:5])


def _planners(request):
    access = getattr(request, "access", None) if request is not None else None
    if access is None:
        return User.objects.none()
    return responsible_pm_candidates(organization=access.organization)


class ProgramFilterSet(django_filters.FilterSet):
    client = django_filters.ModelChoiceFilter(queryset=_visible(Client))
    status = django_filters.MultipleChoiceFilter(choices=ProgramStatus.choices)
    responsible_pm = django_filters.ModelChoiceFilter(queryset=_planners, label="Responsible PM")
    code = django_filters.CharFilter(lookup_expr="iexact")
    active_on = django_filters.DateFilter(method="filter_active_on", label="Running on (date)")
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Program
        fields = ["client", "status", "responsible_pm", "code", "active_on", "q"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(client__name__icontains=value))


class WaveFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    name = django_filters.CharFilter(lookup_expr="icontains")
    active_on = django_filters.DateFilter(method="filter_active_on", label="Running on (date)")

    class Meta:
        model = Wave
        fields = ["program", "name", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


class SowFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    status = django_filters.ChoiceFilter(choices=SowStatus.choices)
    version = django_filters.NumberFilter()

    class Meta:
        model = Sow
        fields = ["program", "status", "version"]


class SowTaskFilterSet(django_filters.FilterSet):
    sow = django_filters.ModelChoiceFilter(queryset=_visible(Sow))
    program = django_filters.ModelChoiceFilter(field_name="sow__program", queryset=_visible(Program))
    key = django_filters.CharFilter()
    evidence_kind = django_filters.ChoiceFilter(choices=EvidenceKind.choices)
    required_skill = django_filters.CharFilter()
    conditional = django_filters.BooleanFilter(field_name="condition", lookup_expr="exact", method="filter_conditional")

    class Meta:
        model = SowTask
        fields = ["sow", "program", "key", "evidence_kind", "required_skill", "conditional"]

    def filter_conditional(self, queryset, name, value):
        return queryset.exclude(condition="") if value else queryset.filter(condition="")


class SowMaterialFilterSet(django_filters.FilterSet):
    sow = django_filters.ModelChoiceFilter(queryset=_visible(Sow))
    program = django_filters.ModelChoiceFilter(field_name="sow__program", queryset=_visible(Program))
    key = django_filters.CharFilter()
    part_number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = SowMaterial
        fields = ["sow", "program", "key", "part_number"]


# --- Sites in programs ------------------------------------------------------------------------------


def _site_text(prefix: str = ""):
    def search(queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(**{f"{prefix}code__icontains": text})
            | Q(**{f"{prefix}name__icontains": text})
            | Q(**{f"{prefix}city__icontains": text})
            | Q(**{f"{prefix}postal_code__istartswith": text})
        )

    return search


class EnrollmentFilterSet(django_filters.FilterSet):
    """Enrolled sites: by program, wave (or none), site, client, and the site's state, city or text."""

    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    wave = django_filters.ModelChoiceFilter(queryset=_visible(Wave))
    no_wave = django_filters.BooleanFilter(field_name="wave", lookup_expr="isnull", label="In no wave")
    site = django_filters.ModelChoiceFilter(queryset=_visible(Site))
    client = django_filters.ModelChoiceFilter(field_name="program__client", queryset=_visible(Client))
    state = django_filters.CharFilter(field_name="site__state", lookup_expr="iexact", label="State / region")
    city = django_filters.CharFilter(field_name="site__city", lookup_expr="iexact")
    q = django_filters.CharFilter(method="filter_text", label="Search", help_text="Site code, name, city or ZIP.")

    class Meta:
        model = Enrollment
        fields = ["program", "wave", "no_wave", "site", "client", "state", "city", "q"]

    def filter_text(self, queryset, name, value):
        return _site_text("site__")(queryset, name, value)


class EnrollCandidateFilterSet(django_filters.FilterSet):
    """The "Enroll sites" picker over the program client's sites (see selectors.enrollment_candidates)."""

    q = django_filters.CharFilter(method="filter_text", label="Search", help_text="Code, name, city or ZIP.")
    state = django_filters.CharFilter(lookup_expr="iexact", label="State / region")
    city = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=SiteStatus.choices)
    attr = django_filters.CharFilter(
        method="filter_attr",
        label="Attribute",
        help_text="name:value, such as store_format:mall.",
        validators=[RegexValidator(ATTRIBUTE_FILTER_RE, "Write name:value, such as store_format:mall.")],
    )
    enrolled = django_filters.BooleanFilter(field_name="is_enrolled", label="Already enrolled")

    class Meta:
        model = Site
        fields = ["q", "state", "city", "status", "attr", "enrolled"]

    def filter_text(self, queryset, name, value):
        return _site_text()(queryset, name, value)

    def filter_attr(self, queryset, name, value):
        return attribute_filter(queryset, value) if value else queryset


class ProgramAttributeFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    type = django_filters.ChoiceFilter(choices=AttributeType.choices)
    required = django_filters.BooleanFilter()

    class Meta:
        model = ProgramAttribute
        fields = ["program", "type", "required"]


class SiteVariationFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    site = django_filters.ModelChoiceFilter(queryset=_visible(Site))
    client = django_filters.ModelChoiceFilter(field_name="program__client", queryset=_visible(Client))
    status = django_filters.ChoiceFilter(choices=VariationStatus.choices)
    kind = django_filters.ChoiceFilter(choices=VariationKind.choices)
    q = django_filters.CharFilter(method="filter_text", label="Search", help_text="Site code or name, or the reason.")

    class Meta:
        model = SiteVariation
        fields = ["program", "site", "client", "status", "kind", "q"]

    def filter_text(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(site__code__icontains=text) | Q(site__name__icontains=text) | Q(reason__icontains=text)
        )


def selected_site_ids(filterset_class, data: dict, queryset, request, *, site_field: str = "pk") -> list[int]:
    """The site ids a bulk action's filter selects (the same filters as the list it was chosen from).

    Raises FilterInvalid with the form's errors when a value does not fit (a foreign wave id included).
    """
    filterset = filterset_class(
        {k: v for k, v in data.items() if v not in (None, "")}, queryset=queryset, request=request
    )
    if not filterset.is_valid():
        raise FilterInvalid(filterset.errors)
    return list(filterset.qs.order_by(site_field).values_list(site_field, flat=True))


class FilterInvalid(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__(str(errors))


class ProgramCourseRequirementFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    course = django_filters.ModelChoiceFilter(queryset=_visible(Course))
    role = django_filters.ChoiceFilter(choices=TRAINING_ROLE_CHOICES)

    class Meta:
        model = ProgramCourseRequirement
        fields = ["program", "course", "role"]
