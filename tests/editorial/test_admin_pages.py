"""Every registered admin page opens, with data in it, for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    ArticlePhotoFactory,
    GiftFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def some_of_everything():
    ArticlePhotoFactory(article=ArticleFactory())
    RegistrationFactory(activity=ActivityFactory())
    AlumniProfileFactory()
    GiftFactory()


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_opens_for_superuser(admin_client, some_of_everything, app_label, model_name):
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_add_page_opens_or_is_forbidden_by_design(admin_client, app_label, model_name):
    model_admin = next(
        ma for m, ma in admin.site._registry.items() if m._meta.model_name == model_name
    )
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    # The audit log is read-only: nobody adds entries by hand.
    expected = 200 if model_admin.has_add_permission(response.wsgi_request) else 403
    assert response.status_code == expected


@pytest.mark.parametrize(
    "factory", [ArticleFactory, ActivityFactory, AlumniProfileFactory, GiftFactory]
)
def test_change_page_opens_for_superuser(admin_client, factory):
    obj = factory()
    opts = obj._meta
    response = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200


def test_admin_index_has_the_office_header(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "校友会内容管理" in response.content.decode()
