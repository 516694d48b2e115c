"""Operations are awaitable: asyncio code waits without blocking the loop."""

import asyncio

import pytest

import meshorch
from conftest import SHOP


def test_await_returns_the_operation(orch):
    async def main():
        op = orch.deploy(SHOP)
        done = await op
        assert done is op or done == op
        return op

    op = asyncio.run(main())
    assert op.state == meshorch.OperationState.succeeded


def test_await_raises_the_operation_error(orch):
    orch.world.script("vnf_instantiate", fault="rejected", match="cart")

    async def main():
        await orch.deploy(SHOP)

    with pytest.raises(meshorch.Error):
        asyncio.run(main())


def test_the_loop_keeps_running_while_awaiting(slow_orch):
    ticks = []

    async def ticker():
        while True:
            ticks.append(1)
            await asyncio.sleep(0.005)

    async def main():
        t = asyncio.create_task(ticker())
        await slow_orch.deploy(SHOP)
        t.cancel()

    asyncio.run(main())
    assert len(ticks) > 3


def test_cancelling_the_awaiting_task_cancels_the_operation(slow_orch):
    async def main():
        op = slow_orch.deploy(SHOP)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(op, timeout=0.05)
        return op

    op = asyncio.run(main())
    with pytest.raises(meshorch.CancelledError):
        op.result(timeout=60)
    assert op.state == meshorch.OperationState.rolled_back


def test_wait_async_timeout_leaves_the_operation_running(slow_orch):
    async def main():
        op = slow_orch.deploy(SHOP)
        with pytest.raises(meshorch.TimeoutError):
            await op.wait_async(timeout=0.01)
        assert not op.done
        await op.wait_async(timeout=60)
        return op

    op = asyncio.run(main())
    assert op.state == meshorch.OperationState.succeeded


def test_concurrent_awaits_on_two_services(orch):
    other = SHOP.replace("name: shop", "name: shop2", 1)

    async def main():
        a, b = orch.deploy(SHOP), orch.deploy(other)
        await asyncio.gather(a, b)
        return a, b

    a, b = asyncio.run(main())
    assert a.state == b.state == meshorch.OperationState.succeeded
