"""Sanitizing rich text. CKEditor's HTML is untrusted: it is cleaned with nh3 before storage."""

import html as _html

import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "blockquote",
    "ul", "ol", "li", "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr",
    "th", "td", "span", "section",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    # No width or height: CKEditor wrote an image's native pixel size (width="1600"), which
    # ran past the editor and the page; images take the column's width (max-width: 100%).
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"style"},
}
ALLOWED_STYLE_PROPERTIES = {"text-align", "font-weight", "font-style", "text-decoration", "color"}


def sanitize_html(html: str) -> str:
    """Return `html` with everything outside the allowlist removed (scripts, handlers, iframes)."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties=ALLOWED_STYLE_PROPERTIES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def html_to_text(html: str) -> str:
    """The visible text of `html`, whitespace collapsed (for digests and search)."""
    text = nh3.clean(html or "", tags=set())
    return " ".join(_html.unescape(text).split())


def html_to_lines(html: str) -> list[str]:
    """The visible text of `html`, one string per line break it contains, whitespace collapsed
    within each; empty lines left out. One sanitizer pass, whatever the number of lines."""
    text = _html.unescape(nh3.clean(html or "", tags=set()))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return [line for line in lines if line]
