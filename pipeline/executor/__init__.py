"""Executors: how a stage fans its work out — in this process, or over a Ray cluster.

A stage that has much independent work (a file to read, a batch of pieces to
detect, a batch of sentences to translate) hands it to the executor in its
:class:`~pipeline.stage.RunContext` and reads the results back; what it
stores, and when, stays the stage's business and the ledger's books stay
the ledger's. Two executors:

* :class:`LocalExecutor` (``executor.kind: local``, the default) runs each
  item in this process, one after the other, lazily: the stages behave
  exactly as they did before executors existed;
* :class:`~pipeline.executor.ray_executor.RayExecutor`
  (``executor.kind: ray``, ``--executor ray``) runs each item as a Ray task,
  and translation in a pool of Ray actors that load the model once. It
  joins the cluster named by ``executor.address`` or ``$RAY_ADDRESS``, or
  starts a Ray on this machine for the run. Ray is imported only then (the
  optional ``cluster`` extra).

Ray runs work *at least once* (a task is retried, an actor restarts, an
actor may finish a batch after its driver died), so nothing here may count
on an item running once: the store is the checkpoint (see
docs/cluster.md and :meth:`pipeline.store.sql.SQLStore.save_translations`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from pipeline.executor.settings import ExecutorSettings

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs a stage's independent items; results come back in the order of the items."""

    @property
    def kind(self) -> str: ...

    @property
    def fans_out(self) -> bool:
        """True when items run elsewhere (other processes or machines): stages then send work, not open handles."""
        ...

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`fn(item)` for every item, as a task each; results in the order of `items`, read as they come."""
        ...

    def map_pool(self, actor: Callable[[], Callable[[T], R]], items: Iterable[T], *, name: str) -> Iterator[R]:
        """Items through a pool of actors made by `actor()` (one per worker, e.g. a loaded model); any order."""
        ...

    def nodes(self) -> int:
        """Machines the work may run on."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """Every item in this process, in order, computed only when its result is read."""

    kind = "local"
    fans_out = False

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return map(fn, items)

    def map_pool(self, actor: Callable[[], Callable[[T], R]], items: Iterable[T], *, name: str) -> Iterator[R]:
        return map(actor(), items)

    def nodes(self) -> int:
        return 1

    def close(self) -> None:
        return None


LOCAL = LocalExecutor()


def open_executor(settings: ExecutorSettings) -> Executor:
    """The executor `settings` ask for (Ray connects on first use, not here)."""
    if settings.kind == "ray":
        from pipeline.executor.ray_executor import RayExecutor

        return RayExecutor(settings)
    return LOCAL


__all__ = ["LOCAL", "Executor", "ExecutorSettings", "LocalExecutor", "open_executor"]
