#!/usr/bin/env python3
"""Deploy a service on meshorch's simulated infrastructure, watch its events, print its status,
then terminate it.

    PYTHONPATH=build/python python3 examples/python/deploy.py [spec.yaml]
"""

import pathlib
import sys

import meshorch

DEFAULT_SPEC = pathlib.Path(__file__).resolve().parents[1] / "specs" / "bookinfo-hybrid.yaml"


def show_status(status: meshorch.ServiceStatus) -> None:
    print(f"{status.name} (namespace {status.namespace}): {status.phase.name}, "
          f"{status.applied_objects} objects applied")
    for w in status.workloads:
        where = f" at {w.address}" if w.address else ""
        print(f"  {w.microservice}/{w.version}#{w.instance:<2} {w.substrate.name:<9} "
              f"{w.state.label}{where}")


def run(orch: meshorch.Orchestrator, op: meshorch.Operation, events: meshorch.EventStream) -> None:
    """Prints the operation's events as they come, then raises its error if it failed."""
    for event in events.until(op, timeout=300):
        print(f"  {event}")
    op.result()
    print(f"{op.kind.label} {op.service}: {op.state.label}")


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_SPEC)
    print(f"meshorch {meshorch.__version__}")

    errors = meshorch.validate(open(path, encoding="utf-8").read())
    if errors:
        print(f"{path} is not a valid spec:")
        for e in errors:
            print(f"  {e}")
        return 1
    spec = meshorch.load_spec_file(path)
    print(f"{spec.name}: {', '.join(spec.microservices)}")

    # A little latency per backend call, so the steps interleave as they would for real.
    with meshorch.Orchestrator.simulated(latency_ms=2) as orch, orch.events() as events:
        try:
            run(orch, orch.deploy(spec), events)
            show_status(orch.status(spec.name))
            run(orch, orch.terminate(spec.name), events)
        except meshorch.Error as e:
            print(f"failed: {type(e).__name__}: {e}")
            return 1
        snapshot = orch.world.snapshot()
        if not snapshot.empty:
            print(f"terminate left something behind: {snapshot}")
            return 1
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
