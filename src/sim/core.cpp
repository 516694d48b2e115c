#include "sim/core.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>

namespace meshorch::sim::detail {

// ---- errors ---------------------------------------------------------------------------------

Backend backend_of(CallKind kind) noexcept {
    switch (kind) {
        case CallKind::vnf_create:
        case CallKind::vnf_instantiate:
        case CallKind::vnf_scale:
        case CallKind::vnf_heal:
        case CallKind::vnf_terminate:
        case CallKind::vnf_delete:
        case CallKind::vnf_get_operation:
        case CallKind::vnf_get:
        case CallKind::vnf_find:
        case CallKind::vnf_resolve: return Backend::vnfm;
        case CallKind::k8s_apply:
        case CallKind::k8s_get:
        case CallKind::k8s_list:
        case CallKind::k8s_remove:
        case CallKind::k8s_token:
        case CallKind::k8s_root_cert:
        case CallKind::k8s_readiness: return Backend::k8s;
        case CallKind::inject:
        case CallKind::inject_refresh:
        case CallKind::inject_remove: return Backend::injector;
    }
    return Backend::injector;
}

namespace {

const char* k8s_reason(int status) noexcept {
    switch (status) {
        case 400: return "BadRequest";
        case 404: return "NotFound";
        case 409: return "Conflict";
        case 422: return "Invalid";
        case 429: return "TooManyRequests";
        case 503: return "ServiceUnavailable";
        case 504: return "Timeout";
        default: return "InternalError";
    }
}

const char* status_title(int status) noexcept {
    switch (status) {
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 409: return "Conflict";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Error";
    }
}

}  // namespace

Error backend_error(Backend backend, Errc code, int http_status, std::string message) {
    Error e = make_error(code, std::move(message));
    e.http_status = http_status;
    if (http_status == 0) return e;
    boost::json::object body;
    if (backend == Backend::vnfm) {  // SOL013 ProblemDetails
        body["title"] = status_title(http_status);
        body["status"] = http_status;
        body["detail"] = e.message;
    } else if (backend == Backend::k8s) {  // metav1.Status
        body["kind"] = "Status";
        body["apiVersion"] = "v1";
        body["status"] = "Failure";
        body["message"] = e.message;
        body["reason"] = k8s_reason(http_status);
        body["code"] = http_status;
    } else {
        return e;
    }
    e.body_excerpt = boost::json::serialize(body);
    if (e.body_excerpt.size() > 512) e.body_excerpt.resize(512);
    return e;
}

Error cancelled_error(const std::string& what) {
    return make_error(Errc::cancelled, what + ": cancelled");
}

Error timeout_error(const std::string& what) {
    return make_error(Errc::timeout, what + ": no answer before the deadline");
}

// ---- registry -------------------------------------------------------------------------------

std::uint64_t Registry::add(std::shared_ptr<PendingBase> call) {
    std::lock_guard lock(mutex_);
    const auto id = next_++;
    calls_.emplace(id, std::move(call));
    return id;
}

void Registry::remove(std::uint64_t id) {
    std::shared_ptr<PendingBase> gone;  // destroyed outside the lock
    std::lock_guard lock(mutex_);
    if (auto it = calls_.find(id); it != calls_.end()) {
        gone = std::move(it->second);
        calls_.erase(it);
    }
}

std::vector<std::shared_ptr<PendingBase>> Registry::take_all() {
    std::vector<std::pair<std::uint64_t, std::shared_ptr<PendingBase>>> taken;
    {
        std::lock_guard lock(mutex_);
        taken.assign(std::make_move_iterator(calls_.begin()),
                     std::make_move_iterator(calls_.end()));
        calls_.clear();
    }
    // In the order the calls were made.
    std::sort(taken.begin(), taken.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::shared_ptr<PendingBase>> out;
    out.reserve(taken.size());
    for (auto& [id, call] : taken) out.push_back(std::move(call));
    return out;
}

// ---- core -----------------------------------------------------------------------------------

std::uint64_t Core::next_random(std::uint64_t& state) noexcept {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double Core::uniform01(std::uint64_t& state) {
    return static_cast<double>(next_random(state) >> 11) * 0x1.0p-53;
}

Core::Core(Options o) : options(std::move(o)) {
    options.threads = std::max(1, options.threads);
    options.fault_probability = std::clamp(options.fault_probability, 0.0, 1.0);
    std::uint64_t seeder = options.seed;
    fault_rng_ = next_random(seeder);
    latency_rng_ = next_random(seeder);
    id_rng_ = next_random(seeder);
    scheduler_ = std::make_unique<Scheduler>(options.threads);
}

Core::~Core() {
    shutdown();
}

void Core::shutdown() {
    {
        std::scoped_lock lock(admission, mutex);
        if (stopped) return;
        stopped = true;
    }
    scheduler_->stop();
    for (auto& call : registry->take_all()) {
        call->fail(cancelled_error(call->what() + ": the simulated world was destroyed"));
    }
}

bool Core::post_at(Clock::time_point when, std::function<void()> task) {
    return scheduler_->post_at(when, std::move(task));
}

void Core::at(Clock::time_point when, std::function<void(Core&)> fn) {
    post_at(when, [weak = weak_from_this(), fn = std::move(fn)] {
        if (auto core = weak.lock()) fn(*core);
    });
}

bool Core::is_transport_fault(FaultKind f) const noexcept {
    return f == FaultKind::unavailable || f == FaultKind::rate_limited ||
           f == FaultKind::conflict || f == FaultKind::rejected;
}

Error Core::fault_error(FaultKind fault, CallKind kind, const std::string& what) const {
    const auto backend = backend_of(kind);
    switch (fault) {
        case FaultKind::unavailable:
            return backend_error(backend, Errc::transient, 503,
                                 what + ": 503 Service Unavailable (simulated fault)");
        case FaultKind::rate_limited:
            return backend_error(backend, Errc::transient, 429,
                                 what + ": 429 Too Many Requests (simulated fault)");
        case FaultKind::conflict:
            return backend_error(backend, Errc::conflict, 409,
                                 what + ": 409 Conflict (simulated fault)");
        case FaultKind::rejected:
            return backend_error(backend, Errc::backend, 422,
                                 what + " rejected: 422 Unprocessable Entity (simulated fault)");
        case FaultKind::timeout: return timeout_error(what);
        case FaultKind::operation_failed:
        case FaultKind::never_boots: break;
    }
    return make_error(Errc::internal, what + ": not a transport fault");
}

namespace {

bool is_poll(CallKind kind) noexcept {
    return kind == CallKind::vnf_get_operation || kind == CallKind::vnf_get ||
           kind == CallKind::k8s_get || kind == CallKind::k8s_readiness;
}

}  // namespace

std::optional<FaultKind> Core::pick_fault(CallKind kind, const std::string& target) {
    std::optional<FaultKind> chosen;
    for (auto& s : scripts) {
        if (s.fault.call != kind) continue;
        if (!s.fault.match.empty() && target.find(s.fault.match) == std::string::npos) continue;
        ++s.seen;
        const bool in_window =
            s.seen >= s.fault.nth && (s.fault.repeat <= 0 || s.seen < s.fault.nth + s.fault.repeat);
        if (!chosen && in_window) chosen = s.fault.fault;
    }
    if (chosen) return chosen;
    double p = 0.0;
    if (auto it = options.fault_probability_per_call.find(kind);
        it != options.fault_probability_per_call.end()) {
        p = it->second;
    } else if (!is_poll(kind)) {
        p = options.fault_probability;
    }
    if (p > 0.0 && uniform01(fault_rng_) < p) return options.random_fault;
    return std::nullopt;
}

std::chrono::milliseconds Core::pick_latency(CallKind kind) {
    Latency l = options.default_latency;
    if (auto it = options.latency.find(kind); it != options.latency.end()) l = it->second;
    auto total = std::max(std::chrono::milliseconds(0), l.fixed);
    if (l.jitter.count() > 0) {
        const auto span = static_cast<std::uint64_t>(l.jitter.count()) + 1;
        total += std::chrono::milliseconds(
            static_cast<std::chrono::milliseconds::rep>(next_random(latency_rng_) % span));
    }
    return total;
}

std::string Core::new_uuid() {
    std::uint64_t a = next_random(id_rng_);
    std::uint64_t b = next_random(id_rng_);
    a = (a & ~0xF000ULL) | 0x4000ULL;                         // version 4
    b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                  static_cast<unsigned>(b >> 48),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
}

std::string Core::random_suffix(std::size_t length) {
    static constexpr char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // Kubernetes' own
    std::string out;
    out.reserve(length);
    for (std::size_t i = 0; i < length; ++i) {
        out += alphabet[next_random(id_rng_) % (sizeof alphabet - 1)];
    }
    return out;
}

std::string Core::call_label(const std::string& vnf_id) const {
    std::lock_guard lock(names_mutex);
    if (auto it = vnf_names.find(vnf_id); it != vnf_names.end()) return it->second;
    return vnf_id;
}

std::string Core::op_call_label(const std::string& op_id) const {
    std::lock_guard lock(names_mutex);
    auto op = op_vnfs.find(op_id);
    if (op == op_vnfs.end()) return op_id;
    if (auto it = vnf_names.find(op->second); it != vnf_names.end()) return it->second;
    return op->second;
}

}  // namespace meshorch::sim::detail
