"""Answers wechat.directory: the alumni record beside a follower's messages (registered in
AudienceConfig.ready(); the wechat app never imports audience)."""

from django.urls import NoReverseMatch, reverse

from wechat.directory import FollowerCard

from .models import Follower


def follower_cards(openids: list[str]) -> dict[str, FollowerCard]:
    """{openid: FollowerCard} for the known followers among `openids`, in one query."""
    rows = Follower.objects.filter(openid__in=openids).select_related("alumnus__branch")
    cards = {}
    for follower in rows:
        alumnus = follower.alumnus
        if alumnus is not None and alumnus.deleted_at is not None:
            alumnus = None
        record_url = ""
        if alumnus is not None:
            try:
                record_url = reverse("admin:alumni_alumnus_change", args=[alumnus.pk])
            except NoReverseMatch:
                record_url = ""
        cards[follower.openid] = FollowerCard(
            openid=follower.openid,
            name=alumnus.name if alumnus else "",
            nickname=follower.remark or follower.nickname,
            class_year=alumnus.class_year if alumnus else None,
            branch=str(alumnus.branch) if alumnus and alumnus.branch else "",
            record_url=record_url,
            subscribed=follower.subscribed,
        )
    return cards
