"""Signals the core sends so that apps can react without the core depending on them."""

from django.dispatch import Signal

#: Sent after commit when a user becomes an active member (accepted invitation). Args: membership.
member_joined = Signal()
