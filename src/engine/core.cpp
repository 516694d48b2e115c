#include "engine/core.hpp"

#include "engine/drift_check.hpp"
#include "engine/run.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>
#include <stdexcept>

namespace meshorch::engine {

namespace {

constexpr std::size_t kept_finished_operations = 1024;
constexpr auto shutdown_grace = std::chrono::seconds(10);       // cancelled operations roll back
constexpr auto shutdown_abort_grace = std::chrono::seconds(5);  // then rollbacks are cut short
// Then the caller's executor runs (or drops) the engine's last tasks.
constexpr auto handoff_grace = std::chrono::seconds(15);

std::shared_ptr<spdlog::logger> engine_logger() {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto l = spdlog::get("engine")) return l;
    try {
        return spdlog::stderr_color_mt("engine");
    } catch (const spdlog::spdlog_ex&) {
        return spdlog::get("engine");
    }
}

ServicePhase phase_of(OperationKind kind) {
    switch (kind) {
        case OperationKind::deploy: return ServicePhase::deploying;
        case OperationKind::reconfigure: return ServicePhase::reconfiguring;
        case OperationKind::terminate: return ServicePhase::terminating;
        case OperationKind::heal: return ServicePhase::ready;
    }
    return ServicePhase::deploying;
}

// The status a service has when the orchestrator starts and finds its record in the store.
ServiceEntry entry_from_record(const ServiceRecord& record) {
    ServiceEntry e;
    e.status.name = record.name;
    e.status.applied_objects = record.applied_objects.size();
    if (record.applied_spec) {
        e.status.namespace_ = namespace_of(*record.applied_spec);
        e.status.phase = ServicePhase::ready;
        e.workloads = recorded_workloads(record);
    } else {
        e.status.phase = ServicePhase::failed;
        e.status.message =
            "an earlier operation left objects or VNFs behind; terminate the service";
    }
    return e;
}

}  // namespace

std::map<WorkloadId, WorkloadStatus> recorded_workloads(const ServiceRecord& record) {
    std::map<WorkloadId, WorkloadStatus> out;
    if (!record.applied_spec) return out;
    const ServiceSpec& spec = *record.applied_spec;
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            auto vnf_it = record.vnfs.find(vnf_name_of(spec.name, ms.name, v.name));
            auto add = [&](WorkloadStatus w) {
                w.state = WorkloadState::ready;
                if (vnf_it != record.vnfs.end()) w.vnf_id = vnf_it->second;
                out[w.id] = std::move(w);
            };
            if (v.substrate() == Substrate::container) {
                WorkloadStatus w;
                w.id = {ms.name, v.name, 0};
                w.substrate = Substrate::container;
                add(std::move(w));
                continue;
            }
            auto obs = record.observed.vms.find({ms.name, v.name});
            if (obs == record.observed.vms.end()) continue;
            for (std::size_t i = 0; i < obs->second.size(); ++i) {
                WorkloadStatus w;
                w.id = {ms.name, v.name, static_cast<int>(i)};
                w.substrate = Substrate::vm;
                w.server_id = obs->second[i].server_id;
                w.address = obs->second[i].address;
                add(std::move(w));
            }
        }
    }
    return out;
}

Core::Core(Backends backends, OrchestratorOptions opts)
    : vnfm(std::move(backends.vnf_manager)),
      cluster(std::move(backends.cluster)),
      injector(std::move(backends.injector)),
      store(std::move(backends.store)),
      options(std::move(opts)),
      log(engine_logger()),
      vnfm_slots(options.max_in_flight_per_backend),
      cluster_slots(options.max_in_flight_per_backend),
      injector_slots(options.max_in_flight_per_backend) {
    if (!vnfm || !cluster || !injector) {
        throw std::invalid_argument(
            "meshorch::Orchestrator: Backends needs a vnf_manager, a cluster and an injector");
    }
    if (!store) store = std::make_shared<MemoryStateStore>();

    // Services the store already knows (a durable store after a restart). A record that cannot
    // be read stops the start: going on would forget what exists for that service.
    auto names = store->list();
    if (!names.ok()) {
        throw std::runtime_error("meshorch::Orchestrator: cannot list the stored services: " +
                                 names.error().message);
    }
    for (const auto& name : *names) {
        auto record = store->load(name);
        if (!record.ok()) {
            throw std::runtime_error(
                "meshorch::Orchestrator: cannot read the record of service \"" + name +
                "\": " + record.error().message);
        }
        if (!*record) continue;
        ServiceEntry entry = entry_from_record(**record);
        if (const auto& journal = (*record)->operation) {
            // An operation a previous process did not finish: it goes on under its own id.
            auto op = std::make_shared<Operation::Shared>();
            op->id = journal->id;
            op->kind = journal->kind;
            op->service = name;
            Request request;
            request.kind = journal->kind;
            request.service = name;
            request.spec = journal->target;
            request.workload = journal->workload;
            entry.active = op;
            if (journal->target) entry.status.namespace_ = namespace_of(*journal->target);
            entry.status.phase = phase_of(journal->kind);
            entry.status.last_operation_id = op->id;
            entry.status.last_operation_kind = journal->kind;
            entry.status.last_operation_state = journal->state;
            entry.status.message.clear();
            operations_[op->id] = op;
            to_resume_.emplace_back(op, std::move(request));
        } else if ((*record)->applied_spec) {
            to_check_.push_back(std::move(**record));
        }
        services_.emplace(name, std::move(entry));
    }

    // On the caller's executor the engine's own thread only waits for timers.
    const int threads = options.executor ? 1 : std::max(1, options.threads);
    io_ = std::make_unique<asio::io_context>(threads);
    if (options.executor) handoff_ = std::make_shared<Handoff>(*io_, options.executor);
    work_.emplace(io_->get_executor());
    // The registry closes before the io_context goes, and wakes no watchdog once closed.
    registry->set_waker(
        [this] { asio::co_spawn(io_->get_executor(), watch_calls(registry), asio::detached); });
    events_.emplace(new_strand());
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([this] {
            for (;;) {
                try {
                    io_->run();
                    return;
                } catch (const std::exception& e) {
                    log->error("engine thread: unexpected exception: {}", e.what());
                }
            }
        });
    }
    token_keeper_.start(new_strand());
    for (auto& [op, request] : to_resume_) {
        log->info("[{} {}] resuming the {} a previous process left in flight", op->id, op->service,
                  to_string(op->kind));
        Run::spawn(std::make_shared<Run>(*this, op, std::move(request), true), new_strand());
    }
    to_resume_.clear();
    for (auto& record : to_check_) {
        start_drift_check(*this, std::move(record), new_strand());
    }
    to_check_.clear();
}

Core::~Core() {
    shutdown();
}

void Core::suspend() {
    suspending_ = true;
    shutdown();
}

void Core::shutdown() {
    {
        std::lock_guard lock(shutdown_mutex_);
        if (shut_down_) return;
        shut_down_ = true;
    }
    std::vector<std::shared_ptr<Operation::Shared>> running;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (auto& [name, entry] : services_) {
            if (entry.active) running.push_back(entry.active);
        }
    }
    auto idle = [this] {
        for (const auto& [name, entry] : services_) {
            if (entry.active) return false;
        }
        return true;
    };
    if (!running.empty()) {
        if (suspending_) {
            log->info("suspending {} running operation(s): they resume on the next start",
                      running.size());
        } else {
            log->info("shutting down: cancelling {} running operation(s)", running.size());
        }
        for (auto& op : running) {
            op->cancel.cancel();
            if (suspending_) op->abort.cancel();  // no rollback either
        }
        std::unique_lock lock(mutex_);
        if (!idle_cv_.wait_for(lock, shutdown_grace, idle)) {
            lock.unlock();
            log->warn("shutting down: rollbacks still running; cutting them short");
            for (auto& op : running) op->abort.cancel();
            lock.lock();
            idle_cv_.wait_for(lock, shutdown_abort_grace, idle);
        }
    }

    // Let the event strand deliver what is queued.
    {
        std::mutex m;
        std::condition_variable cv;
        bool flushed = false;
        asio::post(*events_, [&] {
            std::lock_guard lock(m);
            flushed = true;
            cv.notify_all();
        });
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::seconds(2), [&] { return flushed; });
    }

    token_keeper_.stop();
    work_.reset();
    io_->stop();
    for (auto& t : threads_) {
        if (t.get_id() == std::this_thread::get_id()) {
            t.detach();  // destroyed from an engine thread (documented as not allowed)
        } else if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
    registry->abandon_all();

    // Operations that never ended (a backend that ignores cancels): end them now.
    std::vector<std::shared_ptr<Operation::Shared>> unfinished;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, op] : operations_) {
            std::lock_guard op_lock(op->mutex);
            if (!op->done) unfinished.push_back(op);
        }
    }
    for (auto& op : unfinished) {
        complete(op, OperationState::failed,
                 make_error(Errc::cancelled,
                            "the orchestrator was destroyed before the operation ended"));
    }
    if (handoff_ && !handoff_->wait_until_idle(handoff_grace)) {
        log->error(
            "shutting down: the caller's executor still holds engine tasks after {} s; "
            "the engine's state is left allocated rather than freed under them",
            handoff_grace.count());
        handoff_->abandon();  // what it still holds would use this engine: never run it
        (void)io_.release();  // on purpose: destroying it would destroy what those tasks hold
        return;
    }
    events_.reset();
    io_.reset();  // destroys what is left of the coroutines while the rest is alive
}

Executor Core::new_strand() {
    if (handoff_) return asio::strand<CallerExecutor>(CallerExecutor(handoff_));
    return asio::make_strand(*io_);
}

std::string Core::next_operation_id() {
    static std::atomic<std::uint32_t> salt = [] {
        std::random_device rd;
        return static_cast<std::uint32_t>(rd());
    }();
    char buf[32];
    std::snprintf(buf, sizeof buf, "op-%06llu-%04x", static_cast<unsigned long long>(++op_counter_),
                  static_cast<unsigned>(salt.fetch_add(0x9e37) & 0xffffu));
    return buf;
}

Result<Operation> Core::begin(Request request) {
    std::shared_ptr<Operation::Shared> op;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return make_error(Errc::cancelled, "the orchestrator is shutting down");
        if (request.service.empty()) {
            return make_error(Errc::invalid_argument, "a service name is required");
        }
        const std::string& name = request.service;

        auto it = services_.find(name);
        if (it != services_.end() && it->second.active) {
            const auto& active = it->second.active;
            return make_error(Errc::busy, "service \"" + name + "\" is busy: operation " +
                                              active->id + " (" + to_string(active->kind) +
                                              ") is running");
        }

        auto loaded = store->load(name);
        if (!loaded.ok()) return loaded.error();
        const std::optional<ServiceRecord>& record = *loaded;
        const bool deployed = record && record->applied_spec;
        switch (request.kind) {
            case OperationKind::deploy:
                if (deployed) {
                    return make_error(Errc::invalid_argument,
                                      "service \"" + name +
                                          "\" is already deployed; use reconfigure to change it");
                }
                break;
            case OperationKind::reconfigure:
                if (!deployed) {
                    return make_error(Errc::not_found,
                                      "service \"" + name + "\" is not deployed; deploy it first");
                }
                break;
            case OperationKind::terminate:
                if (!record) {
                    return make_error(Errc::not_found, "service \"" + name + "\" does not exist");
                }
                break;
            case OperationKind::heal: {
                if (!deployed) {
                    return make_error(Errc::not_found, "service \"" + name + "\" is not deployed");
                }
                const WorkloadId& w = request.workload;
                const Microservice* ms = record->applied_spec->find_microservice(w.microservice);
                const Version* v = ms ? ms->find_version(w.version) : nullptr;
                if (!v) {
                    return make_error(Errc::not_found,
                                      "service \"" + name + "\" has no workload " + w.to_string());
                }
                if (v->substrate() != Substrate::vm) {
                    return make_error(Errc::invalid_argument,
                                      "workload " + w.to_string() +
                                          " runs in containers: Kubernetes heals its pods");
                }
                auto obs = record->observed.vms.find({w.microservice, w.version});
                if (w.instance < 0 || obs == record->observed.vms.end() ||
                    static_cast<std::size_t>(w.instance) >= obs->second.size()) {
                    return make_error(Errc::not_found,
                                      "service \"" + name + "\" has no workload " + w.to_string());
                }
                break;
            }
        }

        op = std::make_shared<Operation::Shared>();
        op->id = next_operation_id();
        op->kind = request.kind;
        op->service = name;

        ServiceEntry& entry = services_[name];
        entry.active = op;
        entry.status.name = name;
        if (request.spec) entry.status.namespace_ = namespace_of(*request.spec);
        entry.status.phase = phase_of(request.kind);
        entry.status.last_operation_id = op->id;
        entry.status.last_operation_kind = request.kind;
        entry.status.last_operation_state = OperationState::pending;
        entry.status.message.clear();
        operations_[op->id] = op;
    }
    auto run = std::make_shared<Run>(*this, op, std::move(request));
    Run::spawn(std::move(run), new_strand());
    return Operation(op);
}

std::optional<ServiceStatus> Core::status(const std::string& service) const {
    std::lock_guard lock(mutex_);
    auto it = services_.find(service);
    if (it == services_.end()) return std::nullopt;
    ServiceStatus s = it->second.status;
    s.workloads.clear();
    for (const auto& [id, w] : it->second.workloads) s.workloads.push_back(w);
    return s;
}

std::vector<ServiceStatus> Core::services() const {
    std::vector<std::string> names;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, entry] : services_) {
            if (entry.status.phase != ServicePhase::terminated || entry.active) {
                names.push_back(name);
            }
        }
    }
    std::vector<ServiceStatus> out;
    for (const auto& name : names) {
        if (auto s = status(name)) out.push_back(std::move(*s));
    }
    return out;
}

std::optional<Operation> Core::operation(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = operations_.find(id);
    if (it == operations_.end()) return std::nullopt;
    return Operation(it->second);
}

SubscriptionId Core::subscribe(std::function<void(const Event&)> callback) {
    std::lock_guard lock(subscribers_mutex_);
    const SubscriptionId id = next_subscription_++;
    subscribers_.emplace(id,
                         std::make_shared<std::function<void(const Event&)>>(std::move(callback)));
    subscribers_count_.store(subscribers_.size(), std::memory_order_release);
    return id;
}

void Core::unsubscribe(SubscriptionId id) {
    {
        std::lock_guard lock(subscribers_mutex_);
        subscribers_.erase(id);
        subscribers_count_.store(subscribers_.size(), std::memory_order_release);
    }
    // Wait for a delivery in progress on another thread (recursive: fine from a callback).
    std::lock_guard wait(delivery_mutex_);
}

void Core::publish(Event event) {
    if (!listened()) return;
    bool first = false;
    {
        std::lock_guard lock(pending_events_mutex_);
        first = pending_events_.empty();
        pending_events_.push_back(std::move(event));
    }
    // One hop to the event strand per batch, not per event: under load many events share it.
    // A batch is taken whole, so an event that finds others queued is delivered with them, in
    // order, and before anything posted to the strand after it (finish()).
    if (first) asio::post(*events_, [this] { deliver_pending(); });
}

void Core::deliver_pending() {
    std::vector<Event> batch;
    {
        std::lock_guard lock(pending_events_mutex_);
        batch.swap(pending_events_);
    }
    std::lock_guard delivering(delivery_mutex_);
    std::vector<std::shared_ptr<std::function<void(const Event&)>>> callbacks;
    for (const Event& event : batch) {
        // Per event: a callback may unsubscribe itself or another one.
        callbacks.clear();
        {
            std::lock_guard lock(subscribers_mutex_);
            for (auto& [id, cb] : subscribers_) callbacks.push_back(cb);
        }
        for (auto& cb : callbacks) {
            try {
                if (*cb) (*cb)(event);
            } catch (const std::exception& e) {
                log->error("[{}] an event subscriber threw: {}", event.operation_id, e.what());
            } catch (...) {
                log->error("[{}] an event subscriber threw", event.operation_id);
            }
        }
    }
}

void Core::update_service(const std::string& service,
                          const std::function<void(ServiceEntry&)>& fn) {
    std::lock_guard lock(mutex_);
    fn(services_[service]);
}

void Core::note_drift(const std::string& service, std::set<ObjectKey> keys) {
    std::lock_guard lock(mutex_);
    drifted_[service].merge(keys);
}

std::set<ObjectKey> Core::take_drift(const std::string& service) {
    std::lock_guard lock(mutex_);
    auto it = drifted_.find(service);
    if (it == drifted_.end()) return {};
    std::set<ObjectKey> keys = std::move(it->second);
    drifted_.erase(it);
    return keys;
}

std::vector<std::string> Core::idle_services() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    if (stopping_) return names;
    for (const auto& [name, entry] : services_) {
        if (!entry.active && entry.status.phase != ServicePhase::terminated) names.push_back(name);
    }
    return names;
}

Result<bool> Core::update_record_if_idle(const std::string& service,
                                         const std::function<void(ServiceRecord&)>& fn) {
    // Holding the lock keeps begin() from starting an operation on the service meanwhile.
    std::lock_guard lock(mutex_);
    auto it = services_.find(service);
    if (stopping_ || it == services_.end() || it->second.active) return false;
    auto record = store->load(service);
    if (!record.ok()) return record.error();
    if (!*record) return false;
    fn(**record);
    if (Status s = store->save(**record); !s.ok()) return s.error();
    return true;
}

void Core::finish(std::shared_ptr<Operation::Shared> op, OperationState state,
                  std::optional<Error> error) {
    asio::post(*events_, [this, op = std::move(op), state, e = std::move(error)]() mutable {
        complete(op, state, std::move(e));
    });
}

void Core::complete(const std::shared_ptr<Operation::Shared>& op, OperationState state,
                    std::optional<Error> error) {
    {
        std::lock_guard lock(mutex_);
        auto it = services_.find(op->service);
        if (it != services_.end() && it->second.active == op) it->second.active.reset();
        finished_.push_back(op->id);
        while (finished_.size() > kept_finished_operations) {
            operations_.erase(finished_.front());
            finished_.pop_front();
        }
    }
    std::vector<std::function<void(const Operation&)>> callbacks;
    {
        std::lock_guard lock(op->mutex);
        if (op->done) return;
        op->state = state;
        op->error = std::move(error);
        op->done = true;
        callbacks.swap(op->callbacks);
    }
    op->cv.notify_all();
    {
        std::lock_guard lock(mutex_);  // pairs with the wait in shutdown()
    }
    idle_cv_.notify_all();
    const Operation handle(op);
    for (auto& cb : callbacks) {
        try {
            cb(handle);
        } catch (const std::exception& e) {
            log->error("[{}] an on_done callback threw: {}", op->id, e.what());
        } catch (...) {
            log->error("[{}] an on_done callback threw", op->id);
        }
    }
}

}  // namespace meshorch::engine
