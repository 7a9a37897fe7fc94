"""Markdown to safe HTML and to plain text: release bodies, and anything else staff write in Markdown."""

import html
from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "code", "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


# Rendering depends only on the text, and the same releases are shown again and again
# (the feed renders thirty on every request), so results are kept.
@lru_cache(maxsize=2048)
def render_markdown(text: str) -> Markup:
    """Render Markdown and strip anything that could run script or change the page."""
    html = markdown.markdown(text or "", extensions=["sane_lists", "tables"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


@lru_cache(maxsize=2048)
def plain_text(text: str, limit: int = 300) -> str:
    """A short plain-text summary of Markdown, for feeds and meta descriptions."""
    stripped = html.unescape(nh3.clean(markdown.markdown(text or ""), tags=set()))
    stripped = " ".join(stripped.split())
    if len(stripped) <= limit:
        return stripped
    return stripped[: limit - 1].rsplit(" ", 1)[0] + "…"
