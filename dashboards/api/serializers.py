"""Output serializers of the dashboards API: the program dashboard's figures and the portfolio (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from quality.api.serializers import DrftFigureSerializer


class ProgressSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The wave's id; empty for the program's total or sites in no wave.")
    label = serializers.CharField()
    planned = serializers.IntegerField(help_text="Sites enrolled.")
    completed = serializers.IntegerField(help_text="Their work orders accepted or closed.")
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    rate_per_week = serializers.FloatField(help_text="Completions a week over the last four weeks.")
    planned_finish = serializers.DateField(allow_null=True)
    booked = serializers.IntegerField(help_text="Sites not yet done with a visit booked in the next four weeks.")
    crew = serializers.IntegerField(help_text="The technicians those visits are booked with.")
    forecast_basis = serializers.ChoiceField(
        choices=["recent", "booked"], help_text="Which pace the forecast uses: the faster of the two."
    )
    forecast_finish = serializers.DateField(
        allow_null=True,
        help_text="At the faster of the last four weeks' completions and the next four weeks' bookings; null: neither.",
    )
    variance_days = serializers.IntegerField(allow_null=True, help_text="Forecast minus planned finish: >0 is late.")


class ParetoSerializer(serializers.Serializer):
    root_cause = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    cumulative = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class EscalationLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Open or acknowledged, current level.")
    under_1d = serializers.IntegerField()
    d1_3 = serializers.IntegerField()
    over_3d = serializers.IntegerField()


class CountSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The visit status or readiness gate.")
    label = serializers.CharField()
    count = serializers.IntegerField()


class VendorFigureSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    jobs = serializers.IntegerField()
    completed = serializers.IntegerField()
    drft_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    drft_denominator = serializers.IntegerField()
    on_time_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        allow_null=True,
        help_text="Checked in by window start + grace, of visits worked.",
    )
    worked = serializers.IntegerField(help_text="Visits worked (checked out) in this program.")
    score = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text="The scorecard's formula over this program's work."
    )


class TechnicianFigureSerializer(VendorFigureSerializer):
    vendor = serializers.CharField()


class BurnUpWeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The Monday of the week (organization's zone) the work was accepted.")
    completed = serializers.IntegerField()
    cumulative = serializers.IntegerField(help_text="Sites completed up to the end of that week.")


class ProgramDashboardSerializer(serializers.Serializer):
    program = serializers.IntegerField()
    total = ProgressSerializer()
    waves = ProgressSerializer(many=True)
    burn_up = BurnUpWeekSerializer(many=True, help_text="Completions by week: the burn-up against the plan.")
    drft = DrftFigureSerializer(allow_null=True)
    target = serializers.DecimalField(max_digits=5, decimal_places=1)
    weeks = DrftFigureSerializer(many=True, help_text="DRFT by ISO week of acceptance, the last twelve.")
    pareto = ParetoSerializer(many=True)
    escalations = EscalationLevelSerializer(many=True)
    visits_today = CountSerializer(many=True)
    blockers = CountSerializer(many=True, help_text="Not-yet-scheduled work orders each readiness gate holds.")
    vendors = VendorFigureSerializer(many=True)
    technicians = TechnicianFigureSerializer(many=True)


class PortfolioRowSerializer(serializers.Serializer):
    program = serializers.IntegerField(source="program.pk")
    code = serializers.CharField(source="program.code")
    name = serializers.CharField(source="program.name")
    client = serializers.CharField(source="program.client.name")
    status = serializers.CharField(source="program.status")
    progress = ProgressSerializer()
    drft = DrftFigureSerializer(allow_null=True)
    target = serializers.DecimalField(source="program.target_drft_percent", max_digits=5, decimal_places=1)
    open_escalations = serializers.IntegerField()
    flag = serializers.ChoiceField(choices=["red", "amber", "green"])
    reason = serializers.CharField()
