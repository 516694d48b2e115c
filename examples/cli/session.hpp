// What `meshorch deploy` and `meshorch demo` share: an orchestrator on the simulated
// infrastructure or on real backends (--backends FILE), and running one operation with live
// progress.
#pragma once

#include "commands.hpp"
#include "progress.hpp"

#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace meshorch::cli {

// Every simulated command takes --latency-ms N, --fault-rate P, --seed N and --plain.
inline constexpr std::string_view simulation_help =
    "simulated infrastructure:\n"
    "  --latency-ms N    latency of every backend call (default 20; VNF operations take 15x)\n"
    "  --fault-rate P    probability in [0,1] that a backend call fails transiently (default 0);\n"
    "                    the engine retries them with backoff\n"
    "  --seed N          random seed of latency jitter and faults (default 1)\n"
    "  --plain           print one line per event even on a terminal\n";

// `meshorch deploy` also takes --backends FILE.
inline constexpr std::string_view backends_help =
    "real backends:\n"
    "  --backends FILE   run on the Kubernetes cluster, Tacker and VMs that FILE (JSON or YAML)\n"
    "                    describes instead of the simulation: kubernetes.kubeconfig,\n"
    "                    tacker.keystone_url/credentials/vim_ids, injector SSH settings\n"
    "                    (see README, \"Real backends\")\n";

class Session {
public:
    // Reads the simulation options (or --backends); prints a usage error and returns nullptr
    // when they are bad.
    static std::unique_ptr<Session> create(const Command& command, const ParsedArgs& args);

    Orchestrator& orchestrator() { return *orchestrator_; }
    // The simulated world; nullptr on real backends.
    sim::World* world() { return world_.get(); }

    // Prints the title, starts the operation, runs it to its end with live progress and prints
    // the outcome. True on success.
    bool run(const std::string& title, const std::function<Result<Operation>()>& start);
    // Prints the service's status: phase and one line per workload.
    void print_status(const std::string& service);
    // Prints the objects the simulated cluster holds for the service ("Kind namespace/name"
    // lines); on real backends, the objects meshorch applied.
    void print_objects(const std::string& service);

private:
    std::shared_ptr<sim::World> world_;
    std::unique_ptr<Orchestrator> orchestrator_;
    std::shared_ptr<ProgressView> progress_;
    SubscriptionId subscription_ = 0;
};

}  // namespace meshorch::cli
