"""workorders models (built in a later issue)."""
