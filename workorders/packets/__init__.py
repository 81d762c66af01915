"""Work-order packets: the approved SOW compiled for one site (compiler), frozen as a versioned snapshot,
rendered to PDF and to a phone page (render), issued, re-issued and acknowledged (services), in bulk (tasks)."""
