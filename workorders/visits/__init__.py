"""Field visits: one technician at one site in one time window — scheduling (coordinators), the field actions
of the technician's phone (confirm, on my way, check-in, task results, photos, sign-off, check-out), recorded
exactly once per client action id, and the dispatch board. Models live in workorders.models.visits."""
