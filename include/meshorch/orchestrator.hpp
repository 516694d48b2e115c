// The orchestrator: runs deploy / reconfigure / terminate / heal operations on services as
// asynchronous state machines over the ports, and reports every step as an event.
//
// Thread safety: every member function may be called from any thread. Event callbacks run on
// the orchestrator's threads (or on the caller's executor, OrchestratorOptions::executor); they
// must not block for long and may call back into the orchestrator (except destroying it, and
// waiting for an operation: events and the end of operations are delivered by the same serial
// queue, so waiting there never returns).
//
// Concurrency: one operation per service at a time; a second one on the same service is
// refused with Errc::busy (not queued). Operations on different services run concurrently.
// Events of one operation reach every subscriber in order, one callback at a time, and an
// operation's final event is delivered before Operation::wait() returns.
//
// Restart: with a durable store (SqliteStateStore, EtcdStateStore) every operation journals its
// progress in the service's record before each step that depends on it. An orchestrator
// created on a store that holds the journal of an unfinished operation (its process died or
// was suspended) resumes it at once under the same id: steps are idempotent, VNFs whose
// creation was under way are found by name and adopted, objects are written again.
//
// Failures: deploy and reconfigure roll back what they did (RolledBack, with the original
// error as result()); when the rollback itself fails the operation ends Failed and its message
// (and ServiceStatus::message) lists what remains: object keys, VNFs with ids, VMs with proxies.
// Terminate and heal do not roll back: they end Failed with what remains, and can be retried.
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

// An executor the caller provides: called from any thread with a task, it must run the task
// later (never inside the call itself) on a thread of the caller's, and must not throw. A task
// it never runs must at least be destroyed.
using TaskExecutor = std::function<void(std::function<void()> task)>;

struct OrchestratorOptions {
    int threads = 2;  // engine threads; unused when `executor` is set
    // Empty: the orchestrator runs on `threads` threads of its own. Set: every step of every
    // operation and every event callback runs on this executor, and the orchestrator starts
    // one thread only, which keeps time (timers and call deadlines) and runs no step itself.
    // The executor must keep running tasks until the orchestrator is destroyed: the destructor
    // waits for the tasks handed to it (so it must not be called from a thread the executor
    // needs to make progress, nor may an operation be waited for on one).
    TaskExecutor executor;
    int max_in_flight_per_backend = 32;  // concurrent calls per port
    std::chrono::milliseconds operation_deadline{std::chrono::minutes(30)};
    std::chrono::milliseconds call_timeout{std::chrono::seconds(60)};  // per backend call
    std::chrono::milliseconds poll_interval{std::chrono::seconds(2)};  // LCM op, readiness
    BackoffPolicy backoff;
    std::chrono::seconds token_lifetime{std::chrono::hours(1)};  // VM proxy bootstrap token
    // The token keeper replaces a VM proxy's token once this fraction of its lifetime has
    // passed (kubelet does the same for projected tokens at 80%), so certificate rotation on the
    // VM never meets an expired token.
    double token_refresh_fraction = 0.8;
    // How often the token keeper looks. Zero: a twentieth of token_lifetime, within [1 s, 60 s].
    std::chrono::milliseconds token_check_interval{0};
    std::string istiod_address = "istiod.istio-system.svc:15012";
    // The IP a VM reaches istiod at (the east-west gateway): the VMs' hosts file maps the istiod
    // host name to it. Empty: the VMs resolve istiod themselves (empty hosts file).
    std::string istiod_ip;
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
    // Asks the operation to stop; it rolls back what it did and ends rolled_back (a terminate
    // or heal stops and ends failed). In-flight backend calls see the cancel at once.
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
    // Throws std::invalid_argument when a port is missing and std::runtime_error when the store
    // cannot be read (a corrupt durable store is never taken as an empty one).
    Orchestrator(Backends backends, OrchestratorOptions options = {});
    // Cancels running operations and waits for them to roll back (10 s, then their rollbacks
    // are cut short and they end failed; 15 s at most), then stops the threads. With a caller's
    // executor it then waits (15 s at most) until that executor has run or dropped every task
    // handed to it; past that it leaks the engine's state rather than free what a task may use.
    ~Orchestrator();
    Orchestrator(const Orchestrator&) = delete;
    Orchestrator& operator=(const Orchestrator&) = delete;

    // Stops without undoing: running operations stop at their next step and keep their journal
    // in the store; an orchestrator started later on the same (durable) store finishes them
    // under the same operation ids. Their handles here end Failed with Errc::cancelled. Then
    // the engine stops; only status queries work afterwards. For a graceful restart (SIGTERM)
    // of a process whose store outlives it; with the in-memory store the journals are lost.
    void suspend();

    // Each returns the operation, or Errc::busy when another operation runs on the same service
    // (a second operation is refused, not queued), or Errc::not_found / invalid_argument.
    // deploy: invalid_argument when the service is deployed already (use reconfigure); an
    //   invalid spec is reported by the operation (Failed, Errc::invalid_spec with every field).
    // reconfigure: not_found unless the service is deployed. A version is immutable except for
    //   its instance count (add a new version instead): otherwise Failed, Errc::invalid_spec.
    // terminate: not_found when the orchestrator's store has no record of the service.
    Result<Operation> deploy(const ServiceSpec& spec);
    Result<Operation> reconfigure(const ServiceSpec& spec);
    Result<Operation> terminate(const std::string& service);
    // Re-creates or re-injects one workload (a VM whose proxy or VNFC failed): the proxy is
    // re-installed first; when that fails the VNFC is healed through the VNF manager, the proxy
    // goes on the new VM and its WorkloadEntry follows the new address. Container workloads are
    // Kubernetes' to heal (invalid_argument).
    Result<Operation> heal(const std::string& service, const WorkloadId& workload);

    // A service this orchestrator knows (also a terminated one, until the next deploy).
    std::optional<ServiceStatus> status(const std::string& service) const;
    // The services that exist (terminated ones left out).
    std::vector<ServiceStatus> services() const;
    std::optional<Operation> operation(const std::string& operation_id) const;

    SubscriptionId subscribe(std::function<void(const Event&)> callback);
    // After it returns the callback is not running and will not run again (called from inside
    // a callback: not after the event being delivered).
    void unsubscribe(SubscriptionId id);

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace meshorch
