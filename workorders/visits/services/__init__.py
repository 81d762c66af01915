"""Writes of field visits, split by verb group as Zulip splits its actions:

- `planning` — the coordinators' scheduling: schedule, reschedule, reassign, cancel, no-show (and the sweep that
  marks missed visits).
- `field_actions` — the technician's phone: confirm, on my way, acknowledge the packet, check-in, task results,
  photos, sign-off, check-out; each recorded once per client action id.
- `calloff` — calling off the open visit of a work order being cancelled. The work-order services
  (workorders.services) need it, and the visit services build on them, so it imports no services: that keeps
  the dependency one way (planning and field actions → workorders.services → calloff).
- `_common` — the private helpers they share (the visit row lock, the technician's notice).

Their refusals live in workorders.visits.errors (the work-order services' in workorders.errors). Import the
services from their module, e.g. `from workorders.visits.services.planning import visit_schedule`; this package
re-exports nothing.
"""
