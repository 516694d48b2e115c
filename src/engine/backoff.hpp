// Internal: how long to wait before retry `attempt` of a transient failure (the engine's
// operations and the VM onboarding calls share it).
#pragma once

#include <meshorch/orchestrator.hpp>

#include <chrono>

namespace meshorch::engine {

// Exponential from policy.initial, capped at policy.max, with equal jitter (half fixed, half
// random) so that retries of many operations spread out.
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int attempt);

}  // namespace meshorch::engine
