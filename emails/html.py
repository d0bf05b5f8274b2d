"""Inbound email HTML, made safe to show in the inbox (nh3, the Rust sanitiser ammonia).

An email's HTML is written by anyone on the internet: whatever could run, submit, restyle
the inbox around it, or call home when the message is opened is taken out. The raw HTML is
kept as received; this runs when it is shown, so "show remote images" is the same call
with ``allow_remote_images=True``.
"""

from collections.abc import Callable
from urllib.parse import unquote

import nh3

# nh3's defaults: formatting, lists, tables, links and images. No script, iframe, form,
# object, embed, svg, meta, base or link: those tags go, and what they held stays as text.
TAGS = nh3.ALLOWED_TAGS
# Tags whose content goes with them: code, CSS, and the document's title (a full HTML
# document's <head> would otherwise show its <title> as the first line).
CLEAN_CONTENT_TAGS = {"script", "style", "title"}
# nh3's defaults (a: href, img: src alt width height, table cell spans...), plus the
# attributes email layouts lean on. No event handlers (onerror, onclick...), ids or classes.
ATTRIBUTES = {
    tag: set(names) | ({"width", "bgcolor", "valign"} if tag in {"table", "td", "th"} else set())
    for tag, names in nh3.ALLOWED_ATTRIBUTES.items()
} | {"*": {"style", "title"}}
# cid: only reaches the filter in sanitise_email_html, which swaps it for Hatch's own URL.
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}
# Inline styles stay, filtered to these properties. HTML email is laid out almost entirely
# in style attributes (mail clients drop <style>), so without them most newsletters and
# signatures fall apart; all of style is not safe either: url() in background, list-style,
# border-image, cursor or filter fetches remote images (a tracking pixel the remote-image
# block would miss), and position, z-index or transform let an email draw over the inbox
# (a fake sign-in box). None of these properties takes a URL or moves a box out of flow.
STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "line-height",
    "text-align",
    "text-decoration",
    "vertical-align",
    "white-space",
    "margin",
    "padding",
    "border",
    "border-collapse",
    "width",
    "max-width",
}


def sanitise_email_html(
    html: str, *, inline_images: dict[str, str], allow_remote_images: bool
) -> str:
    """``html`` with only what is safe to show: see the module's constants for what stays.

    Links open in a new tab, with ``rel="noopener noreferrer"`` (the email's page can
    neither reach the inbox nor learn its address). ``cid:`` images show
    ``inline_images[content_id]`` (a URL Hatch serves the attachment at) and are dropped
    when the email has no such image. Remote (http, https) images are dropped unless
    ``allow_remote_images``: loading one tells the sender when, where and that the email was
    read. nh3 can only keep or drop an attribute, not rename it, so a blocked image keeps
    no trace of its URL; ``remote_image_count`` tells how many there were.
    """
    served = set(inline_images.values())

    def only_safe_urls(tag: str, attribute: str, value: str) -> str | None:
        # nh3 checks a URL's scheme before this filter and does not check again after it:
        # every value returned here must be safe as it is.
        if attribute not in ("src", "href"):
            return value
        image = tag == "img" and attribute == "src"
        if _is_cid(value):
            return inline_images.get(_content_id(value)) if image else None
        if image:
            # Remote and blocked, or anything else (a relative URL would load from Hatch).
            return value if allow_remote_images and _is_remote(value) else None
        return value

    return _clean(
        html,
        attribute_filter=only_safe_urls,
        # Checked after the filter: the only relative URLs left are the inline images
        # Hatch serves; any other (a link or image to "/api/...") is dropped.
        url_relative=lambda url: url if url in served else None,
    )


def remote_image_count(html: str) -> int:
    """How many remote images ``sanitise_email_html`` would show if allowed ("3 remote
    images blocked"). Counted by the same parser, on the same tags, so never a guess."""
    count = 0

    def count_remote(tag: str, attribute: str, value: str) -> str | None:
        nonlocal count
        if tag == "img" and attribute == "src" and _is_remote(value):
            count += 1
        return value

    _clean(html, attribute_filter=count_remote, url_relative="deny")
    return count


def _clean(
    html: str,
    *,
    attribute_filter: Callable[[str, str, str], str | None],
    url_relative: Callable[[str], str | None] | str,
) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=attribute_filter,
        url_schemes=URL_SCHEMES,
        url_relative=url_relative,
        filter_style_properties=STYLE_PROPERTIES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def _is_cid(url: str) -> bool:
    return url.strip().lower().startswith("cid:")


def _content_id(url: str) -> str:
    # RFC 2392: the Content-ID, URL-encoded ("cid:part1%40example.com"), without <>.
    return unquote(url.strip()[4:]).strip("<> ")


def _is_remote(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://"))
