"""A news tip (editorial.intake) becomes a campus-news draft, as a liaison's submission starts:
the tip's text as paragraphs (escaped), its source under it, waiting for an editor."""

from django.utils.html import escape

from editorial import services
from editorial.intake import Tip

from .liaison_forms import text_to_html
from .models import Article


def article_from_tip(*, tip: Tip, by) -> Article:
    """A draft article from `tip`, owned by `by`. Raises EditorialError (NotAllowedError without
    the permission to add news)."""
    body = text_to_html(tip.text)
    if tip.source:
        body += f"<p>{escape(tip.source)}</p>"
    return services.item_save(item=Article(), by=by, data={"title": tip.title, "body": body})
