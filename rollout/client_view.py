"""What a client viewer may see of the rollout's workings — the ONE policy the work-order, visit and program pages
and the API use, field by field (quality keeps its own, quality/visibility.py, in the same spirit).

A client viewer (a `client` membership or token) follows their program's progress; the way the team gets there
stays internal. Field by field:

- work order: number, site, status, window, visits, shipments — shown; each readiness gate as green or pending,
  without the reason (technicians' working hours, eligibility, packets) and without the override note;
- timeline: status changes only (no overrides, assignments, contact notes);
- visit: window, state, outcome, the technician's first name; no e-mail or phone, no uploader, no internal
  breadcrumb to the dispatch board;
- program: progress and sites; no variation queue ("pending variations") and no attribute checks.

Staff roles see everything of their organization. `FIELDS` is the table; `may_see` answers one field;
`text` blanks what a client may not read; `flags` is what templates ask (`client_view.<field>`).
"""

from __future__ import annotations

from rollout.choices import Role

# field → may a client viewer see it?
FIELDS = {
    "gate_reason": False,
    "gate_override": False,
    "timeline_internal": False,
    "technician_contact": False,
    "technician_surname": False,
    "uploader": False,
    "dispatch_link": False,
    "variation_queue": False,
    "attribute_checks": False,
    "internal_note": False,
}
# What a client reads instead of a gate's internal reason.
GATE_GREEN = "Done."
GATE_PENDING = "In progress with the project team."


class ClientView:
    """The policy; `CLIENT_VIEW` is its one instance."""

    def applies(self, access) -> bool:
        """True for a client viewer (a missing access is not one)."""
        return access is not None and getattr(access, "role", None) == Role.CLIENT

    def may_see(self, access, field: str) -> bool:
        return not self.applies(access) or FIELDS[field]

    def text(self, access, field: str, value: str) -> str:
        """`value`, or empty when the viewer may not see `field`."""
        return value if self.may_see(access, field) else ""

    def person(self, access, full_name: str) -> str:
        """A technician's name: the first name only for a client viewer."""
        if self.may_see(access, "technician_surname") or not full_name:
            return full_name
        return full_name.split()[0]

    def gate_reason(self, access, gate) -> str:
        """A readiness gate's reason, or the client's plain word for its state."""
        if self.may_see(access, "gate_reason"):
            return gate.reason
        return GATE_GREEN if gate.green else GATE_PENDING

    def flags(self, access) -> dict[str, bool]:
        """Every field with whether this viewer may see it, for templates."""
        return {field: self.may_see(access, field) for field in FIELDS}


CLIENT_VIEW = ClientView()
