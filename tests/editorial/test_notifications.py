"""Email after commit: reviewers hear of submissions, authors of approvals and rejections."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from editorial.models import State
from editorial.services import item_approve, item_reject, item_submit
from tests.factories import ArticleFactory, ReviewerFactory

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("mail server is down")


@pytest.fixture
def reviewers(reviewer, second_reviewer, office_admin):
    return [reviewer, second_reviewer, office_admin]


def _recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_submission_mails_every_reviewer_but_not_editors(
    author, editor, reviewers, django_capture_on_commit_callbacks
):
    article = ArticleFactory(created_by=author, title="校友返校日")
    with django_capture_on_commit_callbacks(execute=True):
        item_submit(item=article, by=author)
    assert _recipients() == sorted(user.email for user in reviewers)
    assert mail.outbox[0].subject == "【待审核】新闻：校友返校日"
    assert "author 提交了新闻“校友返校日”，等待审核。" in mail.outbox[0].body


def test_submitting_reviewer_gets_no_mail_about_own_submission(
    reviewer, second_reviewer, django_capture_on_commit_callbacks
):
    article = ArticleFactory(created_by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        item_submit(item=article, by=reviewer)
    assert _recipients() == [second_reviewer.email]


def test_inactive_reviewer_and_reviewer_without_email_get_no_mail(
    author, reviewer, django_capture_on_commit_callbacks
):
    ReviewerFactory(username="retired", is_active=False)
    ReviewerFactory(username="noemail", email="")
    with django_capture_on_commit_callbacks(execute=True):
        item_submit(item=ArticleFactory(created_by=author), by=author)
    assert _recipients() == [reviewer.email]


def test_no_mail_leaves_before_commit(author, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        item_submit(item=ArticleFactory(created_by=author), by=author)
    assert mail.outbox == []


def test_approval_mails_the_author_that_it_is_published(
    author, reviewer, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author, title="新年贺词")
    with django_capture_on_commit_callbacks(execute=True):
        item_approve(item=article, by=reviewer)
    [message] = mail.outbox
    assert (message.to, message.subject) == ([author.email], "【已通过】新闻：新年贺词")
    assert "现已发布。" in message.body


def test_approval_for_later_tells_the_author_when(
    author, reviewer, django_capture_on_commit_callbacks
):
    when = timezone.now() + timedelta(days=1)
    article = ArticleFactory(state=State.SUBMITTED, created_by=author, publish_at=when)
    with django_capture_on_commit_callbacks(execute=True):
        item_approve(item=article, by=reviewer)
    expected = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    assert f"将于 {expected} 发布。" in mail.outbox[0].body


def test_rejection_mails_the_author_the_reason(
    author, reviewer, django_capture_on_commit_callbacks
):
    article = ArticleFactory(state=State.SUBMITTED, created_by=author, title="分会活动")
    with django_capture_on_commit_callbacks(execute=True):
        item_reject(item=article, by=reviewer, reason="请补充活动时间")
    [message] = mail.outbox
    assert (message.to, message.subject) == ([author.email], "【已退回】新闻：分会活动")
    assert "退回理由：请补充活动时间" in message.body


def test_author_without_email_gets_no_mail(author, reviewer, django_capture_on_commit_callbacks):
    author.email = ""
    author.save()
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        item_reject(item=article, by=reviewer, reason="重复")
    assert mail.outbox == []


def test_mail_server_down_does_not_undo_the_approval(
    settings, author, reviewer, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.editorial.test_notifications.FailingBackend"
    article = ArticleFactory(state=State.SUBMITTED, created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        item_approve(item=article, by=reviewer)
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    assert "could not be sent" in caplog.text
