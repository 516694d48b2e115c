// The compiled part of the meshorch Python package: meshorch._meshorch. The package
// (meshorch/__init__.py) re-exports it and adds asyncio and iterator conveniences.
#include "common.hpp"

#ifndef MESHORCH_VERSION_STRING
#define MESHORCH_VERSION_STRING "0.0.0"
#endif

PYBIND11_MODULE(_meshorch, m) {
    namespace mp = meshorch::python;
    m.doc() =
        "meshorch: deploy services whose microservices run on VMs and containers, joined in one "
        "Istio mesh. Bindings of the C++ library (specs, render, orchestrator, events, and the "
        "simulated infrastructure).";
    m.attr("__version__") = MESHORCH_VERSION_STRING;
    mp::bind_errors(m);
    mp::bind_spec(m);
    mp::bind_render(m);
    mp::bind_events(m);
    mp::bind_orchestrator(m);
    mp::bind_onboarding(m);  // after bind_orchestrator: it adds the World's ports
}
