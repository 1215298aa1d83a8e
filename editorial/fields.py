"""`PhotoField`: the model field of every uploaded image (covers, article photos).

Whatever form edits it (the admin, an inline, any ModelForm), the upload is checked and
re-encoded by `editorial.images.process_photo` before it is stored; whatever code saves it,
the stored name is random (uuid4 hex) under the field's dated folder, with `.jpg` or `.png`.
"""

import uuid
from pathlib import PurePath

from django import forms
from django.core.exceptions import SuspiciousFileOperation
from django.db import models

from .images import process_photo

# What process_photo writes; any other extension means an unchecked file reached the field.
STORED_EXTENSIONS = {".jpg", ".png"}


class PhotoFormField(forms.FileField):
    """A file input whose cleaned value is the checked, re-encoded copy (a ContentFile).

    A refused image becomes the form's error on this field, in the user's language.
    """

    def to_python(self, data):
        if data in self.empty_values or not hasattr(data, "read"):
            return super().to_python(data)
        return super().to_python(process_photo(data))


class PhotoField(models.ImageField):
    """An ImageField for uploads: re-encoded through process_photo, stored under a random name."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhotoFormField, **kwargs})

    def generate_filename(self, instance, filename):
        extension = PurePath(filename).suffix.lower()
        if extension not in STORED_EXTENSIONS:
            # Only code that skipped process_photo gets here; never store such a file.
            raise SuspiciousFileOperation(
                f"{filename!r} was not re-encoded by editorial.images.process_photo"
            )
        return super().generate_filename(instance, f"{uuid.uuid4().hex}{extension}")
