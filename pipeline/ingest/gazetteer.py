"""The rules of ingest as data: outlets, columnists, datelines, chrome and line vocabulary.

Ingest's code holds mechanisms (how a byline is recognised, where a piece
starts); *what* names an outlet, which line is chrome, which words open a
byline or a photo credit are data, in the YAML files of
``pipeline/ingest/data/`` (package data, so ``pip install`` keeps them):

``outlets.yaml``      canonical outlet names, their aliases, web domains, Arabic self-names
``columnists.yaml``   columnists whose paper is known when the page does not name it
``datelines.yaml``    agency openers and source lines that name an outlet
``chrome.yaml``       full-line patterns of page chrome, with what each kind does
``lines.yaml``        words of bylines, credits, captions, date labels, series markers

A user extends them without touching the package: ``ingest.gazetteer:
my-outlets.yaml`` names one more file with any of the same top-level keys;
mappings are merged (an outlet's lists are extended), lists are appended.
Nothing here is fitted to one dump: an entry belongs in these files when it
is true of the outlet or the language, not of a sample.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.config import read_config_file, read_yaml
from pipeline.errors import ConfigError

DATA_FILES = ("outlets.yaml", "columnists.yaml", "datelines.yaml", "chrome.yaml", "lines.yaml")
_QUOTES = " .,:;«»\"'{}()[]“”‘’"


def outlet_key(text: str) -> str:
    """How an outlet name is compared: no quotes or trailing "(YouTube)", one space, case-folded."""
    text = re.sub(r"\s*\((?:youtube|video|tv)\)\s*$", "", text.strip(), flags=re.IGNORECASE)
    return " ".join(text.replace("’", "'").strip(_QUOTES).split()).casefold()


def _name_key(name: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", name.replace("\u0640", "")).split()).casefold()


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = old + [v for v in value if v not in old]
        else:
            merged[key] = value
    return merged


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    data = read_yaml(text, where) or {}  # aliases refused: a user's file must not expand without limit
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of sections (outlets:, chrome:, ...)")
    return data


@lru_cache(maxsize=1)
def builtin_data() -> dict[str, Any]:
    data: dict[str, Any] = {}
    folder = resources.files("pipeline.ingest") / "data"
    for name in DATA_FILES:
        data = _merge(data, _read_yaml((folder / name).read_text(encoding="utf-8"), f"pipeline/ingest/data/{name}"))
    return data


@dataclass(frozen=True)
class Outlet:
    name: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...]
    self_names: tuple[str, ...]


class Gazetteer:
    """The rules data, compiled once; :func:`load_gazetteer` builds it (cached per user file)."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.outlets = tuple(
            Outlet(name, *(tuple(str(v) for v in (spec or {}).get(k, []) or []) for k in ("aliases", "domains", "self_names")))
            for name, spec in (data.get("outlets") or {}).items()
        )
        self.aliases: dict[str, str] = {}
        for outlet in self.outlets:
            self.aliases.setdefault(outlet_key(outlet.name), outlet.name)
            for alias in outlet.aliases:
                self.aliases.setdefault(outlet_key(alias), outlet.name)
        self.domains = {d.lower().removeprefix("www."): o.name for o in self.outlets for d in o.domains}
        self.columnists = {_name_key(str(k)): str(v) for k, v in (data.get("columnists") or {}).items()}
        self.chrome_rules: list[dict[str, Any]] = list(data.get("chrome") or [])

    def words(self, key: str) -> tuple[str, ...]:
        """A word list of lines.yaml (byline_openers, photo_credits, ...)."""
        return tuple(str(w) for w in self.data.get(key) or [])

    def patterns(self, key: str) -> tuple[re.Pattern[str], ...]:
        """Compiled regular expressions of datelines.yaml (case-sensitive unless they start with ``(?i)``); made once per key."""
        cache: dict[str, tuple[re.Pattern[str], ...]] = self.__dict__.setdefault("_patterns", {})
        found = cache.get(key)
        if found is None:
            found = cache[key] = tuple(re.compile(p) for p in (self.data.get(key) or []))
        return found

    def alternation(self, key: str) -> str:
        """A regex alternation of a word list, longest first, spaces matching any whitespace; made once per key."""
        cache: dict[str, str] = self.__dict__.setdefault("_alternations", {})
        found = cache.get(key)
        if found is None:
            words = sorted(set(self.words(key)), key=len, reverse=True)
            found = cache[key] = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in words)
        return found

    # -- outlets ------------------------------------------------------------------------------
    def canonical(self, text: str | None) -> str | None:
        """The canonical name of a known outlet (an alias, any case → the name in outlets.yaml), else None."""
        if not text:
            return None
        key = outlet_key(text)
        return self.aliases.get(key) or self.aliases.get(key.removesuffix(" english"))

    def outlet_of_url(self, url: str | None) -> str | None:
        """The outlet whose domain (or a parent domain of it) serves `url`."""
        if not url:
            return None
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower()).split("/", 1)[0].split(":", 1)[0]
        host = host.removeprefix("www.")
        parts = host.split(".")
        for start in range(len(parts) - 1):
            found = self.domains.get(".".join(parts[start:]))
            if found:
                return found
        return None

    @cached_property
    def leading_outlet(self) -> re.Pattern[str]:
        """A known outlet name at the very start, then a separator: "Outlet/ ...", "Outlet – City"."""
        names = sorted({a for o in self.outlets for a in (o.name, *o.aliases) if len(outlet_key(a)) >= 4}, key=len, reverse=True)
        alternation = "|".join(r"\s+".join(re.escape(part) for part in n.split()) for n in names)
        return re.compile(rf"^[«\"]?(?P<outlet>{alternation})[»\"]?(?:\s+agency)?\s*(?:/|[–—-]\s|:|\|)", re.IGNORECASE)

    @cached_property
    def self_reference(self) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
        """(strong, weak) patterns of an Arabic paper quoting a source to itself: «لـ«X»» first, a bare «X» last."""
        names = sorted({n for o in self.outlets for n in o.self_names}, key=len, reverse=True)
        if not names:
            return None
        alternation = "|".join(re.escape(n) for n in names)
        strong = re.compile(rf"(?:لـ\s*|(?:إلى|الى|مع|مقالة|لصحيفة|صحيفة|جريدة|لجريدة)\s*)«(?P<q>{alternation})»")
        weak = re.compile(rf"«(?P<q>{alternation})»")
        return strong, weak

    def outlet_of_author(self, author: str | None) -> str | None:
        """The paper of a known columnist (``columnists.yaml``), else None."""
        return self.columnists.get(_name_key(author)) if author else None

    def self_outlet(self, name: str) -> str | None:
        for outlet in self.outlets:
            if name in outlet.self_names:
                return outlet.name
        return None


@lru_cache(maxsize=8)
def load_gazetteer(user_file: str | None = None) -> Gazetteer:
    """The built-in rules, extended with `user_file` (the ``ingest.gazetteer`` setting) when given."""
    data = builtin_data()
    if user_file:
        path = Path(user_file).expanduser()
        text = read_config_file(path, "ingest.gazetteer file")
        data = _merge(data, _read_yaml(text, str(path)))
    return Gazetteer(data)


DEFAULT = load_gazetteer()
