"""Reads of the programs app. Every read is scoped: `visible_to(access)` or `for_organization(org)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from programs.choices import MATERIAL_CONTENT_FIELDS, TASK_CONTENT_FIELDS, AttributeType, SowStatus, VariationStatus
from programs.models import Enrollment, Program, ProgramAttribute, SiteVariation, Sow, SowMaterial, SowTask, Wave
from rollout.choices import PLANNER_ROLES
from rollout.errors import NotFound
from rollout.markdown import markdown_text
from rollout.models import User
from rollout.tenancy import Access
from rollout.text_diff import Segment, word_diff
from sites.attributes import AttributeSchema
from sites.models import Site
from sites.values import SiteValueError, attribute_type


def program_list(*, access: Access) -> QuerySet[Program]:
    """The programs the caller may see, with what list pages and the API show (a fixed number of queries)."""
    return Program.objects.visible_to(access).with_summary()


def program_get(*, access: Access, program_id: int) -> Program:
    """One visible program, or NotFound (also for another organization's)."""
    program = program_list(access=access).filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    return program


def programs_overview(access: Access) -> dict:
    """The programs the caller may see, for the staff and client homes (rollout.homes): counts and the most
    recently changed."""
    programs = Program.objects.visible_to(access)
    running = [Program.Status.PILOT, Program.Status.ACTIVE]
    counts = programs.aggregate(total=Count("pk"), running=Count("pk", filter=Q(status__in=running)))
    return {
        "program_count": counts["total"],
        "running_program_count": counts["running"],
        "recent_programs": list(programs.select_related("client").order_by("-updated_at", "-pk")[:5]),
    }


def wave_list(*, access: Access) -> QuerySet[Wave]:
    return Wave.objects.visible_to(access).select_related("program")


def sow_list(*, access: Access) -> QuerySet[Sow]:
    """The SOW versions the caller may see, with their line counts."""
    return Sow.objects.visible_to(access).with_summary()


def sow_get(*, access: Access, sow_id: int) -> Sow:
    """One visible SOW version, or NotFound."""
    sow = sow_list(access=access).filter(pk=sow_id).first()
    if sow is None:
        raise NotFound()
    return sow


def sow_task_list(*, access: Access) -> QuerySet[SowTask]:
    return SowTask.objects.visible_to(access).select_related("sow")


def sow_material_list(*, access: Access) -> QuerySet[SowMaterial]:
    return SowMaterial.objects.visible_to(access).select_related("sow")


def sow_current_approved(*, organization, program_id: int) -> Sow | None:
    """The program's latest approved SOW version (what packets are built from), or None."""
    return (
        Sow.objects.for_organization(organization)
        .filter(program_id=program_id, status=SowStatus.APPROVED)
        .order_by("-version")
        .first()
    )


def responsible_pm_candidates(*, organization) -> QuerySet[User]:
    """Users who may be a program's responsible PM: active PMs and admins of the organization."""
    return User.objects.filter(
        memberships__organization_id=organization.pk,
        memberships__is_active=True,
        memberships__role__in=PLANNER_ROLES,
    ).order_by("full_name", "email")


# --- Diff -------------------------------------------------------------------------------------------


# Free-text fields a diff page shows word by word; instructions are Markdown, compared as the reader sees them.
WORD_DIFF_FIELDS = {"title", "instructions", "description"}
MARKDOWN_FIELDS = {"instructions"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any

    @property
    def words(self) -> list[Segment] | None:
        """The change word by word (kept, removed, added) for a free-text field, else None (show before → after)."""
        if self.field not in WORD_DIFF_FIELDS:
            return None
        before, after = str(self.before or ""), str(self.after or "")
        if self.field in MARKDOWN_FIELDS:
            before, after = markdown_text(before), markdown_text(after)
        return word_diff(before, after)


@dataclass(frozen=True)
class LineSummary:
    key: str
    label: str
    position: int


@dataclass(frozen=True)
class LineChange:
    key: str
    label: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class LineDiff:
    added: tuple[LineSummary, ...] = ()
    removed: tuple[LineSummary, ...] = ()
    changed: tuple[LineChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class SowDiff:
    """What changed from `base` to `target`: lines matched by their stable key."""

    base: Sow
    target: Sow
    tasks: LineDiff = field(default_factory=LineDiff)
    materials: LineDiff = field(default_factory=LineDiff)

    @property
    def is_empty(self) -> bool:
        return self.tasks.is_empty and self.materials.is_empty


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _kept_in_order(base_keys: list[str], target_keys: list[str]) -> set[str]:
    """Keys on a longest common subsequence of both orders: the lines that did not move."""
    n, m = len(base_keys), len(target_keys)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if base_keys[i] == target_keys[j]:
                table[i][j] = table[i + 1][j + 1] + 1
            else:
                table[i][j] = max(table[i + 1][j], table[i][j + 1])
    kept, i, j = set(), 0, 0
    while i < n and j < m:
        if base_keys[i] == target_keys[j]:
            kept.add(base_keys[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] > table[i][j + 1]:
            i += 1
        else:  # on a tie, keep the earlier base line in place and call the target's line moved
            j += 1
    return kept


def _diff_lines(base_lines: list, target_lines: list, fields: list[str], label_field: str) -> LineDiff:
    base = {line.key: line for line in base_lines}
    target = {line.key: line for line in target_lines}

    def summary(line) -> LineSummary:
        return LineSummary(key=line.key, label=getattr(line, label_field), position=line.position)

    common_base = [line.key for line in base_lines if line.key in target]
    common_target = [line.key for line in target_lines if line.key in base]
    unmoved = _kept_in_order(common_base, common_target)
    changed = []
    for line in target_lines:
        old = base.get(line.key)
        if old is None:
            continue
        changes = [
            FieldChange(name, _plain(getattr(old, name)), _plain(getattr(line, name)))
            for name in fields
            if _plain(getattr(old, name)) != _plain(getattr(line, name))
        ]
        if line.key not in unmoved:
            changes.append(FieldChange("position", old.position, line.position))
        if changes:
            changed.append(LineChange(key=line.key, label=getattr(line, label_field), changes=tuple(changes)))
    return LineDiff(
        added=tuple(summary(line) for line in target_lines if line.key not in base),
        removed=tuple(summary(line) for line in base_lines if line.key not in target),
        changed=tuple(changed),
    )


def sow_diff(base: Sow, target: Sow) -> SowDiff:
    """Tasks and materials added, removed and changed (with the changed fields) from `base` to `target`.

    Lines are matched by their stable key; a line counts as moved only when it left the longest run of
    lines that kept their relative order, so inserting one task does not mark every later one as moved.
    The caller fetched both SOWs through a scoped selector; this reads only their own lines.
    """
    if base.organization_id != target.organization_id:
        raise NotFound()
    organization_id = base.organization_id
    tasks = _diff_lines(
        list(SowTask.objects.for_organization(organization_id).filter(sow=base).order_by("position", "id")),
        list(SowTask.objects.for_organization(organization_id).filter(sow=target).order_by("position", "id")),
        TASK_CONTENT_FIELDS,
        "title",
    )
    materials = _diff_lines(
        list(SowMaterial.objects.for_organization(organization_id).filter(sow=base).order_by("position", "id")),
        list(SowMaterial.objects.for_organization(organization_id).filter(sow=target).order_by("position", "id")),
        MATERIAL_CONTENT_FIELDS,
        "part_number",
    )
    return SowDiff(base=base, target=target, tasks=tasks, materials=materials)


# --- Sites in programs: enrollments, attribute schema, variations ---------------------------------------


def enrollment_list(*, access: Access) -> QuerySet[Enrollment]:
    """The enrollments the caller may see (clients: their own client's), with site, wave and variation count."""
    return Enrollment.objects.visible_to(access).with_summary()


def enrollment_candidates(*, access: Access, program: Program) -> QuerySet[Site]:
    """Sites of the program's client the caller may see, each annotated with its enrollment in the program
    (`is_enrolled`, `enrolled_wave_id`, `enrolled_wave_name`), in one query: the "Enroll sites" picker."""
    enrollment = Enrollment.objects.filter(
        organization_id=program.organization_id, program_id=program.pk, site_id=OuterRef("pk")
    )
    return (
        Site.objects.visible_to(access)
        .filter(client_id=program.client_id)
        .annotate(
            is_enrolled=Exists(enrollment),
            enrolled_wave_id=Subquery(enrollment.values("wave_id")[:1]),
            enrolled_wave_name=Subquery(enrollment.values("wave__name")[:1]),
        )
    )


@dataclass(frozen=True)
class WaveCount:
    wave_id: int | None
    name: str
    count: int


def enrollment_counts(*, access: Access, program: Program) -> list[WaveCount]:
    """How many sites each wave of the program holds (and how many are in none), in two queries."""
    per_wave = dict(
        Enrollment.objects.visible_to(access)
        .filter(program=program)
        .order_by()
        .values_list("wave_id")
        .annotate(count=Count("id"))
    )
    waves = Wave.objects.visible_to(access).filter(program=program).order_by("order", "start_date", "id")
    counts = [WaveCount(wave.pk, wave.name, per_wave.get(wave.pk, 0)) for wave in waves]
    if per_wave.get(None):
        counts.append(WaveCount(None, "No wave", per_wave[None]))
    return counts


def program_attribute_list(*, access: Access) -> QuerySet[ProgramAttribute]:
    return ProgramAttribute.objects.visible_to(access).select_related("program")


def program_attribute_schema(*, organization, program_id: int) -> list[dict] | None:
    """The program's attribute schema in the plain-data form the site import takes (SiteImport.attribute_schema,
    read by sites.attributes.AttributeSchema.from_json): [{"name", "type", "required", "allowed"}], or None
    when the program declares no attribute. A choice is text limited to its allowed values."""
    rows = (
        ProgramAttribute.objects.for_organization(organization)
        .filter(program_id=program_id)
        .order_by("name")
        .values_list("name", "type", "required", "allowed_values")
    )
    schema = [
        {
            "name": name,
            "type": AttributeType.STR.value if kind == AttributeType.CHOICE else kind,
            "required": required,
            "allowed": list(allowed or []) if kind == AttributeType.CHOICE else [],
        }
        for name, kind, required, allowed in rows
    ]
    return schema or None


def program_site_schema(*, organization, program_id: int) -> AttributeSchema | None:
    """The program's schema as the sites app's AttributeSchema (for site_import_create and site services)."""
    return AttributeSchema.from_json(program_attribute_schema(organization=organization, program_id=program_id))


@dataclass(frozen=True)
class AttributeProblem:
    """One way a site's attribute breaks the program's schema: `missing`, `wrong_type` or `not_allowed`."""

    attribute: str
    code: str
    message: str


@dataclass(frozen=True)
class SiteAttributeProblems:
    site_id: int
    site_code: str
    site_name: str
    problems: tuple[AttributeProblem, ...]


@dataclass(frozen=True)
class AttributeProblemsReport:
    """Every enrolled site whose attributes break the schema, by site code; `sites_checked` counts them all."""

    sites_checked: int
    attributes_declared: int
    sites: tuple[SiteAttributeProblems, ...]

    @property
    def problem_count(self) -> int:
        return sum(len(site.problems) for site in self.sites)


def _attribute_problems(schema: AttributeSchema, attributes: dict) -> list[AttributeProblem]:
    """The sites app's checks (the import's own words), each classified by kind of problem."""
    found = []
    for name, spec in schema.specs.items():
        if name not in attributes:
            if spec.required:
                found.append(AttributeProblem(name, "missing", f"The attribute {name} is required."))
            continue
        value = attributes[name]
        try:
            spec.check(value)
        except SiteValueError as error:
            actual = attribute_type(value)
            same_type = actual == spec.type or (spec.type == AttributeType.FLOAT and actual == AttributeType.INT)
            found.append(AttributeProblem(name, "not_allowed" if same_type else "wrong_type", str(error)))
    return found


def program_attribute_problems(*, organization, program_id: int) -> AttributeProblemsReport:
    """Check every enrolled site's attributes against the program's schema, in three queries whatever the
    number of sites (program, schema, enrolled sites streamed in chunks). NotFound for another
    organization's program; the caller checked the program is visible to its role."""
    if not Program.objects.for_organization(organization).filter(pk=program_id).exists():
        raise NotFound()
    schema = program_site_schema(organization=organization, program_id=program_id)
    rows = (
        Enrollment.objects.for_organization(organization)
        .filter(program_id=program_id)
        .order_by("site__code", "site_id")
        .values_list("site_id", "site__code", "site__name", "site__attributes")
    )
    checked, sites = 0, []
    for site_id, code, name, attributes in rows.iterator(chunk_size=2000):
        checked += 1
        if schema is None:
            continue
        problems = _attribute_problems(schema, attributes or {})
        if problems:
            sites.append(SiteAttributeProblems(site_id, code, name, tuple(problems)))
    return AttributeProblemsReport(
        sites_checked=checked, attributes_declared=len(schema.specs) if schema else 0, sites=tuple(sites)
    )


def site_variation_list(*, access: Access) -> QuerySet[SiteVariation]:
    """The site variations the caller may see (clients: their own client's), with program, site and people."""
    return SiteVariation.objects.visible_to(access).with_summary()


def site_variations_for_packet(*, organization, program_id: int, site_id: int) -> list[SiteVariation]:
    """The approved variations of one site in one program, in a stable order (captured first, first): what
    the packet applies to the SOW. Pending and rejected ones never shape a packet."""
    return list(
        SiteVariation.objects.for_organization(organization)
        .filter(program_id=program_id, site_id=site_id, status=VariationStatus.APPROVED)
        .order_by("created_at", "id")
    )


def site_variation_counts(*, access: Access, program: Program) -> dict[str, int]:
    """Variations of the program by status, in one query (for the program page)."""
    counts = dict(
        SiteVariation.objects.visible_to(access)
        .filter(program=program)
        .order_by()
        .values_list("status")
        .annotate(count=Count("id"))
    )
    return {status: counts.get(status, 0) for status in VariationStatus.values}
