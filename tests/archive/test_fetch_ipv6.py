"""IPv6 addresses that carry an internal IPv4 address, or sit in a deprecated internal range, are refused."""

import pytest
from django.test import override_settings

from archive.fetch import address_refusal, fetch_url

# What is refused must not depend on the environment the tests run in.
pytestmark = pytest.mark.usefixtures("no_private_addresses")


@pytest.fixture
def no_private_addresses():
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=False):
        yield


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("2002:7f00:1::", "a 6to4 address wrapping a loopback address"),  # 127.0.0.1
        ("2002:a9fe:a9fe::", "a 6to4 address wrapping a link-local or cloud metadata address"),
        ("2002:c0a8:101::", "a 6to4 address wrapping a private network address"),  # 192.168.1.1
        ("2002:a00:1::1", "a 6to4 address wrapping a private network address"),  # 10.0.0.1
        ("2002::", "a 6to4 address wrapping an unspecified address"),  # 0.0.0.0
        # Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted: 0x80fffffe)
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a Teredo address wrapping a loopback address"),
        # Teredo: server 10.0.0.1, client 8.8.8.8
        ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "a Teredo address wrapping a private network address"),
        ("fec0::1", "a site-local address"),
        ("fefe:1:2::3", "a site-local address"),
    ],
)
def test_internal_addresses_inside_ipv6_are_refused(address, label):
    assert address_refusal(address) == label


# 6to4 around a public IPv4 (2002:808:808::1) passes on this Python, but is left out on purpose:
# CPython 3.12.4+ counts all of 2002::/16 as private, so such a case would test the interpreter.
@pytest.mark.parametrize(
    "address",
    ["2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2620:fe::fe"],
)
def test_public_ipv6_addresses_still_pass(address):
    assert address_refusal(address) == ""


def test_a_teredo_address_is_refused_even_when_what_it_wraps_is_public():
    # Server 65.54.227.120, client 8.8.8.8: the whole Teredo prefix 2001::/32 is outside the
    # global address space in its own right.
    assert address_refusal("2001:0:4136:e378:8000:63bf:f7f7:f7f7") == "a private network address"


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://[2002:7f00:1::]:9/", "6to4 address wrapping a loopback address"),
        ("http://[2002:a9fe:a9fe::]/latest/meta-data/", "cloud metadata"),
        ("http://[fec0::1]/", "site-local"),
    ],
)
def test_a_fetch_of_a_wrapped_internal_address_is_refused(url, label):
    result = fetch_url(url)
    assert not result.ok
    assert result.failure_reason.startswith("refused:")
    assert label in result.failure_reason
