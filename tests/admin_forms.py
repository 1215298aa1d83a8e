"""The admin's article change form as a browser posts it, for tests that drive the admin."""


def article_form(article, photos=(), **changes):
    """The form for `article` (saved or built), unchanged but for `changes`.

    `photos`: new inline photo rows, each a dict with "image" (an upload) and "caption".
    """
    data = {
        "title": article.title,
        "digest": article.digest,
        "body": article.body,
        "author": article.author,
        "category": article.category_id or "",
        "department": article.department_id or "",
        "branch": article.branch_id or "",
        "event_date": "",
        "source_url": article.source_url,
        "publish_at_0": "",
        "publish_at_1": "",
        "photos-TOTAL_FORMS": str(len(photos)),
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
    }
    for index, photo in enumerate(photos):
        data.update(
            {
                f"photos-{index}-id": "",
                f"photos-{index}-article": article.pk or "",
                f"photos-{index}-image": photo["image"],
                f"photos-{index}-caption": photo["caption"],
                f"photos-{index}-position": str(index),
            }
        )
    data.update(changes)
    return data
