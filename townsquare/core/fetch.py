"""Fetching other sites' pages, feeds and images without letting them reach inside ours.

A source URL is typed by an editor and redirects are chosen by strangers, so every hop is
checked the same way: http or https only, no credentials in the URL, and the host name is
resolved here and refused when any of its addresses is private, loopback, link-local or
otherwise not public (unless NEWS_FETCH_ALLOW_PRIVATE is set). A host written as a number is
read the way a C resolver reads it (`2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` are all
127.0.0.1), and an IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo, mapped,
compatible, translated) is judged by the IPv4 address it carries. The connection then goes to
the address that was checked — the name is not looked up a second time, so a DNS answer that
changes between check and connect cannot redirect the request. Bodies are read in chunks up
to a size cap (after decompression: a small gzip bomb stops at the cap too), within a time
budget, and redirects are followed a few times at most.

urllib3 (already required by trafilatura) does the HTTP; this module only decides where it
may go. Every refusal is a FetchError whose message is written for the source's health page.
"""

import ipaddress
import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

USER_AGENT = "Townsquare news desk (+{site})"
REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """Why a fetch failed, in words for an editor."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 for a conditional request that found nothing new
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def fetch(url: str, *, headers: dict[str, str] | None = None, max_bytes: int | None = None,
          timeout: float | None = None, accept: str = "*/*") -> Fetched:
    """GET `url` safely (see the module's note); 304 is returned, other 4xx/5xx refused."""
    max_bytes = max_bytes or settings.NEWS_FETCH_MAX_BYTES
    timeout = timeout or settings.NEWS_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout * 3
    request_headers = {"User-Agent": USER_AGENT.format(site=settings.SITE_URL),
                       "Accept": accept, "Accept-Encoding": "gzip, deflate"}
    request_headers.update(headers or {})
    for _ in range(settings.NEWS_FETCH_MAX_REDIRECTS + 1):
        response = _get_once(url, request_headers, timeout)
        try:
            if response.status in REDIRECTS and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status == 304:
                return Fetched(url, 304, _lower(response.headers))
            if response.status >= 400:
                raise FetchError(f"The server answered {response.status} "
                                 f"{response.reason or ''}".rstrip() + f" for {url}.")
            return Fetched(url, response.status, _lower(response.headers),
                           _read(response, max_bytes, deadline, timeout))
        finally:
            response.release_conn()
    raise FetchError(f"Too many redirects (more than {settings.NEWS_FETCH_MAX_REDIRECTS}).")


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL this site may fetch, or a FetchError saying why not."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchError("That is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError("Only http:// and https:// addresses can be fetched.")
    if not parts.hostname:
        raise FetchError("The address has no host name.")
    if parts.username or parts.password:
        raise FetchError("Addresses with a user name or password in them are not fetched.")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def public_address(host: str, port: int) -> str:
    """The address to connect to for `host`, checked: all its addresses must be public."""
    addresses = _addresses(host, port)
    if not settings.NEWS_FETCH_ALLOW_PRIVATE:
        for address in addresses:
            if not is_public(address):
                raise FetchError(f"{host} points at a private or local address ({address}); "
                                 "the site does not fetch from its own network.")
    return addresses[0]


def _addresses(host: str, port: int) -> list[str]:
    if (literal := ip_literal(host)) is not None:
        return [str(literal)]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"The host name {host} could not be found.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"The host name {host} could not be found.")
    return addresses


_NUMBER_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `host` stands for when it is written as one, else None (a name).

    IPv4 is read as inet_aton reads it: one to four dot-separated parts, each decimal, octal
    (leading 0) or hex (0x), the last filling the remaining bytes; a trailing dot is allowed.
    IPv6 may come in brackets and with a zone (`%eth0`, or `%25eth0` as URLs write it)."""
    host = host.removeprefix("[").removesuffix("]")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.replace("%25", "%", 1))
        except ValueError:
            return None
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER_PART.fullmatch(part) for part in parts):
        return None
    *leading, last = [int(part, 16 if part[:2].lower() == "0x" else 8 if part[0] == "0" else 10)
                      for part in parts]
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (24 - 8 * index)
    return ipaddress.IPv4Address(value)


# IPv6 ranges whose last 32 bits are an IPv4 address the packet ends up at.
_CARRY_IPV4 = [ipaddress.IPv6Network(net) for net in (
    "64:ff9b::/96",  # NAT64, the well-known prefix
    "::ffff:0:0/96",  # IPv4-mapped
    "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
    "::/96",  # IPv4-compatible (deprecated; also holds :: and ::1)
)]
# The rest of the translation prefix (the local-use 64:ff9b:1::/48 among it): where the IPv4
# address sits depends on a prefix length chosen by the local network, so it cannot be read.
_UNREADABLE = ipaddress.IPv6Network("64:ff9b::/32")


def is_public(address: str) -> bool:
    """Whether the site may connect to `address`: global, and so is any IPv4 address it carries
    (for Teredo, both the server's and the client's)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6:
        if carried := _carried_ipv4(ip):
            return all(_is_global(v4) for v4 in carried)
        if ip in _UNREADABLE:
            return False
    return _is_global(ip)


def _carried_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    if any(ip in network for network in _CARRY_IPV4):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:  # the client's address is stored inverted; .teredo undoes it
        return list(ip.teredo)
    return []


def _is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Python's is_global misses a few ranges in some versions (IPv6 site-local, reserved).
    return ip.is_global and not (ip.is_multicast or ip.is_reserved
                                 or (ip.version == 6 and ip.is_site_local))


def _get_once(url: str, headers: dict[str, str], timeout: float):
    scheme, host, port = check_url(url)
    address = public_address(host, port)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if scheme == "https" else 80
    host_header = host if port == default_port else f"{host}:{port}"
    if ":" in host and not host.startswith("["):  # an IPv6 literal
        host_header = f"[{host}]" if port == default_port else f"[{host}]:{port}"
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False,
               "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, server_hostname=host,
                                           assert_hostname=host, cert_reqs="CERT_REQUIRED",
                                           ca_certs=certifi.where(), **options)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    try:
        return pool.urlopen("GET", target, headers={**headers, "Host": host_header},
                            redirect=False, preload_content=False, decode_content=True)
    except (ConnectTimeoutError, ReadTimeoutError):
        raise FetchError(f"{host} did not answer within {timeout:g} seconds.") from None
    except SSLError:
        raise FetchError(f"{host}'s HTTPS certificate could not be verified.") from None
    except NewConnectionError:
        raise FetchError(f"Could not connect to {host}.") from None
    except HTTPError as error:
        raise FetchError(f"Fetching from {host} failed: {type(error).__name__}.") from None


def _read(response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"The response is too large ({_mb(int(length))}; the limit is "
                         f"{_mb(max_bytes)}).")
    chunks, total = [], 0
    try:
        for chunk in response.stream(64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                raise FetchError(f"The response is too large (over {_mb(max_bytes)}).")
            if time.monotonic() > deadline:
                raise FetchError(f"The response took longer than {timeout * 3:g} seconds.")
            chunks.append(chunk)
    except ReadTimeoutError:
        raise FetchError(f"The server stopped sending for {timeout:g} seconds.") from None
    except HTTPError as error:
        raise FetchError(f"Reading the response failed: {type(error).__name__}.") from None
    return b"".join(chunks)


def _lower(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _mb(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"
