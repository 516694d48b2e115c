"""Deploy, reconfigure and terminate on the simulated infrastructure."""

import pytest

import meshorch
from conftest import BOOKINFO, SHOP, shop_with_weights


def test_deploy_then_terminate_leaves_nothing(orch, shop):
    op = orch.deploy(shop)
    assert isinstance(op, meshorch.Operation)
    assert op.kind == meshorch.OperationKind.deploy and op.service == "shop" and op.id
    assert op.wait(timeout=60)
    assert op.done and op.state == meshorch.OperationState.succeeded
    assert op.result() is None
    assert op.exception() is None

    status = orch.status("shop")
    assert isinstance(status, meshorch.ServiceStatus)
    assert status.phase == meshorch.ServicePhase.ready
    assert status.last_operation_id == op.id
    assert status.last_operation_state == meshorch.OperationState.succeeded
    assert status.applied_objects > 0
    assert len(status.workloads) == 3
    assert all(w.state == meshorch.WorkloadState.ready for w in status.workloads)
    vm = [w for w in status.workloads if w.substrate == meshorch.Substrate.vm]
    assert [(w.microservice, w.version) for w in vm] == [("cart", "v1")]
    assert vm[0].address
    assert orch.services() == [status]
    assert orch.operation(op.id) == op
    assert orch.operation("no-such-id") is None

    snap = orch.world.snapshot()
    assert not snap.empty
    assert len(snap.vnfs) == 3 and len(snap.proxies) == 1
    assert "VirtualService" in {o["kind"] for o in snap.objects}
    assert snap.proxies[0].microservice == "cart"

    done = orch.terminate("shop")
    assert done.kind == meshorch.OperationKind.terminate
    done.result(timeout=60)
    assert orch.world.snapshot().empty
    assert orch.status("shop").phase == meshorch.ServicePhase.terminated


def test_suspend_stops_without_undoing(slow_orch, shop):
    op = slow_orch.deploy(shop)
    assert not op.wait(timeout=0.1)
    slow_orch.suspend()
    assert op.done and op.state == meshorch.OperationState.failed
    assert "suspended" in str(op.exception())
    assert not slow_orch.world.snapshot().empty  # nothing was undone
    with pytest.raises(meshorch.CancelledError):
        slow_orch.terminate("shop")


def test_spec_may_be_text_or_dict(orch, shop):
    orch.deploy(SHOP).result(timeout=60)
    orch.terminate("shop").result(timeout=60)
    orch.deploy(shop.to_dict()).result(timeout=60)


def test_bookinfo_sample_deploys(orch):
    spec = meshorch.load_spec_file(str(BOOKINFO))
    orch.deploy(spec).result(timeout=60)
    status = orch.status("bookinfo")
    # productpage, details, reviews v1 x2 VMs, v2, v3, ratings
    assert len(status.workloads) == 7
    orch.terminate("bookinfo").result(timeout=60)
    assert orch.world.snapshot().empty


def test_reconfigure_moves_traffic(orch):
    orch.deploy(SHOP).result(timeout=60)
    op = orch.reconfigure(shop_with_weights(0, 100))
    assert op.kind == meshorch.OperationKind.reconfigure
    op.result(timeout=60)
    vs = [o for o in orch.world.snapshot().objects
          if o["kind"] == "VirtualService" and o["metadata"]["name"] == "cart"]
    weights = [d["weight"] for r in vs[0]["spec"]["http"] for d in r["route"]]
    assert 100 in weights


def test_bad_spec_and_unknown_service_raise(orch):
    with pytest.raises(meshorch.SpecError):
        orch.deploy(SHOP.replace("to: cart", "to: nowhere"))
    with pytest.raises(meshorch.ParseError):
        orch.deploy("{")
    with pytest.raises(meshorch.NotFoundError):
        orch.terminate("nothing-here")
    with pytest.raises(meshorch.NotFoundError):
        orch.status("nothing-here")
    assert orch.world.snapshot().empty


def test_second_operation_on_a_busy_service_is_refused(slow_orch):
    op = slow_orch.deploy(SHOP)
    with pytest.raises(meshorch.BusyError):
        slow_orch.deploy(SHOP)
    op.result(timeout=60)


def test_cancel_rolls_back(slow_orch):
    op = slow_orch.deploy(SHOP)
    assert not op.wait(timeout=0.001)
    with pytest.raises(meshorch.TimeoutError):
        op.result(timeout=0.001)
    op.cancel()
    with pytest.raises(meshorch.CancelledError) as info:
        op.result(timeout=60)
    assert info.value.code == meshorch.ErrorCode.cancelled
    assert op.state == meshorch.OperationState.rolled_back
    assert isinstance(op.exception(), meshorch.CancelledError)
    assert slow_orch.world.snapshot().empty


def test_backend_failure_raises_its_error_after_rollback(orch):
    orch.world.script("vnf_instantiate", fault=meshorch.FaultKind.rejected, match="cart")
    op = orch.deploy(SHOP)
    with pytest.raises(meshorch.Error) as info:
        op.result(timeout=60)
    assert info.value.message
    assert op.state in (meshorch.OperationState.rolled_back, meshorch.OperationState.failed)
    assert orch.status("shop").message
    orch.world.clear_faults()


def test_world_fault_scripting_checks_names(orch):
    with pytest.raises(meshorch.InvalidArgumentError):
        orch.world.script("vnf_explode")
    with pytest.raises(meshorch.InvalidArgumentError):
        orch.world.script("k8s_apply", fault="gremlins")
    with pytest.raises(meshorch.InvalidArgumentError):
        orch.world.script(meshorch.CallKind.k8s_apply, nth=0)
    orch.world.script(meshorch.CallKind.k8s_apply, fault="unavailable", repeat=2)
    orch.world.clear_faults()
    with pytest.raises(meshorch.InvalidArgumentError):
        orch.world.set_fault_probability(2.0)


def test_call_counts(orch):
    orch.world.reset_call_counts()
    orch.deploy(SHOP).result(timeout=60)
    counts = orch.world.call_counts()
    assert counts["vnf_create"] == 3
    assert counts["k8s_apply"] > 0


def test_on_done_is_called_once(orch):
    import threading

    called = []
    ended = threading.Event()

    def done(op):
        called.append(op.state)
        ended.set()

    op = orch.deploy(SHOP)
    op.on_done(done)
    assert ended.wait(60)
    assert called == [meshorch.OperationState.succeeded]
    op.on_done(done)  # already ended: at once, on this thread
    assert len(called) == 2


def test_closed_orchestrator_refuses_calls():
    orch = meshorch.Orchestrator.simulated()
    op = orch.deploy(SHOP)
    orch.close()
    assert orch.closed
    assert op.done  # close cancels and waits
    with pytest.raises(meshorch.InvalidArgumentError):
        orch.deploy(SHOP)
    orch.close()  # idempotent
    assert "closed" in repr(orch)


def test_orchestrator_on_a_shared_world():
    world = meshorch.World.create(seed=7)
    with meshorch.Orchestrator.simulated(world=world) as a:
        a.deploy(SHOP).result(timeout=60)
    assert not world.snapshot().empty  # the world outlives its orchestrator
    with meshorch.Orchestrator.simulated(world=world) as b:
        assert b.world is not None


def test_bad_options_raise():
    with pytest.raises(meshorch.InvalidArgumentError):
        meshorch.Orchestrator.simulated(fault_probability=1.5)
    with pytest.raises(meshorch.InvalidArgumentError):
        meshorch.Orchestrator.simulated(threads=0)
    with pytest.raises(meshorch.InvalidArgumentError):
        meshorch.Orchestrator.simulated(latency_ms=-1)
    with pytest.raises(TypeError):
        meshorch.Orchestrator.simulated(5)  # keyword-only


def test_operation_value_semantics(orch):
    op = orch.deploy(SHOP)
    same = orch.operation(op.id)
    assert same == op and hash(same) == hash(op)
    op.result(timeout=60)
    assert op.id in repr(op) and "Succeeded" in repr(op)
    assert "shop" in repr(orch.status("shop"))
