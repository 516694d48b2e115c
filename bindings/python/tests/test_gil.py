"""Blocking calls release the GIL: other Python threads run while one waits."""

import threading
import time

import meshorch
from conftest import SHOP


def test_python_thread_progresses_while_wait_blocks():
    with meshorch.Orchestrator.simulated(latency_ms=5) as orch:
        stop = threading.Event()
        count = [0]

        def spin():
            while not stop.is_set():
                count[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        try:
            op = orch.deploy(SHOP)
            before = count[0]
            started = time.monotonic()
            assert op.wait(timeout=60)
            elapsed = time.monotonic() - started
            during = count[0] - before
        finally:
            stop.set()
            t.join()
    assert elapsed > 0.02, "the deploy should take a while with 5 ms per call"
    assert during > 1000, f"the spinning thread only ran {during} times in {elapsed:.3f} s"


def test_waits_from_several_threads(orch):
    op = orch.deploy(SHOP)
    results = []

    def waiter():
        results.append(op.wait(timeout=60))

    threads = [threading.Thread(target=waiter) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 4


def test_deploys_from_several_threads_on_distinct_services(orch):
    errors = []

    def deploy(i):
        try:
            orch.deploy(SHOP.replace("name: shop", f"name: shop{i}", 1)).result(timeout=60)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=deploy, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(orch.services()) == 4


def test_closing_with_running_operations_does_not_deadlock():
    orch = meshorch.Orchestrator.simulated(latency_ms=10)
    seen = []
    orch.subscribe(seen.append)  # callbacks need the GIL while close() waits
    op = orch.deploy(SHOP)
    while not seen:
        time.sleep(0.001)
    orch.close()
    assert op.done
