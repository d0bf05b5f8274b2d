"""Inbound email HTML, as the inbox shows it: nothing runs, nothing calls home unasked."""

import pytest

from emails.html import remote_image_count, sanitise_email_html

LOGO_URL = "/api/emails/attachments/7f3c/content"


def shown(html: str, *, inline_images=None, allow_remote_images=False) -> str:
    return sanitise_email_html(
        html, inline_images=inline_images or {}, allow_remote_images=allow_remote_images
    )


class TestNothingRuns:
    @pytest.mark.parametrize(
        "html",
        [
            "<p>Hi</p><script>steal(document.cookie)</script>",
            '<p>Hi</p><img src=x onerror="steal(document.cookie)">',
            '<p onclick="steal()" onmouseover="steal()">Hi</p>',
            '<p>Hi</p><iframe src="https://evil.example/"></iframe>',
            '<p>Hi</p><form action="https://evil.example/"><input name=password></form>',
            '<p>Hi</p><object data="https://evil.example/x.swf"></object><embed src="x.swf">',
            "<p>Hi</p><svg><script>steal()</script></svg>",
        ],
    )
    def test_scripts_handlers_frames_forms_and_objects_are_removed(self, html):
        cleaned = shown(html)

        assert cleaned.startswith("<p>Hi</p>")
        for word in ("script", "steal", "onerror", "onclick", "iframe", "form", "object", "embed"):
            assert word not in cleaned

    @pytest.mark.parametrize(
        "href", ["javascript:steal()", " JaVaScRiPt:steal()", "data:text/html,<script>x</script>"]
    )
    def test_a_script_link_keeps_its_text_but_not_its_target(self, href):
        assert shown(f'<a href="{href}">Track parcel</a>') == (
            '<a target="_blank" rel="noopener noreferrer">Track parcel</a>'
        )

    def test_the_document_head_cannot_redirect_rebase_or_restyle_the_inbox(self):
        html = (
            "<html><head><title>Newsletter</title>"
            '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
            '<base href="https://evil.example/">'
            '<link rel="stylesheet" href="https://evil.example/inbox.css">'
            "<style>body { display: none }</style></head>"
            "<body><p>Hello</p></body></html>"
        )

        assert shown(html) == "<p>Hello</p>"


class TestLinks:
    def test_links_open_in_a_new_tab_without_a_referrer_or_an_opener(self):
        html = '<a href="https://shop.example/order/1" target="_self" rel="opener">Order</a>'

        assert shown(html) == (
            '<a href="https://shop.example/order/1" target="_blank" '
            'rel="noopener noreferrer">Order</a>'
        )

    def test_mail_links_stay(self):
        assert 'href="mailto:help@shop.example"' in shown(
            '<a href="mailto:help@shop.example">x</a>'
        )

    def test_a_link_into_hatch_itself_is_dropped(self):
        # A relative link would open Hatch's own pages (as the reader) from a stranger's email.
        assert "href" not in shown('<a href="/api/users/me/delete">Unsubscribe</a>')


class TestImages:
    def test_remote_images_are_blocked_and_counted(self):
        html = (
            '<img src="https://tracker.example/open.gif?u=42" width="1">'
            '<img src="http://cdn.example/banner.png" alt="Sale">'
        )

        assert shown(html) == '<img width="1"><img alt="Sale">'
        assert remote_image_count(html) == 2

    def test_remote_images_show_once_allowed(self):
        html = '<img src="https://cdn.example/banner.png" alt="Sale">'

        assert shown(html, allow_remote_images=True) == html

    def test_an_inline_image_shows_from_hatch(self):
        html = '<img src="cid:logo@mail.shop.example" alt="Shop">'

        cleaned = shown(html, inline_images={"logo@mail.shop.example": LOGO_URL})

        assert cleaned == f'<img src="{LOGO_URL}" alt="Shop">'
        assert remote_image_count(html) == 0

    def test_an_inline_image_url_encoded_or_bracketed_is_found(self):
        html = '<img src="cid:%3Clogo%40mail.shop.example%3E">'

        assert LOGO_URL in shown(html, inline_images={"logo@mail.shop.example": LOGO_URL})

    def test_an_inline_image_the_email_does_not_have_is_dropped(self):
        html = '<img src="cid:missing@mail.shop.example" alt="Shop">'

        assert shown(html, inline_images={"logo@mail.shop.example": LOGO_URL}) == '<img alt="Shop">'

    @pytest.mark.parametrize(
        "src",
        ["//tracker.example/open.gif", "/api/emails/attachments/1", "data:image/png;base64,AAAA"],
    )
    def test_other_image_sources_are_dropped_even_when_remote_images_are_allowed(self, src):
        assert shown(f'<img src="{src}">', allow_remote_images=True) == "<img>"

    def test_a_cid_link_is_not_turned_into_an_attachment_url(self):
        cleaned = shown(
            '<a href="cid:logo@mail.shop.example">x</a>',
            inline_images={"logo@mail.shop.example": LOGO_URL},
        )

        assert "href" not in cleaned


class TestStyles:
    def test_layout_styles_stay(self):
        html = '<td style="color: #333; background-color: #fff; font-weight: bold; padding: 8px">'

        assert shown(f"<table><tr>{html}x</td></tr></table>") == (
            '<table><tbody><tr><td style="color:#333;background-color:#fff;font-weight:bold;'
            'padding:8px">x</td></tr></tbody></table>'
        )

    def test_styles_that_fetch_images_or_cover_the_inbox_are_removed(self):
        html = (
            '<div style="color: red; background-image: url(https://tracker.example/p.gif); '
            "background: url(https://tracker.example/q.gif); list-style-image: url(x.gif); "
            'position: fixed; top: 0; z-index: 9999">Sign in again</div>'
        )

        assert shown(html) == '<div style="color:red">Sign in again</div>'


def test_remote_image_count_counts_only_images():
    html = (
        '<a href="https://shop.example/">shop</a>'
        '<img src="https://cdn.example/a.png"><img src="cid:logo@x"><img src="//cdn.example/b.png">'
        '<p style="background-color: red">x</p>'
    )

    assert remote_image_count(html) == 1
    assert remote_image_count("") == 0
