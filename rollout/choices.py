"""Choices shared by the core's models, forms, filters and serializers."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Organization admin"
    PM = "pm", "Program manager"
    COORDINATOR = "coordinator", "Field coordinator"
    TECHNICIAN = "technician", "Field technician"
    CLIENT = "client", "Client viewer"
    INTEGRATOR = "integrator", "Integrator"


# Roles that see every row of their organization (subject to each view's write rules).
FULL_READ_ROLES = frozenset({Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR})
STAFF_ROLES = frozenset({Role.ADMIN, Role.PM, Role.COORDINATOR})
PLANNER_ROLES = frozenset({Role.ADMIN, Role.PM})
ALL_ROLES = frozenset(Role)
# The writes an integrator's token shares with the staff who own them: what a system syncs — clients, programs,
# waves, sites and imports, enrollments, work orders and their transitions, shipments, visit bookings (the
# README's role table). Never members, tokens, audit or organization settings.
PLANNER_OR_INTEGRATOR = PLANNER_ROLES | {Role.INTEGRATOR}
STAFF_OR_INTEGRATOR = STAFF_ROLES | {Role.INTEGRATOR}
# Roles an API token may carry: tokens are for systems, not for people in the field.
TOKEN_ROLES = frozenset({Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT})
TOKEN_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in TOKEN_ROLES]
