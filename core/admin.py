"""List filters that every app's admin may use; the models' admins live in each app's admin.py."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class IsSetFilter(admin.SimpleListFilter):
    """A list filter on whether `field` holds a value (IS NOT NULL) or not.

    Subclasses give `title`, `parameter_name`, `field` and `options`: the value and label
    for "set" first, then for "not set", in the order the sidebar lists them.
    """

    field = ""
    options: tuple[tuple[str, str], tuple[str, str]] = (("yes", _("Yes")), ("no", _("No")))
    lists_unset_first = False

    def lookups(self, request, model_admin):
        return list(reversed(self.options)) if self.lists_unset_first else list(self.options)

    def queryset(self, request, queryset):
        (is_set, _set_label), (unset, _unset_label) = self.options
        if self.value() in (is_set, unset):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == unset})
        return queryset
