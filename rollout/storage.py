"""Private file storage: MEDIA_ROOT/private, which no URL serves. Views stream its files after an access check."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateMediaStorage(FileSystemStorage):
    """MEDIA_ROOT/private: uploads (site imports, photos, packets, training certificates) live here, never served."""

    @cached_property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "private")

    def url(self, name):
        raise ValueError("Private files have no URL: a view streams them after checking access.")


_private_storage = PrivateMediaStorage()


def private_storage() -> FileSystemStorage:
    """The one private storage (a callable, so that migrations do not freeze a path)."""
    return _private_storage
