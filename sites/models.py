"""sites models (built in a later issue)."""
