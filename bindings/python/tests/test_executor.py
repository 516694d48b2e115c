"""The orchestrator on the caller's executor: every step and event callback runs where the
caller says, an asyncio loop or a thread of its own."""

import asyncio
import queue
import threading

import pytest

import meshorch
from conftest import SHOP


class OneThread:
    """A minimal executor: one thread running what it is handed, in order."""

    def __init__(self):
        self.tasks = queue.Queue()
        self.ran = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def __call__(self, run):
        self.tasks.put(run)

    def _run(self):
        while True:
            run = self.tasks.get()
            if run is None:
                return
            run()
            self.ran += 1

    def stop(self):
        self.tasks.put(None)
        self.thread.join()


def test_steps_and_events_run_on_the_executors_thread():
    executor = OneThread()
    seen = set()
    try:
        with meshorch.Orchestrator.simulated(executor=executor) as orch:
            orch.subscribe(lambda event: seen.add(threading.get_ident()))
            for start in (lambda: orch.deploy(SHOP), lambda: orch.terminate("shop")):
                op = start()
                op.result(timeout=60)
                assert op.state == meshorch.OperationState.succeeded
            assert orch.world.snapshot().empty
    finally:
        executor.stop()
    assert seen == {executor.thread.ident}
    assert executor.ran > 20


def test_an_asyncio_loop_runs_the_steps():
    async def main():
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()
        seen = set()
        orch = meshorch.Orchestrator.simulated(executor=loop.call_soon_threadsafe)
        orch.subscribe(lambda event: seen.add(threading.get_ident()))
        await orch.deploy(SHOP)
        await orch.terminate("shop")
        empty = orch.world.snapshot().empty
        # close() waits for the loop to run the last steps: not on the loop itself.
        await loop.run_in_executor(None, orch.close)
        return seen, loop_thread, empty

    seen, loop_thread, empty = asyncio.run(main())
    assert seen == {loop_thread}
    assert empty


def test_an_executor_must_be_callable():
    with pytest.raises(meshorch.InvalidArgumentError, match="executor must be callable"):
        meshorch.Orchestrator.simulated(executor=42)
