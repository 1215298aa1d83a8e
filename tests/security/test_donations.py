"""Gifts are finance records: only the donations officer (and the office admin) writes them,
within bounds, and every write leaves an audit entry (issue 10, item 4)."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from donations.models import Gift
from donations.services import gift_save
from editorial.errors import NotAllowedError
from editorial.models import AuditEntry, State
from editorial.roles import EDITOR, REVIEWER
from tests.factories import DonationProjectFactory, GiftFactory, ReviewerFactory

pytestmark = pytest.mark.django_db

ABSURD_AMOUNT = "999999999999.99"


def _gift_form(project, **overrides) -> dict:
    data = {
        "project": str(project.pk),
        "amount": "500.00",
        "donated_on": "2026-05-01",
        "channel": "bank",
        "donor_name": "陈思远",
        "donor_alumnus": "",
        "message": "",
    }
    data.update(overrides)
    return data


def _audit(gift_pk: int, action: str):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Gift), object_id=gift_pk, action=action
    )


def test_an_editor_gets_403_on_the_add_gift_page(client, editor):
    client.force_login(editor)

    response = client.get(reverse("admin:donations_gift_add"))

    assert response.status_code == 403


def test_an_editor_cannot_post_a_gift_in_the_admin(client, editor):
    project = DonationProjectFactory(state=State.PUBLISHED)
    client.force_login(editor)

    response = client.post(reverse("admin:donations_gift_add"), _gift_form(project))

    assert response.status_code == 403
    assert not Gift.objects.exists()


def test_an_editor_cannot_change_a_gifts_amount_in_the_admin(client, editor):
    gift = GiftFactory(amount=Decimal("100.00"))
    client.force_login(editor)

    response = client.post(
        reverse("admin:donations_gift_change", args=[gift.pk]),
        _gift_form(gift.project, amount="100000.00"),
    )

    assert response.status_code == 403
    gift.refresh_from_db()
    assert gift.amount == Decimal("100.00")


def test_a_reviewer_cannot_delete_a_gift_in_the_admin(client, reviewer):
    gift = GiftFactory()
    client.force_login(reviewer)

    response = client.post(reverse("admin:donations_gift_delete", args=[gift.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Gift.objects.filter(pk=gift.pk).exists()


def test_the_gift_service_refuses_an_editor_too(editor):
    project = DonationProjectFactory()
    gift = Gift(project=project, donor_name="陈思远", amount=Decimal("1.00"), channel="bank")

    with pytest.raises(NotAllowedError):
        gift_save(gift=gift, by=editor)

    assert not Gift.objects.exists()


def test_the_donations_officer_records_a_gift_with_an_audit_entry(client, donations_officer):
    project = DonationProjectFactory(state=State.PUBLISHED)
    client.force_login(donations_officer)

    response = client.post(reverse("admin:donations_gift_add"), _gift_form(project))

    assert response.status_code == 302
    gift = Gift.objects.get()
    assert gift.amount == Decimal("500.00")
    entry = _audit(gift.pk, "donations.gift.created").get()
    assert entry.user == donations_officer
    assert "— → 500.00" in entry.comment


def test_the_office_admin_keeps_the_gift_permissions(client, office_admin):
    project = DonationProjectFactory()
    client.force_login(office_admin)

    response = client.post(reverse("admin:donations_gift_add"), _gift_form(project))

    assert response.status_code == 302
    assert Gift.objects.filter(project=project).exists()


def test_a_gift_of_999_999_999_999_99_is_refused_with_a_clear_message(client, donations_officer):
    project = DonationProjectFactory()
    client.force_login(donations_officer)

    response = client.post(
        reverse("admin:donations_gift_add"), _gift_form(project, amount=ABSURD_AMOUNT)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["amount"]
    assert errors == [
        "单笔捐赠最多 ¥10,000,000.00；¥999,999,999,999.99 超出了上限。"
        "请核对金额，较大额的捐赠请联系管理员。"
    ]
    assert not Gift.objects.exists()


def test_the_gift_limit_follows_the_setting(client, donations_officer, settings):
    settings.DONATIONS_GIFT_MAX_AMOUNT = Decimal("5000.00")
    project = DonationProjectFactory()
    client.force_login(donations_officer)

    response = client.post(
        reverse("admin:donations_gift_add"), _gift_form(project, amount="5000.01")
    )

    assert response.status_code == 200
    assert not Gift.objects.exists()


def test_a_gift_of_zero_is_refused_with_a_clear_message(client, donations_officer):
    project = DonationProjectFactory()
    client.force_login(donations_officer)

    response = client.post(reverse("admin:donations_gift_add"), _gift_form(project, amount="0"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["amount"] == ["捐赠金额必须大于 ¥0。"]
    assert not Gift.objects.exists()


def test_changing_a_gifts_amount_leaves_an_entry_with_before_and_after(client, donations_officer):
    gift = GiftFactory(amount=Decimal("1000.00"))
    client.force_login(donations_officer)

    response = client.post(
        reverse("admin:donations_gift_change", args=[gift.pk]),
        _gift_form(
            gift.project,
            amount="1200.00",
            donor_name=gift.donor_name,
            donated_on=gift.donated_on.isoformat(),
        ),
    )

    assert response.status_code == 302
    entry = _audit(gift.pk, "donations.gift.changed").get()
    assert entry.user == donations_officer
    assert entry.comment == "金额（元）: 1,000.00 → 1,200.00"


def test_deleting_a_gift_leaves_an_entry_with_its_amount(client, donations_officer):
    gift = GiftFactory(amount=Decimal("888.00"))
    client.force_login(donations_officer)

    response = client.post(reverse("admin:donations_gift_delete", args=[gift.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Gift.objects.filter(pk=gift.pk).exists()
    entry = _audit(gift.pk, "donations.gift.deleted").get()
    assert entry.user == donations_officer
    assert "金额（元）: 888.00 → —" in entry.comment


def test_deleting_gifts_with_the_list_action_leaves_an_entry_for_each(client, donations_officer):
    gifts = GiftFactory.create_batch(2)
    client.force_login(donations_officer)

    response = client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": "delete_selected", "_selected_action": [g.pk for g in gifts], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Gift.objects.exists()
    for gift in gifts:
        assert _audit(gift.pk, "donations.gift.deleted").exists()


def test_a_project_goal_above_the_limit_is_refused(client, office_admin):
    client.force_login(office_admin)
    data = {
        "title": "新体育馆",
        "digest": "",
        "body": "<p>建设新体育馆。</p>",
        "goal": "999999999999.99",
        "deadline": "",
        "publish_at_0": "",
        "publish_at_1": "",
    }

    response = client.post(reverse("admin:donations_donationproject_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["goal"]
    assert errors == ["项目目标最多 ¥1,000,000,000.00；¥999,999,999,999.99 超出了上限。"]


def test_a_far_overfunded_project_shows_no_absurd_percentage(client):
    project = DonationProjectFactory(state=State.PUBLISHED, goal=Decimal("1.00"))
    GiftFactory(project=project, amount=Decimal("10000000.00"))

    response = client.get(reverse("donations:detail", args=[project.pk]))

    page = response.content.decode()
    assert "999%+" in page
    assert "1000000000%" not in page


def test_upgrading_takes_the_gift_permissions_from_editors_and_reviewers():
    migration = importlib.import_module("donations.migrations.0002_gift_bounds_and_officer")
    gift_perms = Permission.objects.filter(
        content_type__app_label="donations",
        codename__in=["add_gift", "change_gift", "delete_gift"],
    )
    for name in (EDITOR, REVIEWER):
        Group.objects.get(name=name).permissions.add(*gift_perms)

    migration.revoke_gift_permissions(global_apps, None)

    reviewer = ReviewerFactory()
    assert not reviewer.has_perm("donations.add_gift")
    assert not Group.objects.get(name=EDITOR).permissions.filter(pk__in=gift_perms).exists()
    assert Group.objects.get(name=EDITOR).permissions.filter(codename="view_gift").exists()
