"""Markdown as safe HTML, for everything users write in Markdown (SOW instructions on the program pages, packet
pages and PDFs): one renderer and one allow-list, so a page and a packet show the same text the same way."""

from __future__ import annotations

import html as htmllib
import re

import markdown as markdown_lib
import nh3

# What instructions may contain once rendered: text structure, links and images; no scripts, styles,
# event handlers, iframes or forms. nh3 (ammonia) removes everything else, attributes included.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown → sanitized HTML (links get rel=noopener noreferrer nofollow; unsafe URLs are dropped)."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def markdown_text(text: str) -> str:
    """Markdown as the plain text a reader sees (no markup): paragraphs and list items on lines of their own, a list
    item led by "• ". For showing what changed in rendered instructions, word by word."""
    html = render_markdown(text)
    html = re.sub(r"<li[^>]*>", "\n• ", html)
    html = re.sub(r"</(p|h[1-6]|li|tr|blockquote|pre)>|<br\s*/?>", "\n", html)
    plain = htmllib.unescape(nh3.clean(html, tags=set()))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in plain.splitlines()]
    return "\n".join(line for line in lines if line)
