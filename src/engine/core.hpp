// Internal: the orchestrator's shared machinery: threads, strands, the ports with their
// in-flight limits, service status, the operation table and the event bus.
#pragma once

#include <meshorch/orchestrator.hpp>

#include "engine/async.hpp"
#include "engine/caller_executor.hpp"
#include "engine/token_keeper.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace spdlog {
class logger;
}

namespace meshorch {

struct Operation::Shared {
    std::string id;
    OperationKind kind = OperationKind::deploy;
    std::string service;
    CancelSource cancel;  // Operation::cancel(): the operation stops and rolls back
    CancelSource abort;   // orchestrator shutdown: the rollback stops too

    mutable std::mutex mutex;
    mutable std::condition_variable cv;
    OperationState state = OperationState::pending;
    bool done = false;
    std::optional<Error> error;
    std::vector<std::function<void(const Operation&)>> callbacks;
};

namespace engine {

class Run;

inline std::string namespace_of(const ServiceSpec& spec) {
    return spec.namespace_.empty() ? spec.name : spec.namespace_;
}

// What an operation is asked to do.
struct Request {
    OperationKind kind = OperationKind::deploy;
    std::string service;
    std::optional<ServiceSpec> spec;  // deploy, reconfigure
    WorkloadId workload;              // heal
};

struct ServiceEntry {
    ServiceStatus status;
    std::map<WorkloadId, WorkloadStatus> workloads;
    std::shared_ptr<Operation::Shared> active;  // the running operation, if any
};

// The VNF that runs one version of a service's microservice: "<service>-<microservice>-<version>".
inline std::string vnf_name_of(const std::string& service, const std::string& microservice,
                               const std::string& version) {
    return service + "-" + microservice + "-" + version;
}

// The workloads a record says are in the mesh: every container version, and every VM it has
// observed, of its applied spec. What a service's status lists after a successful operation,
// also when the operation was resumed and did not itself create them.
std::map<WorkloadId, WorkloadStatus> recorded_workloads(const ServiceRecord& record);

class Core {
public:
    Core(Backends backends, OrchestratorOptions options);
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    // Cancels what runs, waits (bounded), stops the threads. Idempotent.
    void shutdown();
    // Like shutdown(), but running operations stop where they are without undoing anything:
    // their journals stay in the store, and an orchestrator started on it resumes them.
    void suspend();
    bool suspending() const noexcept { return suspending_.load(); }

    // ---- used by the public API
    Result<Operation> begin(Request request);
    std::optional<ServiceStatus> status(const std::string& service) const;
    std::vector<ServiceStatus> services() const;
    std::optional<Operation> operation(const std::string& id) const;
    SubscriptionId subscribe(std::function<void(const Event&)> callback);
    void unsubscribe(SubscriptionId id);

    // ---- used by operations
    // Delivers an event to the subscribers, in order, on the event strand.
    void publish(Event event);
    // Whether anyone subscribes: an event no one would receive is not made.
    bool listened() const noexcept {
        return subscribers_count_.load(std::memory_order_acquire) > 0;
    }
    // Ends an operation: after every event published so far is delivered, the service is free
    // again, waiters wake and on_done callbacks run.
    void finish(std::shared_ptr<Operation::Shared> op, OperationState state,
                std::optional<Error> error);
    // Runs `fn` on the service's entry under the lock.
    void update_service(const std::string& service, const std::function<void(ServiceEntry&)>& fn);

    // ---- drift (drift_check.cpp): objects found changed or missing at start are written again
    // by the service's next operation
    void note_drift(const std::string& service, std::set<ObjectKey> keys);
    std::set<ObjectKey> take_drift(const std::string& service);

    // ---- used by background work (the token keeper)
    // Services that exist and have no running operation.
    std::vector<std::string> idle_services() const;
    // Loads the service's record, lets `fn` change it and saves it, all while no operation can
    // start on the service. False when an operation runs (or the engine stops): nothing changed.
    Result<bool> update_record_if_idle(const std::string& service,
                                       const std::function<void(ServiceRecord&)>& fn);

    // The ports and their in-flight limits.
    std::shared_ptr<VnfManager> vnfm;
    std::shared_ptr<Cluster> cluster;
    std::shared_ptr<SidecarInjector> injector;
    std::shared_ptr<StateStore> store;
    const OrchestratorOptions options;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<Registry> registry = std::make_shared<Registry>();
    Semaphore vnfm_slots;
    Semaphore cluster_slots;
    Semaphore injector_slots;

private:
    void deliver_pending();  // on the event strand: every event published so far
    // A new strand on the engine's threads, or on the caller's executor.
    Executor new_strand();
    void complete(const std::shared_ptr<Operation::Shared>& op, OperationState state,
                  std::optional<Error> error);
    std::string next_operation_id();

    std::unique_ptr<asio::io_context> io_;
    // Set when the caller provides the executor: io_'s one thread then only keeps time.
    std::shared_ptr<Handoff> handoff_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    std::optional<Executor> events_;

    mutable std::mutex mutex_;
    bool stopping_ = false;
    std::map<std::string, ServiceEntry> services_;
    std::map<std::string, std::set<ObjectKey>> drifted_;
    std::map<std::string, std::shared_ptr<Operation::Shared>> operations_;  // running + recent
    std::deque<std::string> finished_;  // ids of finished operations, oldest first
    std::uint64_t op_counter_ = 0;
    std::condition_variable idle_cv_;  // an operation finished

    std::mutex pending_events_mutex_;
    std::vector<Event> pending_events_;  // published, not yet delivered
    std::mutex subscribers_mutex_;
    std::map<SubscriptionId, std::shared_ptr<std::function<void(const Event&)>>> subscribers_;
    std::atomic<std::size_t> subscribers_count_ = 0;  // subscribers_.size(), read without the lock
    SubscriptionId next_subscription_ = 1;
    std::recursive_mutex delivery_mutex_;  // held while callbacks run (unsubscribe waits on it)

    std::mutex shutdown_mutex_;
    bool shut_down_ = false;
    std::atomic<bool> suspending_{false};
    // Journaled operations found in the store at start, resumed once the threads run.
    std::vector<std::pair<std::shared_ptr<Operation::Shared>, Request>> to_resume_;
    std::vector<ServiceRecord> to_check_;  // Ready services found at start: drift is looked for

    TokenKeeper token_keeper_{*this};
};

}  // namespace engine
}  // namespace meshorch
