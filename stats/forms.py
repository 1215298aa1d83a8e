from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

PRESETS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


class DateRangeForm(forms.Form):
    """The dashboard's date range: a preset (`days`) or `start` and `end`, both included.

    Nothing or anything invalid gives the last DEFAULT_DAYS days ending today; the errors are
    shown beside the form.
    """

    days = forms.TypedChoiceField(
        choices=[(n, n) for n in PRESETS], coerce=int, required=False, widget=forms.HiddenInput
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None) and not self.errors:
            raise forms.ValidationError(_("Give both the first and the last day."))
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The first day must not be after the last day."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return data

    def date_range(self, *, today: date) -> tuple[date, date]:
        """(first day, last day) asked for, or the default range."""
        days = DEFAULT_DAYS
        if self.is_bound and self.is_valid():
            if self.cleaned_data.get("start"):
                return self.cleaned_data["start"], self.cleaned_data["end"]
            days = self.cleaned_data.get("days") or DEFAULT_DAYS
        return today - timedelta(days=days - 1), today
