"""The four roles exist with their permissions after migrate, and after a test's flush."""

import pytest
from django.contrib.auth.models import Group

from editorial.roles import LIAISON, OFFICE_ADMIN, REVIEWER, ROLE_PERMISSIONS


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_start_with_the_four_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_PERMISSIONS)


@pytest.mark.django_db(transaction=True)
def test_roles_are_complete_again_after_an_earlier_tests_flush():
    reviewer = Group.objects.get(name=REVIEWER)
    assert reviewer.permissions.filter(codename="review_item").exists()
    # The office admin has every permission, those of apps migrated after editorial's too.
    office_admin = Group.objects.get(name=OFFICE_ADMIN)
    assert office_admin.permissions.filter(codename="view_callbackevent").exists()


@pytest.mark.django_db
def test_a_liaison_may_only_use_the_portal():
    codenames = set(Group.objects.get(name=LIAISON).permissions.values_list("codename", flat=True))
    assert codenames == {"use_liaison_portal"}
