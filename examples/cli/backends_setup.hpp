// What the commands that run operations share to set up their backends: the simulated
// infrastructure from --latency-ms / --fault-rate / --seed, or the real backends a --backends
// FILE describes. Problems are printed (a usage error, or the file's with path, line, column).
#pragma once

#include "commands.hpp"

#include <meshorch/backends.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>

#include <memory>
#include <optional>
#include <string>

namespace meshorch::cli {

// A simulated world and orchestrator options timed to its latency.
struct Simulation {
    std::shared_ptr<sim::World> world;
    OrchestratorOptions options;
};
std::optional<Simulation> simulation_from(const Command& command, const ParsedArgs& args);

// False (usage error printed) when a simulation flag comes with --backends.
bool simulation_flags_absent(const Command& command, const ParsedArgs& args);

// The configuration in FILE, relative paths resolved against its directory.
std::optional<BackendsConfig> read_backends_config(const std::string& file);

}  // namespace meshorch::cli
