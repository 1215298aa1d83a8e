"""One editor cannot stall the site: revision diffs finish quickly whatever was saved, and
rich-text bodies have a size cap.

In the issue-10 run, two saves of a 60,000-character paragraph made the revisions page take
34–60 s (a character-by-character comparison), and three such requests froze every worker.
"""

import html
import random
import re
import time

import pytest
from django.urls import reverse

from articles.models import Article
from editorial.errors import InvalidValueError
from editorial.models import Revision
from editorial.selectors import revision_diff
from editorial.services import item_save, revision_restore
from tests.admin_forms import article_form
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

# What the attacker saved: one paragraph of 60,000 characters, then the same with a change
# every few characters, so that no long stretch is common to both versions.
PARAGRAPH_CHARS = 60_000
WORDS = "校友会返校日在五月举行欢迎大家参加活动共同回顾美好时光"
# "Well under a second" on the site; generous here for a loaded CI machine.
MAX_SECONDS = 2.0
TOO_LONG = "<p>" + "长" * 200_001 + "</p>"


def dense_edit_pair(seed: int = 10) -> tuple[str, str]:
    rng = random.Random(seed)
    before = [rng.choice(WORDS) for _ in range(PARAGRAPH_CHARS)]
    after = list(before)
    for index in range(0, PARAGRAPH_CHARS, 7):
        after[index] = rng.choice(WORDS)
    return "<p>" + "".join(before) + "</p>", "<p>" + "".join(after) + "</p>"


def saved_twice(editor):
    first, second = dense_edit_pair()
    article = ArticleFactory(created_by=editor)
    item_save(item=article, by=editor, data={"body": first})
    item_save(item=article, by=editor, data={"body": second})
    old, new = Revision.objects.filter(object_id=article.pk).order_by("pk")
    return article, old, new


def sides(diff_html: str) -> tuple[str, str]:
    """The before and after texts a diff's HTML shows (its rows joined)."""
    before = re.sub(r"<ins>.*?</ins>", "", diff_html, flags=re.DOTALL)
    after = re.sub(r"<del>.*?</del>", "", diff_html, flags=re.DOTALL)

    def text(part):
        return html.unescape(re.sub(r"<[^>]+>", "", part.replace("\n", "")))

    return text(before), text(after)


def test_the_revisions_page_of_a_huge_paragraph_edited_twice_answers_quickly(client, editor):
    article, _old, _new = saved_twice(editor)
    client.force_login(editor)
    # A running site has its templates loaded: open a small item's revisions first.
    small = ArticleFactory(created_by=editor)
    client.get(reverse("admin:articles_article_revisions", args=[small.pk]))
    url = reverse("admin:articles_article_revisions", args=[article.pk])

    started = time.monotonic()
    response = client.get(url)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert 'id="revision-diff"' in response.content.decode()
    assert elapsed < MAX_SECONDS, f"the revisions page took {elapsed:.1f} s"


def test_a_diff_cut_short_by_its_time_budget_still_shows_both_versions(editor):
    _article, old, new = saved_twice(editor)

    started = time.monotonic()
    [change] = revision_diff(old=old, new=new)
    elapsed = time.monotonic() - started

    assert elapsed < MAX_SECONDS, f"the diff took {elapsed:.1f} s"
    assert sides(str(change["html"])) == (change["before"], change["after"])


def test_a_small_edit_is_still_shown_word_by_word(editor):
    article = ArticleFactory(created_by=editor)
    item_save(item=article, by=editor, data={"body": "<p>Reunion on Monday, 10 May.</p>"})
    item_save(item=article, by=editor, data={"body": "<p>Reunion on Sunday, 10 May.</p>"})
    old, new = Revision.objects.filter(object_id=article.pk).order_by("pk")

    [change] = revision_diff(old=old, new=new)

    assert "Reunion on <del>Monday</del><ins>Sunday</ins>, 10 May." in change["html"]


def test_a_small_chinese_edit_is_still_shown_character_by_character(editor):
    article = ArticleFactory(created_by=editor)
    item_save(item=article, by=editor, data={"body": "<p>返校日在五月举行。</p>"})
    item_save(item=article, by=editor, data={"body": "<p>返校日在十月举行。</p>"})
    old, new = Revision.objects.filter(object_id=article.pk).order_by("pk")

    [change] = revision_diff(old=old, new=new)

    assert "返校日在<del>五</del><ins>十</ins>月举行。" in change["html"]


# The cap on bodies


def test_an_oversize_body_is_refused_in_the_admin_with_a_clear_message(client, editor):
    article = ArticleFactory(created_by=editor, body="<p>原正文</p>")
    client.force_login(editor)
    data = article_form(article, digest="", body=TOO_LONG, source_url="")

    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)

    assert response.status_code == 200
    assert re.search(
        r"内容过长：清理格式后共 \d+ 个字符，最多允许 200000 个。", response.content.decode()
    )
    article.refresh_from_db()
    assert article.body == "<p>原正文</p>"
    assert not Revision.objects.filter(object_id=article.pk).exists()


def test_an_oversize_body_is_refused_by_the_service_and_nothing_is_saved(liaison):
    with pytest.raises(InvalidValueError) as excinfo:
        item_save(item=Article(), by=liaison, data={"title": "超长稿件", "body": TOO_LONG})

    assert "body" in excinfo.value.errors
    assert "内容过长" in str(excinfo.value)
    assert not Article.objects.exists()
    assert not Revision.objects.exists()


def test_the_cap_counts_the_body_as_stored_after_sanitizing(editor):
    padded = "<p>正文</p>" + "<script>x</script>" * 20_000

    article = item_save(item=Article(), by=editor, data={"title": "带脚本的稿件", "body": padded})

    article.refresh_from_db()
    assert article.body == "<p>正文</p>"


def test_an_oversize_submission_from_the_liaison_portal_is_refused(client, liaison, liaison_branch):
    client.force_login(liaison)
    data = {
        "title": "超长的分会稿件",
        "text": "长" * 200_001,
        "event_date": "2025-02-08",
        "branch": liaison_branch.pk,
    }

    response = client.post(reverse("liaison:new"), data)

    assert response.status_code == 200
    assert "内容过长" in response.content.decode()
    assert not Article.objects.exists()


def test_an_oversize_body_cannot_come_back_through_an_old_revision(editor):
    article = ArticleFactory(created_by=editor, body="<p>原正文</p>")
    item_save(item=article, by=editor)
    old = Revision.objects.get(object_id=article.pk)
    old.data = {**old.data, "body": TOO_LONG}
    old.save()

    with pytest.raises(InvalidValueError):
        revision_restore(revision=old, by=editor)

    article.refresh_from_db()
    assert article.body == "<p>原正文</p>"
