"""quality models (built in a later issue)."""
