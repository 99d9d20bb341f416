"""Guessing an editor's password in the admin is cut short by django-axes."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


def attempt(client: Client, password: str, **headers) -> int:
    response = client.post(
        LOGIN, {"username": "sue-super", "password": password, "next": "/admin/"}, **headers
    )
    return response.status_code


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, superuser):
    for _ in range(4):
        assert attempt(client, "wrong-guess") == 200  # the login form again, with an error
    assert attempt(client, "wrong-guess") == 429  # the fifth failure locks the pair out
    assert attempt(client, "pw-for-tests") == 429
    assert "_auth_user_id" not in client.session


def test_fewer_failures_do_not_lock_the_editor_out(client, superuser):
    for _ in range(4):
        assert attempt(client, "wrong-guess") == 200
    assert attempt(client, "pw-for-tests") == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)


def test_the_lockout_is_for_that_address_not_for_everyone(superuser):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        attempt(attacker, "wrong-guess")
    assert attempt(attacker, "pw-for-tests") == 429
    editor_elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    assert attempt(editor_elsewhere, "pw-for-tests") == 302


def test_rotating_x_forwarded_for_does_not_reset_the_count_without_trusted_proxies(superuser):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        attempt(attacker, "wrong-guess", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert attempt(attacker, "pw-for-tests", HTTP_X_FORWARDED_FOR="10.0.0.99") == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_proxy_the_forwarded_client_is_the_one_locked_out(superuser):
    proxy = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(5):
        # The client tries to spoof a first hop; the proxy appends the address it really saw.
        attempt(proxy, "wrong-guess", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert attempt(proxy, "pw-for-tests", HTTP_X_FORWARDED_FOR="5.6.7.8, 203.0.113.9") == 429
    assert attempt(proxy, "pw-for-tests", HTTP_X_FORWARDED_FOR="198.51.100.4") == 302


def test_the_test_client_login_still_works(client, superuser):
    assert client.login(username="sue-super", password="pw-for-tests")
