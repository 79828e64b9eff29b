"""The ``ingest:`` section of the config."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from pipeline.config import Settings
from pipeline.ingest.gazetteer import Gazetteer, load_gazetteer
from pipeline.ingest.pieces import CutOptions


class IngestSettings(Settings):
    """Reading dumps (txt, html, jsonl, .gz) and cutting them into pieces."""

    max_file_mb: float = Field(512, gt=0, le=1_048_576)
    """Larger files (after decompression) are refused with a clear error."""
    max_line_chars: int = Field(1_000_000, gt=0)
    """A longer line fails its file (a 50 MB one-line file is not a news dump)."""
    max_piece_chars: int = Field(1_000_000, ge=1000)
    """A piece is closed once its text reaches this many characters and the text goes on in a new piece (both say so in
    their notes): ingest holds one piece at a time, so this, not the size of the dump, bounds its memory."""
    max_html_mb: float = Field(8, gt=0, le=4096)
    """Larger HTML pages (after decompression) are refused: a page is parsed whole, at about 30 times its size in memory."""
    follow_symlinks: bool = True
    """Follow links inside folders (loops are detected and reported)."""
    skip_hidden: bool = True
    """Skip .dotfiles and .folders when walking a folder."""
    extensions: list[str] = Field(
        default_factory=lambda: [".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson"]
    )
    """File endings taken from folders (each also with .gz); files named on the command line are always read."""
    extra_chrome: list[str] = Field(default_factory=list)
    """More full-line regular expressions (case-insensitive) to drop as page chrome."""
    gazetteer: str | None = None
    """A YAML file extending the built-in rules (outlets, columnists, datelines, chrome; see pipeline/ingest/data/)."""
    wrapped: bool | None = None
    """Paragraphs wrapped over several lines? null: decided per file; true/false to force."""
    script_switch_words: int = Field(30, ge=1)
    """An Arabic↔Latin run this long starts a new piece."""
    forum_min_words: int = Field(40, ge=0)
    """Forum posts shorter than this are comments, not articles."""
    teaser_max_words: int = Field(60, ge=1)
    """A headline with one blurb this short, in a run of them, is a teaser (kind 'teaser')."""
    teaser_min_items: int = Field(3, ge=2)
    """Teasers in a row that make a headline list (2 right after "Related"/"Latest News")."""
    max_title_chars: int = Field(300, ge=20)
    """A longer heading is not a title: it is kept as text and the piece's notes say why."""

    @field_validator("extra_chrome")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        """Each pattern is a valid regular expression, or the config is refused naming it."""
        for pattern in patterns:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return patterns

    def rules(self) -> Gazetteer:
        return load_gazetteer(self.gazetteer)

    def cut_options(self) -> CutOptions:
        return CutOptions(
            script_switch_words=self.script_switch_words,
            forum_min_words=self.forum_min_words,
            teaser_max_words=self.teaser_max_words,
            teaser_min_items=self.teaser_min_items,
            max_title_chars=self.max_title_chars,
            max_piece_chars=self.max_piece_chars,
            wrapped=self.wrapped,
            gazetteer=self.rules(),
        )
