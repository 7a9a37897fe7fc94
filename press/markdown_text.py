"""Markdown to safe HTML and to plain text: release bodies, and anything else staff write in Markdown."""

import html
import re
import threading
from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "code", "pre",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}

# Building a Markdown converter costs a third as much as converting a release, so each thread keeps
# its own (a converter holds state while it works, so threads cannot share one).
_converters = threading.local()


def _convert(text: str, *, rich: bool) -> str:
    name = "rich" if rich else "plain"
    converter = getattr(_converters, name, None)
    if converter is None:
        extensions = ["sane_lists", "tables"] if rich else []
        converter = markdown.Markdown(extensions=extensions, output_format="html")
        setattr(_converters, name, converter)
    return converter.reset().convert(text or "")


def sanitised_html(text: str) -> Markup:
    """Render Markdown and strip anything that could run script or change the page."""
    clean = nh3.clean(
        _convert(text, rich=True),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


# A bare web address: not already inside a Markdown link, an autolink, an HTML attribute or inline code.
# Backtick spans are matched first so the addresses in them are left alone.
_BARE_URL = re.compile(r"(`+)(?:.*?)\1|(?<![<\[\"'=/\w])(?<!\]\()(https?://[^\s<>\"'`\]\[]+)", re.S | re.I)
_TRAILING = ".,;:!?'\""


def _autolink(match: re.Match[str]) -> str:
    url = match.group(2)
    if url is None:
        return match.group()
    tail = ""
    # Punctuation ending a sentence is not part of the address, nor a closing bracket it does not open.
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
        url, tail = url[:-1], url[-1] + tail
    if "://" not in url or url.endswith("://"):
        return match.group()
    return f"<{url}>{tail}"


def link_web_addresses(text: str) -> str:
    """Markdown in which plain http and https addresses are autolinks, so they render as links."""
    return _BARE_URL.sub(_autolink, text or "")


def linked_html(text: str) -> Markup:
    """Sanitised HTML of Markdown whose plain web addresses are links too (only http and https ones)."""
    return sanitised_html(link_web_addresses(text))


def full_plain_text(text: str) -> str:
    """All the words of Markdown as plain text on one line, without markup."""
    stripped = html.unescape(nh3.clean(_convert(text, rich=False), tags=set()))
    return " ".join(stripped.split())


def shorten(text: str, limit: int = 300) -> str:
    """Plain text cut at a word boundary to at most ``limit`` characters, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


# For Markdown rendered as a page is shown; releases store theirs when saved instead.
@lru_cache(maxsize=2048)
def render_markdown(text: str) -> Markup:
    """Sanitised HTML of Markdown, kept for the text seen again."""
    return sanitised_html(text)


@lru_cache(maxsize=2048)
def plain_text(text: str, limit: int = 300) -> str:
    """A short plain-text summary of Markdown, for feeds and meta descriptions."""
    return shorten(full_plain_text(text), limit)
