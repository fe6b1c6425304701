"""The event loop thread behind `Red5Client`, and how calls reach it.

A daemon thread runs an event loop that an anyio blocking portal keeps
alive. Each blocking call is handed to that loop with one loop callback,
runs there as a task, and hands its result back through a plain lock.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import anyio

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    # The portal, and the asyncio loop or trio token that calls reach it by.
    _Started = tuple[BlockingPortal, Any]

__all__ = ["PortalThread", "Stepper"]

T = TypeVar("T")

# How often a caller waiting for a result checks that the loop thread is alive,
# so a call that races `close()` fails instead of waiting forever.
_LIVENESS_CHECK_SECONDS = 1.0


class PortalThread:
    """An event loop in a daemon thread, kept running by a blocking portal.

    Calls reach the loop through `_LoopCall`. The thread is a daemon so that
    an unclosed client cannot keep the interpreter from exiting.
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        # Cleared and read only on the loop thread, so it needs no lock.
        self.accepting = True
        started: queue.Queue[_Started | BaseException] = queue.Queue()
        self.thread = threading.Thread(
            target=self._run,
            args=(started,),
            name="red5-bcs-portal",
            daemon=True,
        )
        self.thread.start()
        result = started.get()
        if isinstance(result, BaseException):
            raise result
        self.portal, self._native_token = result

    def call(self, function: Callable[..., Awaitable[T]], *args: object) -> T:
        """Run `function(*args)` on the loop and return its result.

        Raises:
            anyio.RunFinishedError: The loop has stopped.
        """
        return _LoopCall(self).run(function, args)

    def schedule(
        self,
        callback: Callable[..., object],
        args: tuple[object, ...],
        context: contextvars.Context,
    ) -> None:
        """Run `callback(*args)` on the loop thread soon; safe from any thread.

        Raises:
            RuntimeError: The loop has finished.
        """
        if self.backend == "asyncio":
            self._native_token.call_soon_threadsafe(callback, *args, context=context)
        else:
            self._native_token.run_sync_soon(context.run, callback, *args)

    def spawn(
        self, function: Callable[..., Awaitable[object]], *args: object
    ) -> object:
        """Start `function(*args)` as a task and return it; only on the loop thread."""
        if self.backend == "asyncio":
            return self._native_token.create_task(function(*args))
        import trio

        return trio.lowlevel.spawn_system_task(function, *args)

    def _run(self, started: queue.Queue[_Started | BaseException]) -> None:
        # Imported here, in the client's own thread, because it loads asyncio
        # and adds about 8 ms to `import red5_bcs`.
        from anyio.from_thread import BlockingPortal

        async def serve() -> None:
            if self.backend == "asyncio":
                import asyncio

                native_token: Any = asyncio.get_running_loop()
            else:
                import trio

                native_token = trio.lowlevel.current_trio_token()
            async with BlockingPortal() as portal:
                started.put((portal, native_token))
                await portal.sleep_until_stopped()
            self.accepting = False

        try:
            anyio.run(serve, backend=self.backend)
        except BaseException as exc:
            started.put(exc)

    def stop(self) -> None:
        """Stop the loop once running calls end, and wait for the thread."""
        self.call(self.portal.stop)
        self.thread.join()


class _LoopCall:
    """One call handed from a caller's thread to the loop thread.

    The loop thread is woken by one callback, and the call's own task
    releases a plain lock the caller waits on. `anyio.from_thread.run` goes
    through a concurrent future set by a done callback one loop iteration
    later: an empty call took about 87 µs that way and 70 µs this way, on a
    2-core machine. It also refuses to run from a thread that runs trio,
    which a blocking client must allow.
    """

    __slots__ = (
        "_abandoned",
        "_done",
        "_error",
        "_portal_thread",
        "_result",
        "_scope",
        "_task",
    )

    def __init__(self, portal_thread: PortalThread) -> None:
        self._portal_thread = portal_thread
        self._done = threading.Lock()
        self._done.acquire()
        self._scope: anyio.CancelScope | None = None
        self._task: object = None
        self._abandoned = False
        self._result: Any = None
        self._error: BaseException | None = None

    def run(self, function: Callable[..., Awaitable[T]], args: tuple[object, ...]) -> T:
        """Start `function(*args)` on the loop, wait for it and return its result.

        If the wait is interrupted, by KeyboardInterrupt for example, the
        call is cancelled on the loop rather than left running there.

        Raises:
            anyio.RunFinishedError: The loop has stopped or is stopping.
        """
        # The call runs in a copy of the caller's context, as with anyio's
        # portal, marked with the loop's library: a caller inside trio would
        # otherwise pass on sniffio's "trio" to an asyncio loop.
        context = contextvars.copy_context()
        sniffio = sys.modules.get("sniffio")
        if sniffio is not None:
            library = self._portal_thread.backend
            context.run(sniffio.current_async_library_cvar.set, library)
        try:
            self._portal_thread.schedule(self._start, (function, args), context)
        except RuntimeError:  # the loop has finished
            raise anyio.RunFinishedError from None
        try:
            while not self._done.acquire(timeout=_LIVENESS_CHECK_SECONDS):
                if not self._portal_thread.thread.is_alive():
                    raise anyio.RunFinishedError
        except BaseException:
            with contextlib.suppress(RuntimeError):
                self._portal_thread.schedule(self._abandon, (), context)
            raise

        error, self._error = self._error, None
        if error is not None:
            raise error
        return cast(T, self._result)

    def _start(
        self, function: Callable[..., Awaitable[T]], args: tuple[object, ...]
    ) -> None:
        if self._abandoned:
            return
        if not self._portal_thread.accepting:
            self._error = anyio.RunFinishedError()
            self._done.release()
            return
        # asyncio keeps only weak references to tasks, so the call keeps its own.
        self._task = self._portal_thread.spawn(self._run_on_loop, function, args)

    async def _run_on_loop(
        self, function: Callable[..., Awaitable[T]], args: tuple[object, ...]
    ) -> None:
        try:
            with anyio.CancelScope() as self._scope:
                if not self._abandoned:
                    self._result = await function(*args)
        except BaseException as exc:
            # Raised again in the caller's thread. A cancellation that gets
            # here comes from the loop shutting down.
            cancelled = isinstance(exc, anyio.get_cancelled_exc_class())
            self._error = anyio.RunFinishedError() if cancelled else exc
        finally:
            self._done.release()

    def _abandon(self) -> None:
        # An anyio cancellation, unlike a native one, leaves shielded work
        # such as closing the pool to finish.
        self._abandoned = True
        if self._scope is not None:
            self._scope.cancel()


class Stepper(Generic[T]):
    """Steps and closes an async iterator on the loop, one operation at a time.

    A step interrupted by Ctrl-C may still be unwinding on the loop when the
    blocking iterator closes it, and an async generator rejects `aclose()`
    while a step runs.
    """

    __slots__ = ("_iterator", "_lock")

    def __init__(self, iterator: AsyncIterator[T]) -> None:
        self._iterator = iterator
        self._lock: anyio.Lock | None = None

    async def next(self) -> T:
        """Return the next item; raises StopAsyncIteration at the end."""
        async with self._locked():
            return await self._iterator.__anext__()

    async def close(self) -> None:
        """Close the iterator once no step is running."""
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None:
            async with self._locked():
                await aclose()

    def _locked(self) -> anyio.Lock:
        # Created on first use because an anyio lock needs a running loop.
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock
