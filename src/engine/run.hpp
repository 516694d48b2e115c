// Internal: one operation (deploy, reconfigure, terminate, heal) as a coroutine on its own strand.
//
// Deploy, reconfigure and their rollbacks are one level-triggered pass, converge(target):
//   prepare      cluster prerequisites of the target: creates and patches only
//   instantiate  every version of the target that is new or changed: create/adopt, instantiate,
//                scale out, wait until its VMs have addresses / its pods are ready with a proxy
//   inject       proxies on VMs that are not in the mesh yet, then their WorkloadEntries
//   configure    the mesh configuration, plan(applied, desired): make before break
//   drain        what the target no longer has: WorkloadEntries, proxies, VNFs (terminate,
//                delete, scale in), then prerequisites (and the namespace if meshorch made it)
// Terminate is converge(nothing). A failed deploy rolls back with converge(nothing), a failed
// reconfigure with converge(previous spec): the previous workloads are restored before routes
// move back, and what this operation added goes last.
#pragma once

#include <meshorch/orchestrator.hpp>
#include <meshorch/plan.hpp>

#include "engine/async.hpp"
#include "engine/core.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace meshorch::engine {

// When a phase gives up, and whether to give up now.
struct Ctx {
    Deadline deadline = Deadline::max();
    CancelToken token;
};

enum class Mode {
    apply,     // deploy / reconfigure: report phases as operation states
    rollback,  // the whole pass is RollingBack
    teardown,  // terminate: configuring, injecting, instantiating, preparing (state.hpp)
};

using VersionKey = std::pair<std::string, std::string>;  // (microservice, version)

class Run : public std::enable_shared_from_this<Run> {
public:
    // With `resume`, the operation is one a previous process journaled and did not finish: it
    // goes on from the journal in the service's record.
    Run(Core& core, std::shared_ptr<Operation::Shared> op, Request request, bool resume = false);
    // Starts the operation on `strand`.
    static void spawn(std::shared_ptr<Run> run, Executor strand);

private:
    static Task<void> entry(std::shared_ptr<Run> self);
    Task<void> main();

    // ---- the operations (run.cpp)
    Task<void> deploy_flow();
    Task<void> reconfigure_flow();
    Task<void> terminate_flow();
    Task<void> heal_flow();
    Task<void> resume_flow();
    // Deploy and reconfigure after validation: converge to the spec, verify, record it as
    // applied; roll back on failure.
    Task<void> apply_target(const ServiceSpec& spec);
    // Terminate after loading the record: everything goes, then the record.
    Task<void> tear_down();
    Task<void> rollback(Error original);
    // Fail the operation (and return false / nullopt) when the spec is invalid or the store
    // cannot be read.
    bool spec_is_valid(const ServiceSpec& spec);
    std::optional<std::optional<ServiceRecord>> load_record(const std::string& service);

    // ---- the converge pass (phases.cpp)
    Task<Status> converge(const ServiceSpec* target, Ctx ctx, Mode mode);
    Task<Status> prepare(const ServiceSpec* target, Ctx ctx, Mode mode);
    Task<Status> instantiate(const ServiceSpec* target, Ctx ctx, Mode mode);
    Task<Status> ensure_version(const ServiceSpec* target, std::string ms, std::string version,
                                Ctx ctx);
    Task<Status> inject(const ServiceSpec* target, Ctx ctx, Mode mode);
    // With `probe`: one attempt, and no Failed state when it fails (heal tries this first).
    Task<Status> inject_vm(const ServiceSpec* target, std::string ms, std::string version,
                           VmInstance vm, std::string root_cert, Ctx ctx, bool probe = false);
    Task<Status> configure(const ServiceSpec* target, Ctx ctx, Mode mode);
    Task<Status> drain(const ServiceSpec* target, Ctx ctx, Mode mode);
    Task<Status> drop_proxy(VersionKey key, VmInstance vm, Ctx ctx);
    Task<Status> remove_vnf(std::string name, Ctx ctx);
    Task<Status> scale_in(const ServiceSpec* target, std::string ms, std::string version,
                          std::vector<WorkloadId> leaving, Ctx ctx);
    Task<Status> verify(const ServiceSpec* target, Ctx ctx);
    Task<Status> verify_version(const ServiceSpec* target, std::string ms, std::string version,
                                Ctx ctx);
    // Writes the actions of a plan in order, keeping the record up to date. With
    // `best_effort` (teardown), a failed removal does not stop the ones after it.
    Task<Status> execute(Plan plan, Ctx ctx, bool best_effort = false);
    // Applies the WorkloadEntries of the VMs in the mesh (creates and patches; with `prune`,
    // removals too), entering `state` when there is something to write.
    Task<Status> sync_workload_entries(const ServiceSpec* target, Ctx ctx, bool prune, Mode mode,
                                       OperationState state);

    // ---- port calls with retry, polling (steps.cpp)
    // Calls `attempt` until it succeeds, fails terminally, runs out of attempts (`max_attempts`,
    // 0: the backoff policy's) or meets the deadline.
    template <class T>
    Task<Result<T>> retry(std::string what, Ctx ctx,
                          std::function<Task<Result<T>>(CallContext)> attempt,
                          int max_attempts = 0);
    Task<bool> pause(Ctx ctx);  // one poll interval (bounded by the deadline); false: cancelled
    Task<Result<std::optional<Object>>> get_object(ObjectKey key, Ctx ctx);
    // Polls until the object no longer exists (a namespace's finalization), within the deadline.
    Task<Status> wait_until_gone(ObjectKey key, Ctx ctx);
    // `object` must outlive the returned task (the caller awaits it at once).
    Task<Status> apply_object(const Object& object, Ctx ctx);
    Task<Status> remove_object(ObjectKey key, Ctx ctx);
    // The VNF (as found by name, or as just created: not instantiated) and whether it existed
    // already. `request` must outlive the returned task, as in the other steps that take
    // references.
    Task<Result<std::pair<VnfInstance, bool>>> create_or_adopt_vnf(const VnfRequest& request,
                                                                   Ctx ctx);
    Task<Result<std::optional<VnfInstance>>> find_vnf(std::string name, Ctx ctx);
    Task<Result<std::optional<VnfInstance>>> get_vnf(std::string id, Ctx ctx);
    // The LCM operation id, or "" when there is nothing to do.
    Task<Result<std::string>> start_instantiate(std::string id, const VnfRequest& request, Ctx ctx);
    Task<Result<std::string>> start_scale(std::string id, int instances, Ctx ctx);
    Task<Result<std::string>> start_heal(std::string id, std::string server_id, Ctx ctx);
    Task<Result<std::string>> start_terminate(std::string id, Ctx ctx);
    Task<Status> delete_vnf(std::string id, Ctx ctx);
    Task<Status> wait_lcm(std::string op_id, std::string what, Ctx ctx);
    // Rolls back (INSTANTIATE, SCALE) or fails an operation left FAILED_TEMP, so that the VNF
    // takes LCM operations again; returns how it ended, for the failure message.
    Task<std::string> resolve_failed(LcmOperation op, Ctx ctx);
    // Waits for the LCM operation this run started on the VNF and did not see end (cancelled
    // or timed out while waiting): a VNF manager refuses another operation meanwhile (409).
    Task<void> settle(std::string name, Ctx ctx);
    // Polls the VNF until it has at least `want` VMs, all with an address.
    Task<Result<std::vector<VmInstance>>> wait_vms(std::string id, int want, std::string what,
                                                   Ctx ctx);
    Task<Status> wait_pods(std::string ms, std::string version, int want, Ctx ctx);
    Task<Result<ServiceAccountToken>> create_token(std::string service_account, Ctx ctx);
    Task<Result<std::string>> root_certificate(Ctx ctx);
    Task<Status> inject_proxy(InjectionRequest request, Ctx ctx, bool once = false);
    Task<Status> remove_proxy(VmInstance vm, Ctx ctx);

    // ---- the journal (journal.cpp)
    // Writes the journal of this operation into the record before its first step.
    Status open_journal();
    // The journal goes in the same write as the operation's last change to the record.
    void close_journal();
    // Looks up by name the VNFs whose creation was asked for but whose id was never recorded,
    // and records those that exist (a crash or a lost answer right after the create).
    Task<Status> adopt_created_vnfs(Ctx ctx);
    // Ends the operation without undoing anything when the orchestrator is suspending: its
    // journal stays in the store for the next start. False when not suspending.
    bool suspend_if_asked();
    // plan(applied, desired), except that objects this process has not written itself since a
    // resume are not trusted to be as recorded: each is written again (apply is idempotent).
    // `applied`: borrowed from the record, in apply order; `desired` moves into the actions.
    Plan plan_objects(const std::vector<const Object*>& applied, ObjectSet&& desired) const;

    // ---- record, status and events (run.cpp)
    // Saves the record (with the journal, when one is open).
    Status save();
    // save() for the operation's parallel tasks (group commit): the write is posted to the
    // run's strand, and every task that asks before it happens shares it. The tasks that one
    // batch of backend answers resumes then cost one store write, not one each. Returns once
    // the record holding the caller's change is in the store, like save().
    Task<Status> save_together();
    void flush_saves();  // the shared write, on the strand
    void set_state(OperationState state, std::string message = {});
    void enter(OperationState state, Mode mode);
    void step(std::string message);
    void set_workload(const WorkloadId& id, WorkloadState state, std::string message = {});
    void describe_workload(const WorkloadId& id, Substrate substrate, const std::string& vnf_id,
                           const VmInstance* vm);
    void succeed();
    void fail(Error error);  // ends Failed (nothing to undo)
    std::string remaining(const ServiceSpec* target) const;
    Error cancelled_or(Error error) const;

    // ---- lookups
    std::string vnf_name(const std::string& ms, const std::string& version) const;
    // The version a VNF name belongs to, in the request's or the previous spec.
    struct VersionInfo {
        std::string ms;
        std::string version;
        Substrate substrate = Substrate::vm;
        int instances = 0;
    };
    std::optional<VersionInfo> version_of_vnf(const std::string& name) const;
    std::vector<VmInstance>& observed_vms(const VersionKey& key);
    const Version* find_version(const ServiceSpec* spec, const std::string& ms,
                                const std::string& version) const;
    // The prerequisites `target` wants: rendered, less the namespace unless this service made it.
    ObjectSet desired_prerequisites(const ServiceSpec* target) const;
    ObjectSet without_foreign_namespace(ObjectSet prerequisites) const;
    VnfRequest make_request(const ServiceSpec& spec, const Microservice& ms,
                            const Version& v) const;
    // The workloads of a version the status knows.
    std::vector<WorkloadId> workloads_of(const std::string& ms, const std::string& version) const;
    std::optional<WorkloadId> workload_of_vm(const VersionKey& key,
                                             const std::string& server_id) const;
    Observed observed_for(const ServiceSpec* target) const;

    Core& core_;
    std::shared_ptr<Operation::Shared> op_;
    Request request_;
    bool resume_ = false;
    std::string tag_;  // "[op-000001 bookinfo]" for log lines

    ServiceRecord record_;
    std::optional<ServiceSpec> previous_;  // the last spec that succeeded (record.applied_spec)
    std::string namespace_;
    Deadline deadline_;
    OperationState state_ = OperationState::pending;
    bool finished_ = false;

    // What this operation learned and changed.
    std::set<std::string> touched_;                        // VNF names created/changed/removed
    std::map<std::string, std::vector<VmInstance>> vms_;   // VNF name -> VMs, fresh from get_vnf
    std::map<std::string, std::string> lcm_in_flight_;     // VNF name -> LCM operation id
    std::map<std::string, int> pod_counts_;                // VNF name -> pods, from get_vnf
    std::set<std::string> dropped_servers_;                // VMs leaving (scale in, vanished)
    std::map<WorkloadId, WorkloadState> workload_states_;  // as this operation set them
    bool teardown_failed_ = false;  // a teardown step failed: the namespace stays
    // The store refused a write (full disk, or a deposed leader fenced off): the operation
    // stops where it is, since undoing without a journal would be work no record knows of.
    std::optional<Error> store_refused_;
    std::vector<std::shared_ptr<Completion<Ok>>> waiting_saves_;  // for the next flush_saves()
    bool flush_posted_ = false;
    std::optional<std::string> root_cert_;

    // Journaled (OperationJournal), besides touched_ and lcm_in_flight_.
    std::set<std::string> creating_;   // VNF names asked to be created, id not recorded yet
    std::set<std::string> injecting_;  // VM server ids whose proxy is going on
    std::set<ObjectKey> unverified_;   // resumed: recorded objects not written since
};

}  // namespace meshorch::engine
