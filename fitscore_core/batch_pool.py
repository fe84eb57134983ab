"""Jobs in parallel processes on one machine; a worker process that dies costs only its job.

    >>> from fitscore_core.batch_pool import run_pool
    >>> for job, result in run_pool(jobs, 2, work, setup, (models,), crashed):   # doctest: +SKIP
    ...     print(job, result)

Why not a bare ProcessPoolExecutor: when one of its processes dies (a clip that crashes the
pose estimator, the kernel's out-of-memory killer) every job in flight fails with
BrokenProcessPool and the pool is dead. Here the pool is rebuilt, the jobs that were in flight
become suspects and run again one at a time: a suspect that kills its process when alone is
the culprit and gets `crashed(job)` as its result; the others finish normally. Processes are
spawned (not forked: torch and MediaPipe threads do not survive a fork), each runs `setup`
once (load the models there, not per job), and ignores Ctrl-C: the driver stops them, so a
Ctrl-C prints no traceback per child.
"""

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager


def _start(setup: Callable, args: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the driver handles Ctrl-C
    setup(*args)


@contextmanager
def _sigint_held():
    """Ctrl-C held back (blocked, not ignored) while worker processes are spawned: they
    inherit the blocked signal through exec and ignore it once started, so a Ctrl-C while one
    is still importing torch prints no traceback; the driver gets it the moment the spawn is
    over. (Ignoring it here instead lost a Ctrl-C that landed during a spawn: the batch ran
    on to the end.)"""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _submit(pool: ProcessPoolExecutor, work: Callable, job):
    with _sigint_held():                              # submit may spawn a process
        return pool.submit(work, job)


def _new_pool(workers: int, setup: Callable, args: tuple) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(setup, args))


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the pool now: its processes are killed, not waited for."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def run_pool(jobs: list, workers: int, work: Callable, setup: Callable, setup_args: tuple,
             crashed: Callable) -> Iterator[tuple[object, object]]:
    """(job, work(job)) for every job, in the order they finish; `work` and `setup` must be
    module-level functions (they are pickled by name into the spawned processes)."""
    queue, suspects = deque(jobs), deque()
    running: dict = {}                                # future -> (job, ran alone)
    pool = _new_pool(workers, setup, setup_args)
    try:
        while queue or suspects or running:
            broken = False
            alone = bool(suspects)                    # suspects run one at a time
            source = suspects if alone else queue
            room = (0 if running else 1) if alone else workers - len(running)
            try:
                for _ in range(min(room, len(source))):
                    job = source.popleft()
                    running[_submit(pool, work, job)] = (job, alone)
            except BrokenProcessPool:                 # a process died after the last wait;
                source.appendleft(job)                # this job never started
                broken = True
            finished, _ = wait(running, return_when=FIRST_COMPLETED) if running else ((), ())
            for future in finished:
                job, alone = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone:
                        yield job, crashed(job)
                    else:
                        suspects.append(job)
                    continue
                yield job, result
            if broken:                                # the pool is dead: every job in it too
                suspects.extend(job for job, _ in running.values())
                running.clear()
                _stop(pool)
                pool = _new_pool(workers, setup, setup_args)
    finally:
        _stop(pool)
