"""Programs models (built in a later issue)."""
