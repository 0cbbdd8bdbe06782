"""Running one function over many files: a process pool, results in input order.

Workers take one file at a time, so memory stays bounded by the largest
file, not the corpus; results stream back in the order of the inputs, so
output is deterministic whatever the scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from . import processes

Task = TypeVar("Task")
Result = TypeVar("Result")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: int | None, tasks: int) -> int:
    """How many processes :func:`run_parallel` renders ``tasks`` tasks in (1: in this process)."""
    return min(jobs or default_jobs(), tasks) or 1


class Progress:
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str, stream=None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total > 1 and hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self) -> None:
        self.done += 1
        if self.enabled:
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                              f"{self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (len(self.label) + 45) + "\r")
            self.stream.flush()


def run_parallel(function: Callable[[Task], Result], tasks: Iterable[Task], jobs: int | None = None,
                 label: str = "working", warm_up: bool = True) -> Iterator[Result]:
    """``map(function, tasks)`` over a process pool, in order, with a progress bar
    (on a Dask cluster inside :func:`edition.cluster.connected`).

    ``warm_up``: with many tasks, run the first one here before the pool forks (see below);
    worth it when the first task compiles something costly that every task needs."""
    items = list(tasks)
    jobs = worker_count(jobs, len(items))
    progress = Progress(len(items), label)
    from . import cluster

    client = cluster.active()
    try:
        if client is not None and items:  # --scheduler: the units are Dask tasks (edition/cluster.py)
            yield from cluster.run(client, function, items, progress)
            return
        if jobs == 1:
            # counted before it is handed on: a consumer that stops at the last result
            # (zip) never comes back to count it
            for item in items:
                result = function(item)
                progress.step()
                yield result
            return
        # fork: workers inherit the compiled schemas and tables of the parent (no re-import);
        # max_tasks_per_child would force the slow spawn start method in Python 3.11.
        fork = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if fork else None)
        if fork and warm_up and len(items) > 4 * jobs:
            # Many small tasks: the first one runs here, before the pool forks, so that what
            # it compiles once per process (the schema, the citation style, the behaviour
            # table: 0.3-0.5 s) is inherited by every worker instead of rebuilt in each.
            first = function(items[0])
            progress.step()
            yield first
            items = items[1:]
        # workers die with this process and leave signals to it (edition/processes.py)
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=processes.worker_setup,
                                   initargs=(os.getpid(),))
        try:
            # submit, not map: map's iterator cancels its futures when interrupted, and the
            # pool's thread then fails them again (InvalidStateError, a traceback of its own)
            with processes.signals_blocked():  # the workers are forked by the first submit
                futures = [pool.submit(function, item) for item in items]
            for future in futures:
                result = future.result()
                progress.step()
                yield result
        except GeneratorExit:  # the consumer has all it wants
            pool.shutdown(wait=True)
            raise
        except BaseException:
            # Ctrl-C, SIGTERM or an error: the workers' work is lost anyway; waiting
            # for their current tasks could take minutes
            processes.kill_workers()
            pool.shutdown(wait=False)
            processes.clean_dead_temporaries()  # the print folders of the workers just killed
            raise
        pool.shutdown(wait=True)
    finally:
        progress.close()
