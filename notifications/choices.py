"""Choices of the notifications app, shared by models, filters, forms and serializers."""

from django.db import models


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    EMAIL = "email", "E-mail"


class Digest(models.TextChoices):
    """How a user's e-mail notices arrive: each one as it happens, or one summary a day."""

    IMMEDIATE = "immediate", "Each notice as it happens"
    DAILY = "daily", "One daily digest"


class ReadState(models.TextChoices):
    UNREAD = "unread", "Unread"
    READ = "read", "Read"


class InboxOrder(models.TextChoices):
    UNREAD_FIRST = "unread", "Unread first"
    NEWEST = "newest", "Newest first"
