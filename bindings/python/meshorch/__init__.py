"""meshorch: deploy services whose microservices run on VMs and containers, in one Istio mesh.

The orchestrator deploys a *service spec* (microservices, their versions on VMs or containers,
the links between them and their traffic and security policy) through a VNF manager, Kubernetes
and a VM sidecar injector, and reports every step as an event. This version ships the simulated
infrastructure (``Orchestrator.simulated()``) for tests, demos and test harnesses.

    import meshorch

    spec = meshorch.load_spec_file("examples/specs/bookinfo-hybrid.yaml")
    with meshorch.Orchestrator.simulated() as orch, orch.events() as events:
        op = orch.deploy(spec)
        for event in events.until(op):
            print(event)
        op.result()                      # raises the error if the deploy failed
        print(orch.status(spec.name))

Errors are exceptions derived from ``meshorch.Error``: ``SpecError`` (``.errors``: every
``FieldError`` with its path, line and column), ``ParseError``, ``NotFoundError``,
``BusyError``, ``BackendError`` (``.http_status``), ``TimeoutError``, ``CancelledError``...

Operations are awaitable: ``await orch.deploy(spec)`` in asyncio code. Blocking calls release
the GIL, so other Python threads run while one waits.
"""

from __future__ import annotations

import asyncio as _asyncio
import queue as _queue
import threading as _threading
from typing import Iterator as _Iterator, Optional as _Optional

from . import _meshorch
from ._meshorch import (  # noqa: F401  (re-exported)
    __version__,
    # errors
    Error,
    ErrorCode,
    FieldError,
    SpecError,
    ParseError,
    NotFoundError,
    ConflictError,
    BusyError,
    TransientError,
    TimeoutError,
    CancelledError,
    BackendError,
    InvalidArgumentError,
    InternalError,
    IoError,
    # specs and render
    Spec,
    load_spec,
    load_spec_file,
    validate,
    render,
    VmInstance,
    # states and events
    OperationKind,
    OperationState,
    WorkloadState,
    EventType,
    Substrate,
    WorkloadId,
    Event,
    is_terminal,
    # orchestrator
    Orchestrator,
    Operation,
    Subscription,
    ServicePhase,
    ServiceStatus,
    WorkloadStatus,
    # simulated infrastructure
    World,
    Snapshot,
    CallKind,
    FaultKind,
    VnfRecord,
    PodRecord,
    ProxyRecord,
    # onboarding one VM (a VNF manager's hooks)
    Cluster,
    SidecarInjector,
    OnboardingOptions,
    onboard_vm,
    offboard_vm,
    connect_ports,
    workload_entry_name,
)

__all__ = [name for name in dir(_meshorch) if not name.startswith("_")] + [
    "EventStream",
    "__version__",
]


# ---- asyncio ------------------------------------------------------------------------------------


def _settle(future: "_asyncio.Future", op: Operation) -> None:
    """On the event loop: completes `future` with the operation's outcome."""
    if future.done():
        return
    error = op.exception(timeout=0)
    if error is None:
        future.set_result(op)
    else:
        future.set_exception(error)


def _as_future(op: Operation, loop: "_Optional[_asyncio.AbstractEventLoop]" = None):
    """An asyncio future that completes with `op` when it succeeds, or with its error.

    The operation's completion is handed to the loop with call_soon_threadsafe; no thread waits.
    Cancelling the future (e.g. the awaiting task is cancelled, or asyncio.wait_for times out)
    cancels the operation: it rolls back. Use asyncio.shield() to keep it running.
    """
    loop = loop or _asyncio.get_running_loop()
    future = loop.create_future()

    def done(_op: Operation) -> None:  # on a library thread
        try:
            loop.call_soon_threadsafe(_settle, future, op)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def cancelled(f: "_asyncio.Future") -> None:
        if f.cancelled():
            op.cancel()

    future.add_done_callback(cancelled)
    op.on_done(done)
    return future


def _operation_await(self: Operation):
    """``await op``: waits without blocking the loop; returns the operation when it succeeded,
    raises its error otherwise."""
    return _as_future(self).__await__()


async def _operation_wait_async(self: Operation, timeout: _Optional[float] = None) -> Operation:
    """Awaits the end of the operation, raising meshorch.TimeoutError after `timeout` seconds
    (the operation keeps running then)."""
    future = _as_future(self)
    try:
        return await _asyncio.wait_for(_asyncio.shield(future), timeout)
    except _asyncio.TimeoutError:
        raise TimeoutError(f"operation {self.id} still {self.state.label} after {timeout} s") \
            from None


Operation.__await__ = _operation_await
Operation.wait_async = _operation_wait_async


# ---- events as an iterator ------------------------------------------------------------------------

_CLOSED = object()


class EventStream:
    """The orchestrator's events as an iterator (``for e in stream``) and an async iterator
    (``async for e in stream``). Events queue up from the moment the stream is created; close()
    (or leaving the ``with`` block) unsubscribes and ends the iteration.

    ``timeout``: iteration also ends when no event arrives for that many seconds.
    """

    def __init__(self, orchestrator: Orchestrator, timeout: _Optional[float] = None):
        self._queue: "_queue.SimpleQueue" = _queue.SimpleQueue()
        self._timeout = timeout
        self._closed = _threading.Event()
        self._subscription = orchestrator.subscribe(self._queue.put)

    # -- lifetime --
    def close(self) -> None:
        """Unsubscribes; iteration ends once the queued events are consumed."""
        if not self._closed.is_set():
            self._closed.set()
            self._subscription.cancel()
            self._queue.put(_CLOSED)

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._closed.is_set()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    # -- reading --
    def get(self, timeout: _Optional[float] = None) -> _Optional[Event]:
        """The next event, waiting up to `timeout` seconds (None: for ever). None when the stream
        is closed and drained, or the timeout passed."""
        try:
            item = self._queue.get(timeout=timeout)
        except _queue.Empty:
            return None
        if item is _CLOSED:
            self._queue.put(_CLOSED)  # keep later readers from blocking
            return None
        return item

    def __iter__(self) -> _Iterator[Event]:
        return self

    def __next__(self) -> Event:
        event = self.get(self._timeout)
        if event is None:
            raise StopIteration
        return event

    def until(self, operation: Operation, timeout: _Optional[float] = None) -> _Iterator[Event]:
        """The events of `operation` until it ends (its terminal operation event, or the end
        of the operation once its queued events are consumed). Events of other operations are
        skipped. `timeout` bounds the whole iteration (meshorch.TimeoutError)."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            event = self.get(0.05)
            if event is None:
                if self.closed or operation.done:
                    # Drain what is already queued for this operation.
                    while (event := self.get(0)) is not None:
                        if event.operation_id == operation.id:
                            yield event
                    return
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"operation {operation.id} did not end in {timeout} s")
                continue
            if event.operation_id != operation.id:
                continue
            yield event
            if event.type == EventType.operation and event.operation_state.terminal:
                return

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> Event:
        loop = _asyncio.get_running_loop()
        event = await loop.run_in_executor(None, self.get, self._timeout)
        if event is None:
            raise StopAsyncIteration
        return event


def _events(self: Orchestrator, timeout: _Optional[float] = None) -> EventStream:
    """An EventStream of this orchestrator's events, from now on. Use it in a ``with`` block."""
    return EventStream(self, timeout)


Orchestrator.events = _events
