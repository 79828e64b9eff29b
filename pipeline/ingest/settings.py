"""The ``ingest:`` section of the config."""

from __future__ import annotations

from pydantic import Field

from pipeline.config import Settings
from pipeline.ingest.metadata import DEFAULT_AUTHOR_OUTLETS
from pipeline.ingest.segment import SegmentOptions


class IngestSettings(Settings):
    """Limits and knobs of the ingest stage; see configs/default.yaml for what each one does."""

    max_file_mb: float = Field(512, gt=0)
    max_line_chars: int = Field(1_000_000, gt=0)
    follow_symlinks: bool = True
    skip_hidden: bool = True
    extensions: list[str] = Field(
        default_factory=lambda: [".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson"]
    )
    extra_chrome: list[str] = Field(default_factory=list)
    wrapped: bool | None = None
    script_switch_words: int = Field(30, ge=1)
    forum_min_words: int = Field(40, ge=0)
    author_outlets: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_AUTHOR_OUTLETS))

    def segment_options(self) -> SegmentOptions:
        return SegmentOptions(
            script_switch_words=self.script_switch_words,
            forum_min_words=self.forum_min_words,
            author_outlets=tuple(self.author_outlets.items()),
            wrapped=self.wrapped,
        )
