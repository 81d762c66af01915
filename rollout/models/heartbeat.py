from django.db import models


class Heartbeat(models.Model):
    """Last time a background component proved it was alive (platform-wide, not tenant data)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
