"""Helpers the statistics tests share."""


def dashboard_table(response, slug):
    """The dashboard's table `slug` from a rendered dashboard response."""
    for _heading, blocks in response.context["sections"]:
        for block in blocks:
            if block["table"].slug == slug:
                return block["table"]
    raise KeyError(slug)
