#include <meshorch/orchestrator.hpp>

#include "engine/core.hpp"

#include <stdexcept>

namespace meshorch {

// ---- Operation ------------------------------------------------------------------------------

namespace {

Operation::Shared& checked(const std::shared_ptr<Operation::Shared>& s) {
    if (!s) throw std::logic_error("meshorch::Operation: empty handle");
    return *s;
}

}  // namespace

const std::string& Operation::id() const {
    return checked(state_).id;
}
OperationKind Operation::kind() const {
    return checked(state_).kind;
}
const std::string& Operation::service() const {
    return checked(state_).service;
}

OperationState Operation::state() const {
    auto& s = checked(state_);
    std::lock_guard lock(s.mutex);
    return s.state;
}

bool Operation::done() const {
    auto& s = checked(state_);
    std::lock_guard lock(s.mutex);
    return s.done;
}

bool Operation::wait_for(std::chrono::milliseconds timeout) const {
    auto& s = checked(state_);
    std::unique_lock lock(s.mutex);
    return s.cv.wait_for(lock, timeout, [&] { return s.done; });
}

void Operation::wait() const {
    auto& s = checked(state_);
    std::unique_lock lock(s.mutex);
    s.cv.wait(lock, [&] { return s.done; });
}

void Operation::cancel() const {
    checked(state_).cancel.cancel();
}

Status Operation::result() const {
    auto& s = checked(state_);
    std::lock_guard lock(s.mutex);
    if (!s.done) return make_error(Errc::busy, "operation " + s.id + " has not ended yet");
    if (s.error) return *s.error;
    return Ok{};
}

void Operation::on_done(std::function<void(const Operation&)> fn) const {
    if (!fn) return;
    auto& s = checked(state_);
    {
        std::lock_guard lock(s.mutex);
        if (!s.done) {
            s.callbacks.push_back(std::move(fn));
            return;
        }
    }
    fn(*this);
}

// ---- Orchestrator ---------------------------------------------------------------------------

struct Orchestrator::Impl {
    std::unique_ptr<engine::Core> core;
};

Orchestrator::Orchestrator(Backends backends, OrchestratorOptions options)
    : impl_(std::make_shared<Impl>()) {
    impl_->core = std::make_unique<engine::Core>(std::move(backends), std::move(options));
}

Orchestrator::~Orchestrator() {
    if (impl_ && impl_->core) impl_->core->shutdown();
}

void Orchestrator::suspend() {
    impl_->core->suspend();
}

Result<Operation> Orchestrator::deploy(const ServiceSpec& spec) {
    engine::Request r;
    r.kind = OperationKind::deploy;
    r.service = spec.name;
    r.spec = spec;
    return impl_->core->begin(std::move(r));
}

Result<Operation> Orchestrator::reconfigure(const ServiceSpec& spec) {
    engine::Request r;
    r.kind = OperationKind::reconfigure;
    r.service = spec.name;
    r.spec = spec;
    return impl_->core->begin(std::move(r));
}

Result<Operation> Orchestrator::terminate(const std::string& service) {
    engine::Request r;
    r.kind = OperationKind::terminate;
    r.service = service;
    return impl_->core->begin(std::move(r));
}

Result<Operation> Orchestrator::heal(const std::string& service, const WorkloadId& workload) {
    engine::Request r;
    r.kind = OperationKind::heal;
    r.service = service;
    r.workload = workload;
    return impl_->core->begin(std::move(r));
}

std::optional<ServiceStatus> Orchestrator::status(const std::string& service) const {
    return impl_->core->status(service);
}

std::vector<ServiceStatus> Orchestrator::services() const {
    return impl_->core->services();
}

std::optional<Operation> Orchestrator::operation(const std::string& operation_id) const {
    return impl_->core->operation(operation_id);
}

SubscriptionId Orchestrator::subscribe(std::function<void(const Event&)> callback) {
    return impl_->core->subscribe(std::move(callback));
}

void Orchestrator::unsubscribe(SubscriptionId id) {
    impl_->core->unsubscribe(id);
}

}  // namespace meshorch
