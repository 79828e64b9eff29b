"""Where a store is, told apart in one place, and written down without its password.

A store location is one of:

* a PostgreSQL database, named the ways libpq names one: a URL whose scheme
  is ``postgresql://`` or ``postgres://`` in any case (libpq itself only
  takes lower case, so :func:`connection_string` lowers the scheme before
  the driver sees it), or a libpq key/value string
  (``host=db.internal dbname=pipeline user=pipeline``, every key one libpq
  knows);
* an SQLite file path: anything else, except
* a URL of another scheme (``mysql://``, ``sqlite://``, ``http://``), which
  is refused: taken as a path it would silently become an SQLite file in
  folders named after the URL.

Passwords: the docs say to keep them in ``~/.pgpass`` or ``$PGPASSWORD``,
but one typed into a location must still never be printed. :func:`redact`
hides it however it was written — percent-encoded or not, holding ``/ ? #
@``, as a URL's ``password=`` parameter or as libpq's ``password=`` key —
erring on the side of hiding more. A driver's message may quote part of the
location back (``invalid percent-encoded token: "p%zz"``): :func:`scrub`
takes every form of the password out of such text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from pipeline.errors import ConfigError

Kind = Literal["sqlite", "postgresql"]
POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})
HIDDEN = "***"
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")
# The connection keywords libpq 16 knows (PQconndefaults); a key/value string names only these.
_LIBPQ_KEYWORDS = frozenset(
    [
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "require_auth",
        "channel_binding",
        "connect_timeout",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "replication",
        "gssencmode",
        "sslmode",
        "requiressl",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
    ]
)
# key = value, the value single-quoted (\' and \\ escaped) or a run without spaces (libpq's grammar)
_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)+)\s*")
_QUERY_PASSWORD = re.compile(r"([?&](?:password|sslpassword)=)([^&]*)", re.IGNORECASE)
_SHORTEST_SECRET = 3  # a shorter "password" would take letters out of every message and hides nothing


def kind(location: str | Path) -> Kind:
    """'postgresql' or 'sqlite' for `location`; ConfigError for a URL of another scheme."""
    text = str(location)
    scheme = _SCHEME.match(text)
    if scheme is not None:
        if scheme.group(1).lower() in POSTGRES_SCHEMES:
            return "postgresql"
        raise ConfigError(
            f"{redact(text)}: a {scheme.group(1)}:// URL is not a store: give an SQLite file path or a postgresql:// URL"
        )
    return "postgresql" if _libpq_pairs(text) else "sqlite"


def is_postgres(location: str | Path) -> bool:
    """True for a PostgreSQL location (a URL in any case, or a libpq key/value string); never raises."""
    try:
        return kind(location) == "postgresql"
    except ConfigError:
        return False


def connection_string(location: str) -> str:
    """A PostgreSQL location as libpq takes it: a URL's scheme in lower case, anything else as given."""
    scheme = _SCHEME.match(location)
    if scheme is None:
        return location.strip()
    return scheme.group(1).lower() + "://" + location[scheme.end() :]


def redact(location: str | Path) -> str:
    """`location` as messages and printed configurations show it: any password in it replaced by ***."""
    text = str(location)
    scheme = _SCHEME.match(text)
    if scheme is not None:
        head, rest = text[: scheme.end()], text[scheme.end() :]
        # The credentials end at the last '@': a password may hold an unencoded '/', '?', '#' or '@'.
        at = rest.rfind("@")
        colon = rest.find(":", 0, at) if at >= 0 else -1
        if colon >= 0:
            rest = rest[:colon] + ":" + HIDDEN + rest[at:]
        return head + _QUERY_PASSWORD.sub(lambda m: m.group(1) + HIDDEN, rest)
    pairs = _libpq_pairs(text)
    if not pairs:
        return text
    return " ".join(f"{key}={HIDDEN if _is_password_key(key) else raw}" for key, raw, _ in pairs)


def secrets(location: str | Path) -> set[str]:
    """Every form the password takes in `location` (as typed, percent-decoded, unquoted), for :func:`scrub`."""
    text = str(location)
    found: set[str] = set()
    scheme = _SCHEME.match(text)
    if scheme is not None:
        rest = text[scheme.end() :]
        at = rest.rfind("@")
        colon = rest.find(":", 0, at) if at >= 0 else -1
        if colon >= 0:
            found.add(rest[colon + 1 : at])
        found.update(m.group(2) for m in _QUERY_PASSWORD.finditer(rest))
    else:
        found.update(value for key, _, value in _libpq_pairs(text) if _is_password_key(key))
    found |= {unquote(secret) for secret in found}
    return {secret for secret in found if len(secret) >= _SHORTEST_SECRET}


def scrub(text: str, location: str | Path) -> str:
    """`text` (a driver's message, say) with `location` shown redacted and every form of its password hidden."""
    text = text.replace(str(location), redact(location))
    for secret in sorted(secrets(location), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def _is_password_key(key: str) -> bool:
    return key.lower() in ("password", "sslpassword")


def _libpq_pairs(text: str) -> list[tuple[str, str, str]]:
    """(key, value as written, value) of a libpq key/value string; [] when `text` is not one."""
    pairs: list[tuple[str, str, str]] = []
    position = 0
    while position < len(text):
        match = _PAIR.match(text, position)
        if match is None or match.group(1) not in _LIBPQ_KEYWORDS:
            return []
        raw = match.group(2)
        value = re.sub(r"\\(.)", r"\1", raw[1:-1] if raw.startswith("'") else raw)
        pairs.append((match.group(1), raw, value))
        position = match.end()
    return pairs
