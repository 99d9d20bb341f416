"""The Content-Security-Policy header: built once per policy (config/csp.py), never stale."""

import pytest

from tests.factories import make_quote


@pytest.mark.django_db
def test_each_page_keeps_its_own_policy_and_a_settings_change_is_followed(client, settings):
    quote = make_quote("Policy words.")
    page = client.get(f"/q/{quote.pk}/")["Content-Security-Policy"]
    card = client.get(f"/embed/q/{quote.pk}/")["Content-Security-Policy"]
    assert "frame-ancestors *" in card and "frame-ancestors *" not in page
    # Asked again: the same texts (now from memory).
    assert client.get(f"/q/{quote.pk}/")["Content-Security-Policy"] == page
    assert client.get(f"/embed/q/{quote.pk}/")["Content-Security-Policy"] == card

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(f"/q/{quote.pk}/")["Content-Security-Policy"] == "default-src 'none'"
