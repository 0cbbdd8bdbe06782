"""Running a command's units on a Dask cluster (``--scheduler ADDRESS``).

``edition build``, ``validate`` and ``query`` cut their work into units (a file;
a volume's slice of documents) and hand them to :func:`edition.corpus.run_parallel`.
Inside :func:`connected`, that function sends the units to a ``dask.distributed``
scheduler instead of a local process pool; results still come back in input
order, so the output is byte-identical to a local run.

What the workers need:

- the same toolkit version (the task is a reference to a function of this
  package, pickled by name, not code shipped over the wire);
- the inputs and the output folder at the same absolute paths as the client
  (a shared file system): each task runs in the client's working folder, so
  relative input paths mean the same thing on every machine;
- one thread each (``dask worker ADDRESS --nthreads 1``): a unit is
  CPU-bound Python and lxml, and the working folder is per process.

Faults: a worker that dies mid-task has its tasks rerun elsewhere by the
scheduler (a unit writes whole files, replacing any it had begun, so a rerun
leaves the same bytes); a unit lost on
``distributed.scheduler.allowed-failures`` workers (3) stops the command with
E0621, and a build then leaves the previous edition as it was.  A scheduler
that cannot be reached within :data:`CONNECT_TIMEOUT` is a usage error (E0620,
exit 2).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from .diagnostics import EditionError, EditionUsageError

Task = TypeVar("Task")
Result = TypeVar("Result")

#: Seconds to wait for the scheduler before giving up (E0620).
CONNECT_TIMEOUT = 10.0

_CLIENT: ContextVar[Any] = ContextVar("edition_cluster_client", default=None)


def active() -> Any:
    """The ``distributed.Client`` of the enclosing :func:`connected` block, or None."""
    return _CLIENT.get()


@contextlib.contextmanager
def connected(address: str | None, timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """Within the block, :func:`edition.corpus.run_parallel` runs on the scheduler at ``address``.

    ``None`` or ``""``: nothing changes (local processes)."""
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise EditionUsageError.at("E0620", "--scheduler needs dask.distributed: install the toolkit "
                                   "with its cluster extra (pip install 'tei-edition[cluster]')") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise EditionUsageError.at("E0620", f"cannot reach the Dask scheduler at {address!r} within "
                                   f"{timeout:g} s ({type(error).__name__}: {error}); start one with "
                                   "`dask scheduler` and give its address (tcp://HOST:8786)",
                                   path="--scheduler") from None
    token = _CLIENT.set(client)
    try:
        yield client
    finally:
        _CLIENT.reset(token)
        with contextlib.suppress(Exception):
            client.close(timeout=timeout)


def _in_folder(folder: str, function: Callable[[Task], Result], item: Task) -> Result:
    """Run one unit in the client's working folder (runs on a worker, one thread per process)."""
    before = os.getcwd()
    moved = False
    if folder != before and os.path.isdir(folder):
        os.chdir(folder)
        moved = True
    try:
        return function(item)
    finally:
        if moved:
            os.chdir(before)


def run(client: Any, function: Callable[[Task], Result], tasks: Iterable[Task],
        progress: Any = None) -> Iterator[Result]:
    """``map(function, tasks)`` on the cluster, in order; ``progress.step()`` as each result arrives.

    Every task is submitted at once (the scheduler balances them); results are
    yielded in input order. A task that lost its worker too often, or a worker-side
    error, cancels the others and raises."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    items = list(tasks)
    folder = os.getcwd()
    futures: list[Any] = [client.submit(_in_folder, folder, function, item, pure=False) for item in items]
    index = {future.key: position for position, future in enumerate(futures)}
    arrived: set[int] = set()
    following = 0
    try:
        for future in as_completed(list(futures), loop=client.loop):
            arrived.add(index[future.key])
            if progress is not None:
                progress.step()
            while following in arrived:
                # a result fetched is released on its worker: memory follows what is not yet read
                done, futures[following] = futures[following], None
                arrived.discard(following)
                following += 1
                yield done.result()
    except KilledWorker as error:
        _stop(client, futures)
        # not an OSError: a build would report it as a failed write (E0602)
        raise EditionError.at("E0621", f"a unit of work was lost with its worker too often ({error}); "
                              "nothing was replaced") from None
    except BaseException:
        _stop(client, futures)
        raise


#: Seconds to wait, after a failure, for the units still running on the workers.
DRAIN_TIMEOUT = 60.0


def _stop(client: Any, futures: list[Any]) -> None:
    """Cancel what has not run, and wait for what is running: a unit still writing into the
    temporary edition folder after the client has removed it would leave a stray folder."""
    import time

    with contextlib.suppress(Exception):
        client.cancel([future for future in futures if future is not None and not future.done()])
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        try:
            running = client.run(_executing, on_error="ignore")
        except Exception:
            return
        if not any(running.values()):
            return
        time.sleep(0.1)


def _executing(dask_worker: Any) -> int:
    """Tasks a worker is running now (runs on the worker)."""
    return len(dask_worker.state.executing)
