"""Analyses on a Dask cluster: replications, tornado, Shapley subsets and budgets as Dask tasks.

An analysis is a list of independent tasks, each a scenario (canonical JSON, a few KB) and the
plans to run; a task returns KPI frames and, where asked, a few weekly series. That is the
right grain for a cluster: the scheduler ships strings and small frames, never arrays of
people, and a task runs for seconds to minutes. :class:`DaskRunner` runs such tasks on a
``distributed`` cluster and is installed for a block of code with :func:`dask_runner`
(:func:`simulation.analysis.parallel.use_runner` underneath), so the analyses need no change:
the same seeds give the same numbers as a local run, progress arrives as tasks finish, and
cancelling cancels the tasks not yet finished.

Where the cluster is:

* ``local``: a :class:`distributed.LocalCluster` on this machine (one single-threaded worker
  process per core unless ``n_workers`` says otherwise), started and stopped with the block;
* an address such as ``tcp://scheduler:8786``: a running scheduler, whose workers must have
  this package installed (same version: the tasks are this package's functions);
* the environment variable :data:`SCHEDULER_ENV` names the address when none is given (the
  CLI's ``--scheduler`` and the app's operator setting).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from simulation.analysis.parallel import use_runner
from simulation.core.kernels.threads import one_thread
from simulation.inputs import InputError

SCHEDULER_ENV = "OMNICHANNEL_DASK_SCHEDULER"
"""Environment variable with the scheduler's address (``local`` for a local cluster)."""
CONNECT_TIMEOUT_SECONDS = 10.0
"""How long to try to reach a scheduler before giving up with a message."""
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 128 * 1024 * 1024,
    "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 32 * 1024 * 1024,
}
"""Worker settings for simulation tasks. Dask starts workers with glibc's trim threshold at
64 KiB, so every large numpy temporary is handed back to the system and fetched again; a run
of many short array operations took 1.6-2x as long on a worker as in a process of its own.
Setting any glibc malloc threshold also turns off glibc's own rising of the mmap threshold
(which otherwise climbs to 32 MiB as large arrays are freed), so every array above 128 KiB
would be mapped fresh and page-faulted in: at 1M people a run took 1.5x the CPU with the trim
threshold alone (3.2M page faults instead of 0.09M); the mmap threshold is therefore pinned at
glibc's own ceiling.
Its statistical profiler (a stack sample every 10 ms) and GIL monitor (every 1 ms) also take
the interpreter lock from such a task. Set the same on the workers of an existing cluster
(its Dask configuration file)."""


class ClusterUnavailable(InputError):
    """The scheduler cannot be reached (a wrong address, or the cluster is down)."""


def _indexed(function: Callable[[Any], Any], index: int, argument: Any) -> tuple[int, Any]:
    """``(index, function(argument))`` in a worker: its kernels on one thread (workers fill the cores)."""
    one_thread()
    return index, function(argument)


class DaskRunner:
    """Runs tasks on a Dask cluster (see the module docstring)."""

    def __init__(self, address: str | None = None, *, n_workers: int | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
        import dask
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        address = address or os.environ.get(SCHEDULER_ENV) or "local"
        self.address = address
        try:
            if address == "local":
                with dask.config.set(WORKER_CONFIG):
                    self._cluster = LocalCluster(
                        n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                        processes=True, dashboard_address=None, silence_logs=40)
                self.client = Client(self._cluster, timeout=connect_timeout)
            else:
                self.client = Client(address, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as error:
            self.close()
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ClusterUnavailable([f"cannot reach the Dask scheduler at {address} within "
                                      f"{connect_timeout:g} s ({reason}); check the address, "
                                      "or run without --scheduler"]) from None

    @property
    def workers(self) -> int:
        """Worker threads the cluster has now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def as_completed(self, function: Callable[[Any], Any], arguments: Sequence[Any]
                     ) -> Iterator[tuple[int, Any]]:
        """``(index, result)`` as tasks finish; closing early cancels the rest."""
        from distributed import as_completed

        futures = [self.client.submit(_indexed, function, i, argument, pure=False)
                   for i, argument in enumerate(arguments)]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        """Disconnect, and stop the cluster if this runner started it."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def dask_runner(address: str | None = None, *, n_workers: int | None = None) -> Iterator[DaskRunner]:
    """Run the analyses started in this block on a Dask cluster (see the module docstring)."""
    with DaskRunner(address, n_workers=n_workers) as runner, use_runner(runner):
        yield runner


def scheduler_from_environment() -> str | None:
    """The scheduler address the operator set (:data:`SCHEDULER_ENV`), if any."""
    return os.environ.get(SCHEDULER_ENV) or None
