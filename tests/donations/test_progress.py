from decimal import Decimal

import pytest

from donations.models import DonationProject
from donations.selectors import donation_progress, projects_with_progress
from tests.factories import DonationProjectFactory, GiftFactory

pytestmark = pytest.mark.django_db


def _annotated(project):
    return projects_with_progress(DonationProject.objects.filter(pk=project.pk)).get()


def test_raised_is_the_exact_decimal_sum_of_the_gifts():
    project = DonationProjectFactory()
    GiftFactory(project=project, amount=Decimal("0.10"))
    GiftFactory(project=project, amount=Decimal("0.20"))

    raised = _annotated(project).raised

    assert isinstance(raised, Decimal)
    assert raised == Decimal("0.30")


def test_raised_is_a_decimal_zero_without_gifts():
    project = DonationProjectFactory()

    raised = _annotated(project).raised

    assert isinstance(raised, Decimal)
    assert raised == Decimal("0.00")


def test_donors_counts_the_gifts():
    project = DonationProjectFactory()
    GiftFactory.create_batch(3, project=project)
    GiftFactory(project=DonationProjectFactory())

    assert _annotated(project).donors == 3


def test_three_gifts_of_33_33_against_100_are_99_99_raised_and_99_percent():
    project = DonationProjectFactory(goal=Decimal("100.00"))
    GiftFactory.create_batch(3, project=project, amount=Decimal("33.33"))

    progress = donation_progress(project=_annotated(project))

    assert progress.raised == Decimal("99.99")
    assert progress.percent == 99
    assert progress.exact_percent == Decimal("99.99")
    assert progress.bar_width == "99.99%"


def test_progress_without_annotations_gives_the_same_totals():
    project = DonationProjectFactory(goal=Decimal("100.00"))
    GiftFactory.create_batch(3, project=project, amount=Decimal("33.33"))

    progress = donation_progress(project=DonationProject.objects.get(pk=project.pk))

    assert (progress.raised, progress.percent, progress.donors) == (Decimal("99.99"), 99, 3)


def test_an_overfunded_project_keeps_its_true_percent_but_caps_the_bar():
    project = DonationProjectFactory(goal=Decimal("1000.00"))
    GiftFactory(project=project, amount=Decimal("1500.00"))

    progress = donation_progress(project=_annotated(project))

    assert progress.percent == 150
    assert progress.bar_percent == Decimal("100")
    assert progress.reached


def test_large_sums_stay_exact_to_the_fen():
    project = DonationProjectFactory(goal=Decimal("10000000.00"))
    GiftFactory(project=project, amount=Decimal("1234567.89"))
    GiftFactory(project=project, amount=Decimal("0.01"))
    GiftFactory(project=project, amount=Decimal("8765432.09"))

    assert _annotated(project).raised == Decimal("9999999.99")
