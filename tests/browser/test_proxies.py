"""Proxy URLs from the configuration and the choice of a proxy per session (pure logic)."""

from __future__ import annotations

import pydantic
import pytest

from inndx_cdp.browser.proxies import Proxy, ProxyRegistry, parse_proxy
from inndx_cdp.errors import BadFrame
from inndx_cdp.settings import Settings

SECRET = "pa:ss@w/rd"


@pytest.mark.parametrize(
    ("url", "server", "credentials"),
    [
        ("http://127.0.0.1:3128", "http://127.0.0.1:3128", None),
        ("http://proxy.example", "http://proxy.example:80", None),
        ("HTTPS://Proxy.Example:8443/", "https://proxy.example:8443", None),
        ("socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080", None),
        ("socks5://[::1]", "socks5://[::1]:1080", None),
        ("http://user:pass@127.0.0.1:8080", "http://127.0.0.1:8080", ("user", "pass")),
        ("http://user@127.0.0.1:8080", "http://127.0.0.1:8080", ("user", "")),
        # Percent-encoded reserved characters in the password.
        ("http://u%40x:pa%3Ass%40w%2Frd@h:1", "http://h:1", ("u@x", SECRET)),
    ],
)
def test_parse_proxy(url: str, server: str, credentials: tuple[str, str] | None) -> None:
    proxy = parse_proxy("p", url)
    assert proxy.server == server
    assert proxy.credentials == credentials


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ftp://u:pa%3Ass%40w%2Frd@h:21", "scheme must be one of http://, https://, socks5://"),
        ("socks4://h:1080", "scheme"),
        ("http://u:pa%3Ass%40w%2Frd@:8080", "no host"),
        ("http://u:pa%3Ass%40w%2Frd@h:8080/path", "no path"),
        ("http://u:pa%3Ass%40w%2Frd@h:99999", "not a valid URL"),
        ("socks5://u:pa%3Ass%40w%2Frd@h:1080", "socks5 proxies cannot take"),
        ("127.0.0.1:8080", "scheme"),
    ],
)
def test_bad_proxy_urls_never_repeat_the_url(url: str, needle: str) -> None:
    with pytest.raises(ValueError, match="proxy 'p'") as failed:
        parse_proxy("p", url)
    message = str(failed.value)
    assert needle in message
    assert "pa%3A" not in message
    assert "pa:ss" not in message


def test_repr_hides_credentials() -> None:
    proxy = parse_proxy("p", "http://user:topsecret@h:1")
    assert "topsecret" not in repr(proxy)
    assert "user" not in repr(proxy)


def test_settings_check_proxy_urls_without_echoing_them() -> None:
    settings = Settings(proxies={"ok": "http://user:topsecret@127.0.0.1:3128"})
    assert "topsecret" not in repr(settings)
    with pytest.raises(pydantic.ValidationError) as failed:
        Settings(proxies={"bad": "gopher://user:topsecret@127.0.0.1:3128"})
    assert "proxy 'bad'" in str(failed.value)
    assert "topsecret" not in str(failed.value)


def registry(*ids: str) -> ProxyRegistry:
    return ProxyRegistry(Proxy(proxy_id, f"http://{proxy_id}:1") for proxy_id in ids)


def test_least_used_first_then_fewest_served_then_order() -> None:
    proxies = registry("a", "b", "c")
    first = proxies.acquire(["a", "b"])
    second = proxies.acquire(["a", "b"])
    assert (first.id, second.id) == ("a", "b")
    third = proxies.acquire(["b", "a"])
    assert third.id == "b"  # a tie on both counts: the first named
    proxies.release("a")
    assert proxies.acquire(["a", "b"]).id == "a"  # a has no session open now
    assert proxies.acquire(["c"]).id == "c"


def test_one_after_another_alternates() -> None:
    proxies = registry("a", "b")
    chosen = []
    for _ in range(4):
        proxy = proxies.acquire(["a", "b"])
        chosen.append(proxy.id)
        proxies.release(proxy.id)
    assert chosen == ["a", "b", "a", "b"]


def test_release_never_goes_below_zero() -> None:
    proxies = registry("a")
    proxies.release("a")
    proxies.release("missing")
    assert proxies.active("a") == 0


def test_unknown_id_is_a_400_listing_the_known_ones() -> None:
    with pytest.raises(BadFrame, match=r"unknown proxy id 'zz' \(known: a, b\)"):
        registry("b", "a").acquire(["a", "zz"])
    with pytest.raises(BadFrame, match="none configured"):
        registry().acquire(["a"])
