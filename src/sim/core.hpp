// Internal: the state of one simulated world and the machinery every simulated call goes
// through (counting, latency, faults, deadline, cancellation, delivery on a sim thread).
//
// Ownership: World, the three port objects and every scheduled task reach the Core through
// shared_ptr / weak_ptr. Tasks hold weak_ptrs, so queued work never keeps a world alive.
// Locking: Core::mutex guards all state; the Registry and each Pending have their own small
// mutex, always taken after (never while waiting for) Core::mutex. User callbacks run with no
// lock held.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/object.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/sim.hpp>

#include "sim/scheduler.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace meshorch::sim::detail {

// ---- records --------------------------------------------------------------------------------

struct SimVm {
    std::string server_id;
    std::string address;  // allocated when the VM is created, reported once booted
    bool booted = false;  // false: never_boots; the VM never reports its address
    bool failed = false;  // fail_vm()
};

struct SimVnf {
    std::string id;
    std::string name;
    Substrate substrate = Substrate::vm;
    VnfRequest request;     // create_vnf's, replaced by instantiate's
    std::uint64_t seq = 0;  // creation order
    bool instantiated = false;
    std::string busy_op;  // the LCM operation running on it, if any
    std::vector<SimVm> vms;
    std::optional<ObjectKey> deployment;  // container VNFs: their Deployment in the cluster
};

struct SimOp {
    LcmOperation op;
    std::optional<FaultKind> effect;  // operation_failed / never_boots
};

struct SimPod {
    PodRecord record;
    std::optional<ObjectKey> owner;  // the Deployment, none for a preloaded pod
    std::vector<std::string> containers;
    std::string uid;
    std::string created;  // RFC 3339
    std::uint64_t seq = 0;
};

struct IssuedToken {
    std::string namespace_;
    std::string service_account;
    std::string audience;
    std::chrono::system_clock::time_point expires_at;
};

struct SimProxy {
    ProxyRecord record;
    std::string namespace_;
};

struct SimScript {
    ScriptedFault fault;
    int seen = 0;  // matching calls since it was scripted
};

// ---- errors ---------------------------------------------------------------------------------

enum class Backend { vnfm, k8s, injector };
Backend backend_of(CallKind kind) noexcept;

// An error as the backend would answer it: the code, the HTTP status, the message and a body
// excerpt shaped like the backend's error body (ProblemDetails, Status).
Error backend_error(Backend backend, Errc code, int http_status, std::string message);
Error cancelled_error(const std::string& what);
Error timeout_error(const std::string& what);

// The order of the server's own indexes of objects: where an object lives (namespace, name),
// then its kind and API version. Within one kind it is the order a list returns (etcd's key
// order), and it compares strings only: ObjectKey's own order ranks the kinds first, for
// applying, which costs a look-up of both kinds per compare.
struct ByLocation {
    bool operator()(const ObjectKey& a, const ObjectKey& b) const noexcept {
        return std::tie(a.namespace_, a.name, a.kind, a.api_version) <
               std::tie(b.namespace_, b.name, b.kind, b.api_version);
    }
};

// ---- pending calls ----------------------------------------------------------------------------

class PendingBase;

// Every call not yet answered, so that shutdown can answer them all (Errc::cancelled).
class Registry {
public:
    std::uint64_t add(std::shared_ptr<PendingBase> call);
    void remove(std::uint64_t id);
    std::vector<std::shared_ptr<PendingBase>> take_all();

private:
    std::mutex mutex_;
    std::uint64_t next_ = 1;
    std::unordered_map<std::uint64_t, std::shared_ptr<PendingBase>> calls_;
};

class PendingBase {
public:
    virtual ~PendingBase() = default;
    // Answers with `e` unless already answered; runs the callback on the calling thread.
    virtual void fail(Error e) = 0;
    const std::string& what() const noexcept { return what_; }

protected:
    explicit PendingBase(std::string what) : what_(std::move(what)) {}

private:
    std::string what_;
};

// One call in flight: answered exactly once, by whichever of performance, cancellation,
// deadline or shutdown claims it first.
template <class T>
class Pending final : public PendingBase {
public:
    Pending(std::shared_ptr<Registry> registry, Callback<T> done, CancelToken token,
            std::string what)
        : PendingBase(std::move(what)),
          registry_(std::move(registry)),
          done_(std::move(done)),
          token_(std::move(token)) {}

    void set_registry_id(std::uint64_t id) { registry_id_ = id; }

    // Remembers the CancelToken registration; forgets it at once if already answered.
    void set_cancel_id(std::uint64_t id) {
        {
            std::lock_guard lock(mutex_);
            if (!claimed_) {
                cancel_id_ = id;
                return;
            }
        }
        token_.forget(id);
    }

    // The first caller wins and must then deliver().
    bool claim() {
        std::lock_guard lock(mutex_);
        if (claimed_) return false;
        claimed_ = true;
        return true;
    }

    void deliver(Result<T> result) {
        std::uint64_t cancel_id = 0;
        Callback<T> done;
        {
            std::lock_guard lock(mutex_);
            cancel_id = cancel_id_;
            cancel_id_ = 0;
            done.swap(done_);
        }
        if (cancel_id != 0) token_.forget(cancel_id);
        registry_->remove(registry_id_);
        if (done) done(std::move(result));
    }

    void finish(Result<T> result) {
        if (claim()) deliver(std::move(result));
    }

    void fail(Error e) override { finish(Result<T>(std::move(e))); }

private:
    std::shared_ptr<Registry> registry_;
    std::uint64_t registry_id_ = 0;
    std::mutex mutex_;
    bool claimed_ = false;
    std::uint64_t cancel_id_ = 0;
    Callback<T> done_;
    CancelToken token_;
};

// ---- the world ------------------------------------------------------------------------------

class Core : public std::enable_shared_from_this<Core> {
public:
    explicit Core(Options options);
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    // Stops the scheduler (joins its threads) and answers every pending call with
    // Errc::cancelled, on the calling thread. Later calls are answered at once, inline, with
    // Errc::cancelled. Idempotent.
    void shutdown();

    // One simulated backend call. `target` names what the call is about (VNF name, object name,
    // VM address): scripted faults match on it and error messages quote it. `perform(core,
    // effect)` runs on a sim thread with no lock held (it takes Core::mutex itself) and returns
    // the answer; `effect` is operation_failed / never_boots when such a fault hit the call.
    template <class T, class Perform>
    void call(CallKind kind, const std::string& target, const CallContext& ctx, Callback<T> done,
              Perform perform);

    // Runs fn(core) on a sim thread at `when` (dropped if the world is gone by then).
    void at(Clock::time_point when, std::function<void(Core&)> fn);

    // ---- call admission, guarded by `admission` ----
    // Starting a call takes only this lock, so callers are not held up by a sim thread that
    // performs calls under `mutex`. It guards counts, scripts, the options that pick faults
    // and latencies (fault_probability*, random_fault, latency, default_latency,
    // no_deadline_timeout) and their random streams. `stopped` is set under both locks.
    mutable std::mutex admission;
    std::map<CallKind, std::uint64_t> counts;
    std::vector<SimScript> scripts;

    // The name of each VNF by id, and the VNF of each op occurrence, for the target of a call
    // about them, read when the call starts (on the caller's thread). A lock of its own, taken
    // last and alone: naming a call does not wait for a sim thread that performs calls under
    // `mutex`. Kept by add_vnf, erase_vnf and start_op.
    mutable std::mutex names_mutex;
    std::unordered_map<std::string, std::string> vnf_names;   // VNF id -> name
    std::unordered_map<std::string, std::string> op_vnfs;     // op occurrence id -> VNF id
    std::string call_label(const std::string& vnf_id) const;  // the VNF's name, else the id
    // The name (else the id) of the op occurrence's VNF; the op's id if it is unknown.
    std::string op_call_label(const std::string& op_id) const;

    // ---- everything below is guarded by `mutex` ----
    mutable std::mutex mutex;
    Options options;
    bool stopped = false;

    // VNF manager
    std::unordered_map<std::string, SimVnf> vnfs;  // by id (snapshot() sorts them)
    std::unordered_map<std::string, SimOp> ops;    // by id
    std::uint64_t next_vnf_seq = 0;
    // Indexes over `vnfs`, so that no call scans every VNF of the world: VNF ids by name in
    // creation order (find_vnf wants the oldest), and every allocated VM by its address and by
    // its server id.
    std::unordered_map<std::string, std::map<std::uint64_t, std::string>> vnfs_by_name;
    std::unordered_map<std::string, std::string> addresses;  // allocated address -> server id
    std::unordered_map<std::string, std::string> vm_owners;  // server id -> VNF id
    std::uint64_t address_cursor = 0;

    // Cluster
    using PodId = std::pair<std::string, std::string>;  // (namespace, name)
    std::map<ObjectKey, Object, ByLocation> objects;
    std::map<ObjectKey, std::map<std::string, std::string>, ByLocation>
        foreign_labels;            // from preload()
    std::map<PodId, SimPod> pods;  // ordered: a namespace's pods are one range
    // Indexes: the namespaced objects of each namespace, the pods of each Deployment by seq.
    std::unordered_map<std::string, std::set<ObjectKey, ByLocation>> objects_by_namespace;
    std::map<ObjectKey, std::map<std::uint64_t, PodId>, ByLocation> pods_by_owner;
    std::uint64_t next_pod_seq = 0;
    std::uint64_t resource_version = 1000;
    std::unordered_map<std::string, IssuedToken> tokens;  // by the token itself

    // Injector
    std::map<std::string, SimProxy> proxies;  // by server id

    // Helpers (mutex held). ids and names are deterministic for a given seed and call order.
    std::string new_uuid();
    std::string random_suffix(std::size_t length);  // [bcdfghjklmnpqrstvwxz2456789]

    // VNFs and VMs (vnfm.cpp)
    void add_vnf(SimVnf vnf);
    void erase_vnf(const std::string& vnf_id);
    // A VM for VNF `vnf_id` (indexed at once; the caller adds it to the VNF's vms).
    std::optional<SimVm> new_vm(bool boots, const std::string& vnf_id);
    void release_vm(const SimVm& vm);  // frees the address, drops the proxy
    SimVm* find_vm(const VmInstance& vm);
    SimVm* vm_by_server_id(const std::string& server_id);

    // Cluster objects (cluster.cpp)
    bool namespace_exists(const std::string& ns) const;
    // Server-side apply. `preload`: no call, no namespace checks, labels become foreign-owned.
    // Takes the object: what is stored is made from its manifest, without a copy.
    Result<Object> store_object(Object object, bool preload);
    void remove_object(const ObjectKey& key);
    void reconcile_deployment(const ObjectKey& key);
    void remove_pod(const PodId& id, bool recreate);
    // Every change to `objects` and `pods` goes through these, which keep the indexes.
    void put_object(Object object);
    void erase_object(const ObjectKey& key);
    void put_pod(SimPod pod);  // replaces a pod of the same namespace and name
    void erase_pod(const PodId& id);
    std::vector<const SimPod*> pods_of(const ObjectKey& deployment) const;
    Object pod_object(const SimPod& pod) const;
    // Why a proxy cannot use this token, or nullopt. Tokens this world did not issue pass.
    std::optional<std::string> check_mesh_token(const std::string& token,
                                                const std::string& namespace_,
                                                const std::string& service_account) const;

    std::shared_ptr<Registry> registry = std::make_shared<Registry>();

private:
    // With `admission` held.
    std::optional<FaultKind> pick_fault(CallKind kind, const std::string& target);
    std::chrono::milliseconds pick_latency(CallKind kind);
    double uniform01(std::uint64_t& state);

    std::uint64_t fault_rng_ = 0;    // separate streams, so that changing latency settings does
    std::uint64_t latency_rng_ = 0;  // not change which calls fail, nor the ids
    std::uint64_t id_rng_ = 0;
    std::unique_ptr<Scheduler> scheduler_;

    template <class T>
    void answer_later(Clock::time_point when, const std::shared_ptr<Pending<T>>& p, Error e);

public:
    static std::uint64_t next_random(std::uint64_t& state) noexcept;  // splitmix64
    bool is_transport_fault(FaultKind f) const noexcept;
    Error fault_error(FaultKind fault, CallKind kind, const std::string& what) const;
    bool post_at(Clock::time_point when, std::function<void()> task);
};

template <class T>
void Core::answer_later(Clock::time_point when, const std::shared_ptr<Pending<T>>& p, Error e) {
    // If the post fails the world is shutting down, and shutdown answers the call.
    post_at(when, [p, e = std::move(e)]() mutable { p->fail(std::move(e)); });
}

template <class T, class Perform>
void Core::call(CallKind kind, const std::string& target, const CallContext& ctx, Callback<T> done,
                Perform perform) {
    const auto now = Clock::now();
    std::string what = std::string(to_string(kind)) + " \"" + target + "\"";
    enum class Start { normal, shut_down, cancelled, deadline_passed };
    Start start = Start::normal;
    std::optional<FaultKind> fault;
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds no_deadline_timeout{0};
    std::shared_ptr<Pending<T>> p;
    {
        std::lock_guard lock(admission);
        ++counts[kind];
        if (stopped) {
            start = Start::shut_down;
        } else {
            p = std::make_shared<Pending<T>>(registry, std::move(done), ctx.cancel, what);
            // Registered under `admission`: shutdown (which sets `stopped` under it) then sees it.
            p->set_registry_id(registry->add(p));
            if (ctx.cancel.cancelled()) {
                start = Start::cancelled;
            } else if (ctx.deadline <= now) {
                start = Start::deadline_passed;
            } else {
                fault = pick_fault(kind, target);
                latency = pick_latency(kind);
                no_deadline_timeout = options.no_deadline_timeout;
            }
        }
    }
    switch (start) {
        case Start::shut_down:
            if (done) done(Result<T>(cancelled_error(what + ": the simulated world is shut down")));
            return;
        case Start::cancelled: answer_later(now, p, cancelled_error(what)); return;
        case Start::deadline_passed: answer_later(now, p, timeout_error(what)); return;
        case Start::normal: break;
    }

    std::weak_ptr<Pending<T>> weak_call = p;
    std::weak_ptr<Core> weak_core = weak_from_this();
    const auto cancel_id = ctx.cancel.on_cancel([weak_call, weak_core] {
        auto core = weak_core.lock();
        auto call = weak_call.lock();
        if (!core || !call) return;
        // Answered on a sim thread, not on the thread that cancels.
        core->answer_later(Clock::now(), call, cancelled_error(call->what()));
    });
    if (cancel_id != 0) p->set_cancel_id(cancel_id);

    if (fault == FaultKind::timeout) {
        const auto when =
            ctx.deadline == Deadline::max() ? now + no_deadline_timeout : ctx.deadline;
        answer_later(when, p, timeout_error(what));
        return;
    }
    const auto when = now + latency;
    if (when > ctx.deadline) {  // the answer would come too late: never performed
        answer_later(ctx.deadline, p, timeout_error(what));
        return;
    }
    post_at(when, [weak_core, p, kind, fault, what, perform = std::move(perform)]() mutable {
        auto core = weak_core.lock();
        if (!core) return;        // shutdown answers it
        if (!p->claim()) return;  // cancelled meanwhile: never performed
        std::optional<FaultKind> effect;
        if (fault && core->is_transport_fault(*fault)) {
            p->deliver(Result<T>(core->fault_error(*fault, kind, what)));
            return;
        }
        effect = fault;
        Result<T> result = perform(*core, effect);
        p->deliver(std::move(result));
    });
}

}  // namespace meshorch::sim::detail
