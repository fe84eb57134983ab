"""The Ray engine of `batch --engine ray`: one Ray task per clip, on a cluster or a local runtime.

    python -m fitscore_core batch /mnt/clips --out /mnt/results.csv --engine ray --address head:6379

    >>> from fitscore_core.batch_ray import ray_results, start_ray, stop_ray
    >>> started = start_ray(None, num_cpus=2)                          # doctest: +SKIP
    >>> for clip, result in ray_results(clips, scorers, digest, None, None):  # doctest: +SKIP
    ...     print(clip.label, result.row["error"])
    >>> stop_ray(started)                                              # doctest: +SKIP

Why tasks and not a home-made scheduler: Ray places each task on a free CPU of the cluster,
retries the task of a worker (or node) that was lost (`max_retries`), and reuses worker
processes, so the models travel once (a `ray.put`) and are unpickled once per worker process
(a module-level cache keyed by the models' digest), not once per clip. Each task receives the
clip's path: clips must be on storage every node mounts at the same path (NFS, a bucket
mount), and every node runs the project's own requirements (README, "Batch on a Ray cluster").
A clip whose task fails for good (its worker died on every try) becomes an error row. Ray is
imported here only: `import fitscore_core` never imports it.
"""

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from fitscore_core.batch_clip import Clip, ClipResult, died_row
from fitscore_core.errors import FitScoreError

RETRIES = 2            # a lost worker's clip is tried this many more times
CONNECT_TIMEOUT_S = 3.0
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)

_MODELS: dict = {}     # in each Ray worker process: models digest -> scorers


def _scorers(digest: str, boxed: list) -> dict:
    """The models, unpickled once per worker process (a Ray worker runs many tasks)."""
    if digest not in _MODELS:
        import ray
        import torch
        torch.set_num_threads(1)    # one task per CPU: torch must not take all of them
        _MODELS.clear()
        _MODELS[digest] = ray.get(boxed[0])
    return _MODELS[digest]


def _task(clip: Clip, digest: str, boxed: list, exercise: str | None, cache,
          score: Callable) -> ClipResult:
    return score(clip.label, clip.path, _scorers(digest, boxed), exercise, cache)


def check_reachable(address: str) -> None:
    """Refuse at once an address nothing answers on (ray.init would retry for a minute)."""
    if address in ("auto", "local"):
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise FitScoreError(f"--address {address}: give the Ray head as HOST:PORT (e.g. "
                            "10.0.0.5:6379, printed by `ray start --head`).")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        why = error.strerror or str(error) or "timed out"
        raise FitScoreError(f"no Ray cluster answers at {address} ({why}); start one with "
                            "`ray start --head` on the head node, or check --address. "
                            "Nothing was scored.") from None


def start_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to the cluster (or start a local runtime of num_cpus); True when this call
    started it (the caller then shuts it down). Workers find the project on PYTHONPATH."""
    try:
        import ray
    except ImportError:
        raise FitScoreError("--engine ray needs Ray: pip install -r requirements.txt "
                            "(it pins ray).") from None
    if address:
        check_reachable(address)
    if ray.is_initialized():          # a caller (a test, a notebook) already connected
        return False
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")   # no C++ log lines on the terminal
    try:
        ray.init(address=address, num_cpus=None if address else num_cpus,
                 include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", configure_logging=True,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(
                     p for p in (PROJECT_ROOT, os.environ.get("PYTHONPATH")) if p)}})
    except (ConnectionError, RuntimeError) as error:   # not a Ray head, another Ray version
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise FitScoreError(f"could not connect to a Ray cluster at {address or 'this machine'}"
                            f" ({first}); check that `ray start --head` runs there with the "
                            "same Ray version (requirements.txt). Nothing was scored.") from None
    return True


def stop_ray(started: bool) -> None:
    """Shut down the runtime start_ray started (not one a caller had started)."""
    if started:
        import ray
        ray.shutdown()


def ray_results(clips: list[Clip], scorers: dict, digest: str, exercise: str | None, cache,
                score: Callable | None = None) -> Iterator[tuple[Clip, ClipResult]]:
    """(clip, result) for every clip, in the order they finish, on the runtime start_ray
    connected to; a few tasks per CPU are in flight, so 10,000 clips never sit in the
    scheduler at once."""
    if not clips:
        return
    from fitscore_core.batch_clip import score_clip
    score = score or score_clip
    import ray
    from ray.exceptions import RayError
    queue, running = list(reversed(clips)), {}
    try:
        task = ray.remote(num_cpus=1, max_retries=RETRIES)(_task)
        boxed = [ray.put(scorers)]    # in a list: Ray passes the reference, not the models
        slots = max(1, int(ray.cluster_resources().get("CPU", 1))) * 2
        while queue or running:
            while queue and len(running) < slots:
                clip = queue.pop()
                running[task.remote(clip, digest, boxed, exercise, cache, score)] = clip
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                clip = running.pop(ref)
                try:
                    result = ray.get(ref)
                except RayError as error:       # every try failed: the worker died each time
                    result = died_row(clip.label, _failure(error))
                yield clip, result
    finally:
        for ref in running:           # stopped early (Ctrl-C, an error): drop what is left
            ray.cancel(ref, force=True)


def _failure(error: Exception) -> str:
    from ray.exceptions import WorkerCrashedError

    from fitscore_core.batch_clip import WORKER_DIED
    if isinstance(error, WorkerCrashedError) or "died" in str(error).lower():
        return f"{WORKER_DIED} ({RETRIES + 1} tries)"
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"the Ray task scoring this clip failed: {first}"
