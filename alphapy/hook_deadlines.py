"""Time limits of hook calls: one timer for all the calls in flight, not one per call.

A premium check goes through a hook on every gated command and answers in a few
microseconds from a cache; ``asyncio.timeout`` around it arms and cancels a timer of
the event loop each time, which cost more than the answer. Here a call only notes its
deadline in a dictionary; one timer per event loop, armed for the earliest deadline,
cancels the task of a call that runs late, and the call turns that cancellation into
its ``TimeoutError`` as ``asyncio.timeout`` would (a cancellation from elsewhere stays a
cancellation).
"""

from __future__ import annotations

import asyncio


class HookDeadline:
    """One call's time limit: :meth:`finish` after its await, with what the await raised."""

    __slots__ = ("_deadlines", "_task", "_cancelling", "when", "expired")

    def __init__(self, deadlines: HookDeadlines, when: float, task: asyncio.Task[object]) -> None:
        self._deadlines = deadlines
        self.when = when
        self.expired = False
        self._task = task
        self._cancelling = 0  # read when it expires: nothing to do for the calls that answer in time

    def finish(self, error: BaseException | None) -> bool:
        """Stop watching; True when ``error`` is the cancellation this deadline caused
        (the caller raises its ``TimeoutError`` instead)."""
        self._deadlines._pending.discard(self)
        if not self.expired:
            return False
        return self._task.uncancel() <= self._cancelling and isinstance(error, asyncio.CancelledError)

    def _expire(self) -> None:
        if not self.expired:
            self.expired = True
            self._cancelling = self._task.cancelling()
            self._task.cancel()


class HookDeadlines:
    """The deadlines of every hook call in flight on one event loop, watched by one timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._pending: set[HookDeadline] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = float("inf")

    def start(self, seconds: float) -> HookDeadline:
        """Watch the current task for ``seconds`` from now (call it inside a task)."""
        task = asyncio.current_task(self.loop)
        if task is None:
            raise RuntimeError("a hook's time limit needs to run inside a task")
        deadline = HookDeadline(self, self.loop.time() + seconds, task)
        self._pending.add(deadline)
        if deadline.when < self._armed_for:
            self._arm(deadline.when)
        return deadline

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(when, self._check)
        self._armed_for = when

    def _check(self) -> None:
        """Expire the calls past their deadline; wait for the earliest of the others."""
        self._timer, self._armed_for = None, float("inf")
        now = self.loop.time()
        earliest: float | None = None
        for deadline in list(self._pending):
            if deadline.when <= now:
                self._pending.discard(deadline)
                deadline._expire()
            elif earliest is None or deadline.when < earliest:
                earliest = deadline.when
        if earliest is not None:
            self._arm(earliest)


def deadlines_for(owner: dict[asyncio.AbstractEventLoop, HookDeadlines]) -> HookDeadlines:
    """The running loop's watcher from ``owner`` (a plugin manager serves several loops in
    tests, one after another)."""
    loop = asyncio.get_running_loop()
    deadlines = owner.get(loop)
    if deadlines is None:
        owner.clear()  # an earlier loop's watcher is of no further use
        deadlines = owner[loop] = HookDeadlines(loop)
    return deadlines
