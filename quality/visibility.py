"""What a client viewer may see of quality data — the ONE client-visibility policy of the quality app, used by the
querysets (`visible_to`), the serializers and the pages alike.

A client viewer (a `client` membership or token, tied to one Client) sees:
- the rows of their own client's programs only (another client's program, or another organization's, is a 404);
- DRFT figures and the root causes of defects, but never the internal text: review and defect comments, exclusion
  reasons (the cause shows, the reason does not);
- technicians by first name only (no surname, e-mail, phone or vendor contact).
Staff roles see everything of their organization; technicians what their own work concerns (the models say how).
"""

from __future__ import annotations

from rollout.choices import Role


class ClientVisibility:
    """The policy; `CLIENT` is its one instance."""

    def applies(self, access) -> bool:
        """True for a client viewer (a missing access is not one)."""
        return access is not None and getattr(access, "role", None) == Role.CLIENT

    def rows(self, queryset, access, *, program_path: str = "program__"):
        """The rows of `queryset` (already scoped to the organization) that belong to the client's programs; none
        for a client membership that names no client."""
        if not access.client_id:
            return queryset.none()
        return queryset.filter(**{f"{program_path}client_id": access.client_id})

    def internal(self, access, text: str) -> str:
        """Internal text (comments, reasons): empty for a client viewer."""
        return "" if self.applies(access) else text

    def person(self, access, full_name: str) -> str:
        """A technician's name: the first name only for a client viewer."""
        if not self.applies(access) or not full_name:
            return full_name
        return full_name.split()[0]


CLIENT = ClientVisibility()
