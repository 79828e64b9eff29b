"""The ``ingest:`` section of the config."""

from __future__ import annotations

from pydantic import Field

from pipeline.config import Settings
from pipeline.ingest.gazetteer import Gazetteer, load_gazetteer
from pipeline.ingest.pieces import CutOptions


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
    gazetteer: str | None = None  # a YAML file extending the built-in rules (outlets, columnists, chrome...)
    wrapped: bool | None = None
    script_switch_words: int = Field(30, ge=1)
    forum_min_words: int = Field(40, ge=0)
    teaser_max_words: int = Field(60, ge=1)
    teaser_min_items: int = Field(3, ge=2)
    max_title_chars: int = Field(300, ge=20)

    def rules(self) -> Gazetteer:
        return load_gazetteer(self.gazetteer)

    def cut_options(self) -> CutOptions:
        return CutOptions(
            script_switch_words=self.script_switch_words,
            forum_min_words=self.forum_min_words,
            teaser_max_words=self.teaser_max_words,
            teaser_min_items=self.teaser_min_items,
            max_title_chars=self.max_title_chars,
            wrapped=self.wrapped,
            gazetteer=self.rules(),
        )
