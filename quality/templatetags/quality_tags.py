"""Template tags of the quality app: the DRFT tile other pages (the staff home) show, read from the snapshots."""

from django import template

from quality.choices import Dimension
from quality.selectors import DrftFigure, drft_metrics

register = template.Library()


@register.inclusion_tag("quality/_drft_tile.html")
def drft_tile(access) -> dict:
    """DRFT over the caller's visible programs (final and provisional apart, exclusions shown). One query."""
    figures = drft_metrics(access=access, dimension=Dimension.PROGRAM)
    total = DrftFigure(
        key="",
        label="",
        numerator=sum(f.numerator for f in figures),
        denominator=sum(f.denominator for f in figures),
        excluded=sum(f.excluded for f in figures),
        provisional_numerator=sum(f.provisional_numerator for f in figures),
        provisional_denominator=sum(f.provisional_denominator for f in figures),
    )
    return {"figure": total, "organization": access.organization}
