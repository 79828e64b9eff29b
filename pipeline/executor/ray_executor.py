"""The Ray executor: tasks for independent items, a Ray Data actor pool for translation.

Why Ray Data (docs/cluster.md and ../shared/docs/SCALE.md weigh Spark,
Dask and Daft): its ``map_batches`` over a pool of actors is exactly "load
the model once per worker, stream batches through it", with actor restarts
and task retries built in; plain Ray tasks cover the rest.

How it is used, and the pitfalls met on the way:

* **Connecting.** ``executor.address`` or ``$RAY_ADDRESS`` names a cluster
  to join; without one, a Ray is started on this machine for the run and
  stopped at its end. Token authentication is Ray's default: a driver needs
  ``RAY_AUTH_MODE=token`` and the cluster's ``RAY_AUTH_TOKEN`` (without
  them Ray retries for ever), see docs/cluster.md.
* **Tasks** (:meth:`RayExecutor.map`): the driver submits one task per item,
  at most ``executor.tasks_in_flight`` at a time (so a million files do not
  become a million pending results in the driver's memory), and reads the
  results back in the order of the items, so the stage stores them in the
  order a local run would.
* **The actor pool** (:meth:`RayExecutor.map_pool`): the items are fed from
  the driver (``from_items``: no read tasks, which hang when actors hold
  every CPU, ray-project/ray#44687), one item per call, to a fixed pool of
  ``executor.translate_actors`` actors, each reserving ``actor_cpus``
  CPUs, ``actor_gpus`` GPUs and ``actor_memory_mb`` of memory (memory Ray
  does not see, a model's, is otherwise never counted). The pool is checked
  against the cluster's resources first, because a pool that cannot be
  placed waits for ever. Items and results cross as pickles.
* **Errors** raised by the pipeline inside a task or actor (a model that
  does not load, a store that cannot be written) come back as that error,
  with its message and exit code, not as a Ray traceback.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import re
import socket
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pipeline.errors import ConfigError, PipelineError
from pipeline.executor.settings import ExecutorSettings

T = TypeVar("T")
R = TypeVar("R")
MB = 1024 * 1024
_NOTHING: Any = object()


class RayExecutor:
    """Stages' items as Ray tasks, translation batches through a Ray Data actor pool."""

    kind = "ray"
    fans_out = True

    def __init__(self, settings: ExecutorSettings):
        self.settings = settings
        self._connected = False
        self._initialised_here = False

    # -- connecting ------------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError(
                "executor.kind is 'ray' but Ray is not installed: pip install 'arabic-press-pipeline[cluster]'"
            ) from exc
        if self._connected:
            return ray
        if not ray.is_initialized():
            address = self.settings.address or os.environ.get("RAY_ADDRESS") or None
            options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
            if address is None:
                options.update(num_cpus=self.settings.local_cpus, include_dashboard=False)
                if self.settings.local_object_store_mb:
                    options["object_store_memory"] = self.settings.local_object_store_mb * MB
            else:
                check_address(address, self.settings.connect_timeout_s)
            try:
                ray.init(address=address, **options)
            except ConnectionError as exc:
                raise ConfigError(f"cannot join the Ray cluster at {address}: {exc}{_connect_hint(exc)}") from exc
            except (ValueError, RuntimeError, TimeoutError) as exc:  # Ray's own refusals of an address or a setting
                where = f"join the Ray cluster at {address}" if address else "start Ray on this machine"
                raise ConfigError(f"cannot {where}: {_first_line(exc)}") from exc
            self._initialised_here = True
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the pipeline draws its own, from the results
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # its warnings are about its own bars and logs
        self._connected = True
        return ray

    def nodes(self) -> int:
        ray = self._connect()
        return sum(1 for node in ray.nodes() if node.get("Alive"))

    def close(self) -> None:
        if self._initialised_here:
            import ray

            ray.shutdown()
        self._connected = self._initialised_here = False

    # -- tasks -------------------------------------------------------------------------------
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        def results() -> Iterator[R]:
            iterator = iter(items)
            first = next(iterator, _NOTHING)
            if first is _NOTHING:  # nothing to do: no Ray to start or join
                return
            ray = self._connect()
            self._check_task_fits(ray)
            window = self.settings.tasks_in_flight or max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
            task = ray.remote(_apply).options(num_cpus=self.settings.task_cpus)
            shared_fn = ray.put(fn)
            pending: deque[Any] = deque()
            try:
                for item in itertools.chain([first], iterator):
                    pending.append(task.remote(shared_fn, item))
                    if len(pending) >= window:
                        yield self._get(pending.popleft())
                while pending:
                    yield self._get(pending.popleft())
            finally:
                for ref in pending:  # the stage stopped reading (an error): do not leave work running
                    ray.cancel(ref)

        return results()

    def _get(self, ref: Any) -> Any:
        import ray

        with pipeline_errors():
            return ray.get(ref)

    # -- the actor pool ------------------------------------------------------------------------
    def map_pool(self, actor: Callable[[], Callable[[T], R]], items: Iterable[T], *, name: str) -> Iterator[R]:
        rows = [{"item": pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)} for item in items]
        if not rows:
            return iter(())
        ray = self._connect()
        from ray.data import ActorPoolStrategy

        self._check_pool_fits(ray)
        s = self.settings
        # one item a block: a block is what Ray retries when an actor dies, so a retry repeats one item
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _pool_class(actor, name),
            batch_size=1,
            batch_format="numpy",
            compute=ActorPoolStrategy(size=s.translate_actors),
            num_cpus=s.actor_cpus,
            num_gpus=s.actor_gpus or None,
            memory=s.actor_memory_mb * MB,
        )

        def results() -> Iterator[R]:
            with pipeline_errors():
                for row in dataset.iter_rows():
                    yield pickle.loads(row["result"])

        return results()

    def _check_pool_fits(self, ray: Any) -> None:
        """Refuse a pool Ray cannot place (it would wait for ever): in total, and actor by actor on the nodes there are."""
        s = self.settings
        nodes = _node_resources(ray)
        total = {key: sum(node.get(key, 0.0) for node in nodes) for key in ("CPU", "GPU", "memory")}
        each = {"CPU": s.actor_cpus, "GPU": s.actor_gpus, "memory": s.actor_memory_mb * MB}
        needs = {key: s.translate_actors * amount for key, amount in each.items()}
        short = [key for key, amount in needs.items() if amount > total.get(key, 0) + 1e-9]
        if short:
            have = ", ".join(f"{key} {_amount(key, total.get(key, 0))}" for key in short)
            want = ", ".join(f"{key} {_amount(key, needs[key])}" for key in short)
            raise ConfigError(
                f"the Ray cluster has {have} but {s.translate_actors} translation actor(s) need {want} "
                "(executor.translate_actors × executor.actor_cpus / actor_gpus / actor_memory_mb); "
                "lower them or add nodes"
            )
        placed = placeable(nodes, each)
        if placed < s.translate_actors:
            want = ", ".join(f"{key} {_amount(key, amount)}" for key, amount in each.items() if amount > 0)
            raise ConfigError(
                f"the Ray cluster's nodes can hold {placed} of the {s.translate_actors} translation actor(s): each needs "
                f"{want} on one node, and an actor is never split across nodes; lower executor.actor_cpus / actor_gpus / "
                "actor_memory_mb or translate_actors"
            )

    def _check_task_fits(self, ray: Any) -> None:
        """A task asking for more CPUs than any node has is never scheduled (Ray waits for ever): refused at once."""
        largest = max((node.get("CPU", 0.0) for node in _node_resources(ray)), default=0.0)
        if self.settings.task_cpus > largest + 1e-9:
            raise ConfigError(
                f"executor.task_cpus {self.settings.task_cpus:g} is more than any node of the Ray cluster has "
                f"(the largest has {largest:g} CPUs): such a task would wait for ever; lower it"
            )


def placeable(nodes: list[dict[str, float]], each: dict[str, float]) -> int:
    """How many actors needing `each` (resource → amount) the `nodes` (their total resources) hold, none split."""
    wanted = {key: amount for key, amount in each.items() if amount > 0}
    if not wanted:
        return 1 << 30
    return sum(min(int(node.get(key, 0.0) / amount + 1e-9) for key, amount in wanted.items()) for node in nodes)


def check_address(address: str, timeout_s: float) -> None:
    """A Ray address is the head's HOST:PORT (or `auto`), and something answers there within `timeout_s`.

    Ray itself takes a web address, a Ray Client address or a typo to a
    traceback, and an address where nothing listens to minutes of retries.
    """
    if address == "auto":
        return
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", address)
    if scheme is not None:
        what = {
            "ray": "a Ray Client address, which the pipeline does not use",
            "http": "a web address (the dashboard's?)",
            "https": "a web address (the dashboard's?)",
        }.get(scheme.group(1).lower(), "a URL")
        raise ConfigError(
            f"Ray address {address!r} is {what}: give the head's HOST:PORT (its GCS port, 6379 by default), "
            "as `ray start --head` prints it"
        )
    found = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})", address)
    if found is None or not 0 < int(found.group(2)) < 65536:
        raise ConfigError(f"Ray address {address!r} is not HOST:PORT (the head's GCS port, 6379 by default)")
    host, port = found.group(1).strip("[]"), int(found.group(2))
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        reason = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ConfigError(
            f"cannot reach the Ray cluster at {address}: {reason} (waited up to {timeout_s:g} s, "
            "executor.connect_timeout_s); is its head running (`ray start --head`), and the port open to this machine?"
        ) from None


def _node_resources(ray: Any) -> list[dict[str, float]]:
    return [dict(node.get("Resources") or {}) for node in ray.nodes() if node.get("Alive")]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _apply(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def _pool_class(factory: Callable[[], Callable[[Any], Any]], name: str) -> type:
    """A callable class Ray Data can pool: it builds the worker once, then takes one pickled item per call."""
    import numpy as np

    class PoolWorker:
        def __init__(self) -> None:
            self.worker = factory()

        def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
            out = np.empty(len(batch["item"]), dtype=object)
            for i, raw in enumerate(batch["item"]):
                out[i] = pickle.dumps(self.worker(pickle.loads(raw)), protocol=pickle.HIGHEST_PROTOCOL)
            return {"result": out}

    PoolWorker.__name__ = PoolWorker.__qualname__ = name  # what `ray list actors` and ps show
    return PoolWorker


@contextmanager
def pipeline_errors() -> Iterator[None]:
    """Re-raise a pipeline error that happened inside Ray as itself (message and exit code), not as Ray's wrapper."""
    try:
        yield
    except Exception as exc:
        found = _pipeline_error(exc)
        if found is not None and found is not exc:
            raise found from None
        raise


def _pipeline_error(exc: BaseException) -> PipelineError | None:
    from ray.exceptions import RayError

    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, PipelineError) and not isinstance(current, RayError):
            return current
        cause = getattr(current, "cause", None)
        stack += [cause if isinstance(cause, BaseException) else None, current.__cause__, current.__context__]
    return None


def _connect_hint(exc: BaseException) -> str:
    """Why Ray could not connect, when it says so only in the cause (token authentication, most often)."""
    cause = exc.__cause__
    if cause is not None and "InvalidAuthToken" in str(cause):
        return (
            " — the cluster wants token authentication: set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN to the "
            "cluster's token (docs/cluster.md)"
        )
    return f" ({str(cause).splitlines()[0]})" if cause is not None and str(cause) else ""


def _amount(key: str, value: float) -> str:
    return f"{value / MB / 1024:.1f} GB" if key == "memory" else f"{value:g}"
