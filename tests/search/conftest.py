import re

import pytest

from search.selectors import SearchResults
from search.text import query_terms


def titles(query: str, *, kind: str = "", limit: int = 50) -> list[str]:
    """The titles the search finds for `query`, in their order, without the marks."""
    hits = SearchResults(query_terms(query), kind=kind)[0:limit]
    return [re.sub(r"</?mark>", "", str(hit.title)) for hit in hits]


@pytest.fixture
def found():
    return titles
