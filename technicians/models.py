"""technicians models (built in a later issue)."""
