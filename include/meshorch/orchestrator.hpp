// The orchestrator: runs deploy / reconfigure / terminate / heal operations on services as
// asynchronous state machines over the ports, and reports every step as an event.
//
// Thread safety: every member function may be called from any thread. Event callbacks run on
// the orchestrator's threads; they must not block for long and may call back into the
// orchestrator (except destroying it).
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/state.hpp>
#include <meshorch/store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

struct Backends {
    std::shared_ptr<VnfManager> vnf_manager;
    std::shared_ptr<Cluster> cluster;
    std::shared_ptr<SidecarInjector> injector;
    std::shared_ptr<StateStore> store;  // null: an in-memory store
};

// Exponential backoff for transient errors: initial, doubled per attempt, capped.
struct BackoffPolicy {
    std::chrono::milliseconds initial{200};
    std::chrono::milliseconds max{30'000};
    double multiplier = 2.0;
    int max_attempts = 12;  // per step; then the transient error becomes the operation's failure
};

struct OrchestratorOptions {
    int threads = 2;                                   // engine threads
    int max_in_flight_per_backend = 32;                // concurrent calls per port
    std::chrono::milliseconds operation_deadline{std::chrono::minutes(30)};
    std::chrono::milliseconds call_timeout{std::chrono::seconds(60)};  // per backend call
    std::chrono::milliseconds poll_interval{std::chrono::seconds(2)};  // LCM op, readiness
    BackoffPolicy backoff;
    std::chrono::seconds token_lifetime{std::chrono::hours(1)};  // VM proxy bootstrap token
    std::string istiod_address = "istiod.istio-system.svc:15012";
    std::string cluster_id = "Kubernetes";
    std::string mesh_id = "mesh1";
    std::string network;  // Istio network of the VMs; empty = same network
};

// A handle on one running or finished operation. Cheap to copy; all copies see the same
// operation. Thread-safe.
class Operation {
public:
    Operation() = default;  // an empty handle; valid() is false
    bool valid() const noexcept { return state_ != nullptr; }

    const std::string& id() const;
    OperationKind kind() const;
    const std::string& service() const;
    OperationState state() const;
    bool done() const;

    // Blocks until the operation ends or `timeout` passes; true when it ended.
    bool wait_for(std::chrono::milliseconds timeout) const;
    void wait() const;
    // Asks the operation to stop; it rolls back what it did and ends rolled_back.
    void cancel() const;
    // Ok when succeeded; otherwise the error that ended it (including after a rollback).
    // Before the operation ends: Errc::busy.
    Status result() const;
    // Called once when the operation ends (at once, on this thread, if it already has).
    void on_done(std::function<void(const Operation&)> fn) const;

    struct Shared;  // engine internals
    explicit Operation(std::shared_ptr<Shared> s) : state_(std::move(s)) {}

private:
    std::shared_ptr<Shared> state_;
};

using SubscriptionId = std::uint64_t;

class Orchestrator {
public:
    Orchestrator(Backends backends, OrchestratorOptions options = {});
    ~Orchestrator();  // cancels running operations and waits for them to end
    Orchestrator(const Orchestrator&) = delete;
    Orchestrator& operator=(const Orchestrator&) = delete;

    // Each returns the operation, or Errc::busy when another operation runs on the same service
    // (a second operation is refused, not queued), or Errc::not_found / invalid_argument.
    Result<Operation> deploy(const ServiceSpec& spec);
    Result<Operation> reconfigure(const ServiceSpec& spec);
    Result<Operation> terminate(const std::string& service);
    // Re-creates or re-injects one workload (a VM whose proxy or VNFC failed).
    Result<Operation> heal(const std::string& service, const WorkloadId& workload);

    std::optional<ServiceStatus> status(const std::string& service) const;
    std::vector<ServiceStatus> services() const;
    std::optional<Operation> operation(const std::string& operation_id) const;

    SubscriptionId subscribe(std::function<void(const Event&)> callback);
    void unsubscribe(SubscriptionId id);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace meshorch
