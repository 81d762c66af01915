# The escalation's breach episode: (rule, object, occurrence, level) is unique instead of (rule, object, level), so
# a breach that clears and recurs with a new anchor (a rescheduled visit missing its new window) escalates again.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# Each rule's anchor (escalations.rules.RULES[rule].anchor), as of this migration.
VISIT_ANCHORS = {
    "no_confirmation": "window_start",
    "no_on_the_way": "window_start",
    "no_check_in": "checkin_due_by",
    "visit_overrun": "checked_in_at",
    "packet_not_acknowledged": "window_start",
    "materials_not_delivered": "window_start",
    "no_show": "no_show_at",
}
WORK_ORDER_ANCHORS = {"review_overdue": "submitted_at", "rework_open": "rework_at", "work_order_not_ready": "planned_start"}


def backfill(apps, schema_editor):
    """Existing rows: the subject's anchor now (the episode they belong to), or their breach time without one."""
    Escalation = apps.get_model("escalations", "Escalation")
    Visit = apps.get_model("workorders", "Visit")
    WorkOrder = apps.get_model("workorders", "WorkOrder")
    for model, subject_type, anchors in ((Visit, "visit", VISIT_ANCHORS), (WorkOrder, "work_order", WORK_ORDER_ANCHORS)):
        for rule, anchor in anchors.items():
            value = model.objects.filter(pk=OuterRef("subject_id")).values(anchor)[:1]
            Escalation.objects.filter(rule=rule, subject_type=subject_type).update(occurrence=Subquery(value))
    Escalation.objects.filter(occurrence__isnull=True).update(occurrence=models.F("breach_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0001_initial"),
        ("workorders", "0006_packet_generation_on_durable_jobs"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="escalation", name="escalation_once_per_rule_object_level"),
        migrations.AddField(
            model_name="escalation",
            name="occurrence",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="escalation",
            name="occurrence",
            field=models.DateTimeField(help_text="The rule's anchor on the object: which breach episode this is."),
        ),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.UniqueConstraint(
                fields=("organization", "rule", "subject_type", "subject_id", "occurrence", "level"),
                name="escalation_once_per_episode_level",
            ),
        ),
    ]
