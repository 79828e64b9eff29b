"""The ``ingest:`` section of the config."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field, field_validator

from pipeline.config import Settings
from pipeline.ingest.gazetteer import Gazetteer, load_gazetteer
from pipeline.ingest.pieces import CutOptions


class IngestSettings(Settings):
    """Reading dumps (txt, html, jsonl, .gz) and cutting them into pieces."""

    retired: ClassVar[Mapping[str, str]] = {
        "script_switch_words": "a change of script is a feature of the learned segmenter, not a rule",
        "forum_min_words": "the learned segmenter tells forum replies from articles",
        "teaser_min_items": "the learned segmenter tells a list of teasers from articles",
    }

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
    teaser_max_words: int = Field(60, ge=1)
    """On an HTML page of several article containers, one holding a single paragraph this short is a listing card (kind 'teaser')."""
    model: str | None = None
    """A segmenter model file (scripts/train-segmenter writes one) to use instead of the shipped one."""
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
            teaser_max_words=self.teaser_max_words,
            max_title_chars=self.max_title_chars,
            max_piece_chars=self.max_piece_chars,
            wrapped=self.wrapped,
            gazetteer=self.rules(),
            model=self.model,
        )
