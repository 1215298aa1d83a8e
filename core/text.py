"""One-line text: titles, names, captions, places.

A line break in a title saved fine and then broke the reviewers' email (a header may not hold
one), and WeChat shows a title on one line anyway. Control characters (a NUL above all, which
PostgreSQL refuses) have no place in such a field either. They are refused with a form error,
not stripped: the editor sees what is wrong and what will be stored.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters (tab, line feed, carriage return, NUL…) and Unicode's own line
# and paragraph separators.
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_single_line(value) -> None:
    """Raise ValidationError when `value` holds a line break or another control character."""
    if isinstance(value, str) and NOT_ONE_LINE.search(value):
        raise ValidationError(
            _("Write this on one line: line breaks, tabs and control characters are not allowed."),
            code="single_line",
        )


def one_line(value: str) -> str:
    """`value` with every run of whitespace and control characters made one space (for a mail
    subject or another header built from stored text)."""
    return " ".join(NOT_ONE_LINE.sub(" ", value).split())


class SingleLineTextMixin:
    """For a model: each of its CharFields without choices holds one line of text.

    Checked in `clean_fields`, so every ModelForm (the admin and its inlines, the self-service
    forms) shows the error beside the field. Multi-line text belongs in a TextField, which this
    leaves alone; a model lists a CharField that may hold several lines in
    `multi_line_fields`.
    """

    multi_line_fields: tuple[str, ...] = ()

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if (
                not isinstance(field, models.CharField)
                or field.choices
                or field.name in exclude
                or field.name in errors
                or field.name in self.multi_line_fields
            ):
                continue
            try:
                validate_single_line(field.value_from_object(self))
            except ValidationError as exc:
                errors[field.name] = exc.error_list
        if errors:
            raise ValidationError(errors)
