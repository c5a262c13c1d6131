"""Running the reminders: the two scheduler jobs (sweep, send), in the web process or a worker.

APScheduler 3 holds only two interval jobs in UTC, in a memory job store, with
``coalesce=True``, ``max_instances=1`` and ``misfire_grace_time=None`` (a late run still runs,
once). Correctness never depends on the scheduler: the outbox's unique keys and the claims make
any number of runners safe; on SQLite one scheduler per database is enforced with a lock file
so writers do not fight over the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from core.db import transaction
from core.reminders.sender import SendReport, send_due
from core.reminders.sweep import SweepReport, sweep

if TYPE_CHECKING:
    from core.app import AppState
    from core.config import Settings

log = logging.getLogger(__name__)

SCHEDULER_KEY = "reminders.scheduler"
JOBS_KEY = "reminders.jobs"


class SchedulerLocked(RuntimeError):
    """Another process already runs the reminder jobs on this SQLite database."""


def lock_path(settings: Settings) -> Path:
    """The lock file of this SQLite database's scheduler (in the data directory)."""
    digest = sha256(settings.database_url.encode()).hexdigest()[:12]
    return Path(settings.data_dir) / f"scheduler-{digest}.lock"


def acquire_sqlite_lock(settings: Settings) -> IO[str] | None:
    """On SQLite, take the database's scheduler lock (``SchedulerLocked`` when another process
    holds it). On PostgreSQL nothing is needed: claims make several schedulers safe."""
    if not settings.is_sqlite:
        return None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, single process assumed
        return None
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise SchedulerLocked(
            "Un autre processus exécute déjà les rappels sur cette base SQLite. Sur SQLite, un seul "
            "planificateur est permis : lancez « reseau serve --no-scheduler » avec un seul "
            "« reseau worker », ou passez à PostgreSQL."
        ) from exc
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


@dataclass
class Jobs:
    """The jobs of one process (sweep, send, daily purge) and the tasks running them."""

    state: AppState
    scheduler: AsyncIOScheduler
    running: set[asyncio.Task[Any]]
    #: jobs running now, and jobs asked to run again while they were running; both under
    #: ``lock`` (:func:`_run_soon` is called from request threads)
    busy: set[str] = field(default_factory=set)
    again: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def sweep_job(self) -> SweepReport | None:
        """The sweep, in a thread (synchronous database work); wakes the sender when it queued mail."""
        report: SweepReport | None = await self._repeating(
            "sweep", lambda: asyncio.to_thread(sweep, self.state)
        )
        if report is not None and report.total:
            send_soon(self.state)
        return report

    async def send_job(self) -> SendReport | None:
        """The sender, on the event loop (network I/O; database work in threads)."""
        report: SendReport | None = await self._repeating("send", lambda: send_due(self.state))
        return report

    async def _repeating(self, name: str, run: Any) -> Any:
        """Run the job; once more if it was asked to run while running (with ``max_instances=1``
        the scheduler would skip that request, and the mail queued meanwhile would wait for
        the next interval)."""
        with self.lock:
            self.busy.add(name)
        try:
            while True:
                with self.lock:
                    self.again.discard(name)
                result = await self._tracked(run())
                with self.lock:
                    if name not in self.again:
                        self.busy.discard(name)
                        return result
        finally:
            with self.lock:
                self.busy.discard(name)

    async def purge_job(self) -> Any:
        """The daily retention purge (``core.privacy``), in a thread."""
        return await self._tracked(asyncio.to_thread(purge_expired, self.state))

    async def _tracked(self, coro: Any) -> Any:
        # Shielded: the scheduler's shutdown cancels a running job, but the job's work in a
        # thread would go on with a checked-out connection after the engine is disposed (the
        # connection then dies unclosed with the discarded pool). The task stays in ``running``
        # until its work is really done, and ``running_jobs`` waits for it.
        task = asyncio.ensure_future(self._logged(coro))
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return await asyncio.shield(task)

    @staticmethod
    async def _logged(coro: Any) -> Any:
        try:
            return await coro
        except Exception:
            log.exception("reminder job failed")
            return None


def make_scheduler(state: AppState) -> Jobs:
    """The scheduler with its two interval jobs (first runs at once)."""
    scheduler = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    jobs = Jobs(state, scheduler, set())
    now = datetime.now(UTC)
    settings = state.settings
    scheduler.add_job(
        jobs.sweep_job,
        IntervalTrigger(seconds=settings.sweep_interval, timezone=UTC),
        id="sweep",
        name="reminders sweep",
        next_run_time=now,
    )
    scheduler.add_job(
        jobs.send_job,
        IntervalTrigger(seconds=settings.send_interval, timezone=UTC),
        id="send",
        name="outbox send",
        next_run_time=now,
    )
    scheduler.add_job(
        jobs.purge_job,
        IntervalTrigger(days=1, timezone=UTC),
        id="privacy-purge",
        name="personal data retention purge",
        next_run_time=now + timedelta(minutes=5),
    )
    return jobs


def purge_expired(state: AppState) -> Any:
    """One retention purge at the app's current instant, in its own transaction."""
    from core.privacy.services import purge

    with transaction(state.session_factory) as db:
        return purge(db, state.settings, state.now())


@asynccontextmanager
async def running_jobs(state: AppState) -> AsyncIterator[Jobs]:
    """Run the two jobs until the block ends, then stop and wait for a running job to finish."""
    lock = acquire_sqlite_lock(state.settings)
    jobs = make_scheduler(state)
    jobs.scheduler.start()
    state.extras[SCHEDULER_KEY] = jobs.scheduler
    state.extras[JOBS_KEY] = jobs
    try:
        yield jobs
    finally:
        state.extras.pop(SCHEDULER_KEY, None)
        state.extras.pop(JOBS_KEY, None)
        jobs.scheduler.shutdown(wait=False)
        if jobs.running:
            await asyncio.wait(set(jobs.running), timeout=60)
        await asyncio.sleep(0)  # let the scheduler's shutdown callback run
        if lock is not None:
            lock.close()


@asynccontextmanager
async def lifespan(state: AppState) -> AsyncIterator[None]:
    """Start the reminder jobs when ``state.settings.run_scheduler``; stop them on shutdown."""
    if not state.settings.run_scheduler:
        yield
        return
    async with running_jobs(state):
        yield


def _run_soon(state: AppState, job_id: str) -> None:
    scheduler: AsyncIOScheduler | None = state.extras.get(SCHEDULER_KEY)
    if scheduler is None or not scheduler.running:
        return
    jobs: Jobs | None = state.extras.get(JOBS_KEY)
    if jobs is not None:
        with jobs.lock:
            if job_id in jobs.busy:
                jobs.again.add(job_id)  # the running job goes round once more
                return
    with suppress(Exception):  # the scheduler is stopping: the next process run will do it
        scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))


def send_soon(state: AppState) -> None:
    """Ask this process's sender to run now (after a commit that enqueued mail).

    Safe from any thread. Without an in-process scheduler (production web workers) it does
    nothing: the worker's next send run, a few seconds away, picks the mail up.
    """
    _run_soon(state, "send")


def sweep_soon(state: AppState) -> None:
    """Ask this process's sweep to run now (after a commit that invited people, rescheduled or
    cancelled a meeting); the sweep then wakes the sender. Same rules as :func:`send_soon`."""
    _run_soon(state, "sweep")


async def run_once(state: AppState, at: datetime) -> tuple[SweepReport, SendReport]:
    """One sweep and one send run at the instant ``at`` (``reseau reminders run --at``, tests)."""
    swept = await asyncio.to_thread(sweep, state, at)
    sent = await send_due(state, at)
    return swept, sent


def run_at(state: AppState, at: datetime) -> tuple[SweepReport, SendReport]:
    """:func:`run_once` from synchronous code, even when that code runs under an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_once(state, at))
    # a synchronous caller inside a running loop (Playwright's sync API, a sync helper called
    # from async code): asyncio.run refuses there, so the run gets its own thread and loop
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reseau-run-at") as pool:
        return pool.submit(asyncio.run, run_once(state, at)).result()
