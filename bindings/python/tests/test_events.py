"""Events: callbacks on library threads, and the iterator interface."""

import asyncio
import threading

import pytest

import meshorch
from conftest import SHOP


def test_subscribe_receives_every_state_of_the_operation(orch):
    events = []
    lock = threading.Lock()

    def on_event(event):
        with lock:
            events.append(event)

    with orch.subscribe(on_event) as sub:
        assert sub.active
        op = orch.deploy(SHOP)
        op.result(timeout=60)
    assert not sub.active

    mine = [e for e in events if e.operation_id == op.id]
    assert mine
    states = [e.operation_state for e in mine if e.type == meshorch.EventType.operation]
    assert states[-1] == meshorch.OperationState.succeeded
    workloads = {e.workload.microservice for e in mine if e.type == meshorch.EventType.workload}
    assert workloads == {"web", "cart"}
    for e in mine:
        assert e.service == "shop"
        assert e.time > 1.6e9
        assert e.datetime.tzinfo is not None
        assert str(e)
        assert (e.workload is None) == (e.type != meshorch.EventType.workload)
    assert mine[0] == mine[0]


def test_no_event_after_cancel(slow_orch):
    seen = []
    sub = slow_orch.subscribe(seen.append)
    op = slow_orch.deploy(SHOP)
    while not seen:
        op.wait(timeout=0.01)
    sub.cancel()
    count = len(seen)
    op.result(timeout=60)
    assert len(seen) == count
    sub.cancel()  # idempotent


def test_exceptions_in_callbacks_do_not_stop_the_operation(orch, monkeypatch):
    import sys

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: reported.append(info.exc_value))

    def broken(event):
        raise RuntimeError("callback bug")

    with orch.subscribe(broken):
        orch.deploy(SHOP).result(timeout=60)
    assert reported and isinstance(reported[0], RuntimeError)


def test_event_stream_until_the_operation_ends(orch):
    with orch.events() as stream:
        op = orch.deploy(SHOP)
        events = list(stream.until(op, timeout=60))
    assert events
    assert all(e.operation_id == op.id for e in events)
    last = [e for e in events if e.type == meshorch.EventType.operation][-1]
    assert last.operation_state == meshorch.OperationState.succeeded
    assert stream.closed


def test_event_stream_iteration_ends_when_idle(orch):
    stream = orch.events(timeout=0.5)
    orch.deploy(SHOP).result(timeout=60)
    events = list(stream)  # stops 0.5 s after the last event
    stream.close()
    assert events
    assert stream.get(timeout=0) is None


def test_event_stream_async_iteration(orch):
    async def main():
        with orch.events(timeout=1) as stream:
            op = orch.deploy(SHOP)
            seen = []
            async for event in stream:
                seen.append(event)
                if (event.operation_id == op.id and event.type == meshorch.EventType.operation
                        and event.operation_state.terminal):
                    break
            return op, seen

    op, seen = asyncio.run(main())
    assert seen[-1].operation_state == meshorch.OperationState.succeeded


def test_states_have_names():
    assert meshorch.OperationState.rolled_back.label == "RolledBack"
    assert meshorch.OperationState.succeeded.terminal
    assert not meshorch.OperationState.configuring.terminal
    assert meshorch.is_terminal(meshorch.OperationState.failed)
    assert meshorch.WorkloadState.in_mesh.label == "InMesh"
    assert meshorch.OperationKind.reconfigure.label == "reconfigure"


def test_workload_id_is_a_value_type():
    a = meshorch.WorkloadId("reviews", "v1", 1)
    assert a == meshorch.WorkloadId(microservice="reviews", version="v1", instance=1)
    assert str(a) == "reviews/v1#1"
    assert len({a, meshorch.WorkloadId("reviews", "v1", 1)}) == 1
    assert meshorch.WorkloadId("a", "v1") < meshorch.WorkloadId("b", "v1")
    assert "reviews" in repr(a)


@pytest.mark.parametrize("threads", [1, 4])
def test_callbacks_hold_the_gil_consistently(threads):
    counter = {"n": 0}

    def bump(event):
        counter["n"] += 1  # not atomic without the GIL

    with meshorch.Orchestrator.simulated(threads=threads) as orch:
        with orch.subscribe(bump):
            for _ in range(3):
                orch.deploy(SHOP).result(timeout=60)
                orch.terminate("shop").result(timeout=60)
    assert counter["n"] > 0
