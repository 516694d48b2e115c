// Internal: the drift check an orchestrator runs at start for each Ready service its store knows
// (drift_check.cpp).
#pragma once

#include "engine/core.hpp"

namespace meshorch::engine {

// Compares `record` with what the cluster and the VNF manager hold, on `executor`, and reports
// each difference as an event and in the service's status message.
void start_drift_check(Core& core, ServiceRecord record, Executor executor);

}  // namespace meshorch::engine
