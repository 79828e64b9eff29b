"""The one shape every stage has: a name, a settings section, and ``run(store, settings, ctx) -> Report``.

A stage is a small object with one job (datatrove's ``PipelineStep``,
spaCy's components): it reads records from the store, computes, writes
records back, and returns a pydantic report of what it did. It does not
take locks, record runs, time itself or write summary.json: the run ledger
(:mod:`pipeline.ledger`) does that, once, for every stage and every verb.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from pipeline.config import Config, Settings
from pipeline.errors import EXIT_OK
from pipeline.executor import LOCAL, Executor
from pipeline.progress import QUIET, Reporter
from pipeline.store import Store


class Report(BaseModel):
    """What a stage did: goes into summary.json and the runs table."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    def exit_code(self) -> int:
        """The exit code this outcome asks for (0: nothing went wrong)."""
        return EXIT_OK

    def messages(self) -> list[str]:
        """One line per problem the user must see (an input that failed, a model that did not load)."""
        return []

    def output_paths(self) -> list[Path]:
        """Files this stage wrote into the output folder."""
        return []

    def summary_block(self) -> dict[str, Any] | None:
        """A block of summary.json of its own (export: the files written), instead of an entry under `stages`."""
        return None


@dataclass
class RunContext:
    """What a stage may need besides its settings: the whole config, progress, the run, inputs, outputs, the executor."""

    config: Config
    reporter: Reporter = QUIET
    run_id: int | None = None
    inputs: list[Path] = field(default_factory=list)
    out_dir: Path | None = None
    executor: Executor = LOCAL  # how the stage fans its work out (pipeline.executor)
    earlier: dict[str, Report] = field(default_factory=dict)  # the reports of the stages this run ran before this one


S = TypeVar("S", bound=BaseModel)
R_co = TypeVar("R_co", bound=Report, covariant=True)


class Stage(Protocol[R_co]):
    """A step of the pipeline over the store."""

    name: ClassVar[str]
    read_only: ClassVar[bool]  # only reads the store: a run of such stages takes no lock and records no run
    writes_outputs: ClassVar[bool]  # writes the output folder: the ledger adds summary.json beside it

    def settings(self, config: Config) -> Any: ...

    def run(self, store: Store, settings: Any, ctx: RunContext) -> R_co: ...


class SectionStage(Generic[S]):
    """A stage whose settings are one config section (most of them)."""

    name: ClassVar[str]
    section: ClassVar[str]
    settings_type: type[S]
    read_only: ClassVar[bool] = False
    writes_outputs: ClassVar[bool] = False

    def settings(self, config: Config) -> S:
        return config.section(self.section, self.settings_type)


__all__ = ["Report", "RunContext", "SectionStage", "Settings", "Stage"]
