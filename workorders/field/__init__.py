"""The technician's phone app: the visit page (arrival, checklist with evidence, sign-off, check-out) that works
on one bar of signal. Its actions go through the visits API (workorders.visits) from an outbox on the phone."""
