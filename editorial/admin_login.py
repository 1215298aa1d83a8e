"""The admin's login form: a branch liaison who logs in here is sent to their portal.

Django's own form answers a right password of an account without admin access with "enter the
correct username and password", which a liaison trying the admin reads as a wrong password.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import reverse
from django.utils.translation import gettext


class AdminLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if user.is_active and not user.is_staff and user.has_perm("editorial.use_liaison_portal"):
            raise forms.ValidationError(
                gettext("This account is for the liaison portal, not the admin: log in at %(url)s.")
                % {"url": self.request.build_absolute_uri(reverse("liaison:login"))},
                code="liaison",
            )
        super().confirm_login_allowed(user)
