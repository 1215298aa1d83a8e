"""Tells core.visitor who a visitor is: the alumnus bound to the session's WeChat follower
(registered in AudienceConfig.ready())."""

from django.http import HttpRequest

from core.visitor import Visitor

from .models import Follower
from .views import SESSION_OPENID


def bound_visitor(request: HttpRequest) -> Visitor | None:
    """The bound alumnus of the follower this session authorized as, or None when the session
    has no openid, the follower is unknown or not bound, or the record was deleted."""
    session = getattr(request, "session", None)
    openid = session.get(SESSION_OPENID) if session is not None else None
    if not openid:
        return None
    # A deleted record is unbound when it is erased; the filter holds even if one is not.
    follower = (
        Follower.objects.filter(
            openid=openid, alumnus__isnull=False, alumnus__deleted_at__isnull=True
        )
        .values("alumnus_id", "subscribed")
        .first()
    )
    if follower is None:
        return None
    return Visitor(alumnus_id=follower["alumnus_id"], wechat=follower["subscribed"])
