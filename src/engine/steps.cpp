// Port calls as steps: per-call deadline, retry with backoff for transient errors, polling for
// "still waiting". The steps return errors; the retry policy lives here, not in them.
#include "engine/run.hpp"

#include "engine/backoff.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace meshorch::engine {

namespace {

Error with_context(const std::string& what, Error e) {
    e.message = what + ": " + e.message;
    return e;
}

}  // namespace

template <class T>
Task<Result<T>> Run::retry(std::string what, Ctx ctx,
                           std::function<Task<Result<T>>(CallContext)> attempt,
                           int attempts_allowed) {
    const BackoffPolicy& backoff = core_.options.backoff;
    const int max_attempts =
        std::max(1, attempts_allowed > 0 ? attempts_allowed : backoff.max_attempts);
    for (int n = 1;; ++n) {
        if (ctx.token.cancelled()) co_return make_error(Errc::cancelled, what + ": cancelled");
        const auto now = Clock::now();
        if (now >= ctx.deadline) {
            co_return make_error(Errc::timeout, "operation deadline passed before " + what);
        }
        CallContext call;
        call.deadline = std::min(ctx.deadline, now + core_.options.call_timeout);
        call.cancel = ctx.token;
        call.operation_id = op_->id;
        Result<T> r = co_await attempt(std::move(call));
        if (r.ok()) co_return r;
        Error e = std::move(r).error();
        if (ctx.token.cancelled()) co_return make_error(Errc::cancelled, what + ": cancelled");
        if (!e.retryable()) co_return with_context(what, std::move(e));
        if (Clock::now() >= ctx.deadline) {
            Error t = make_error(
                Errc::timeout, "operation deadline passed during " + what + " (" + e.message + ")");
            co_return t;
        }
        if (n >= max_attempts) {
            e.message =
                what + ": " + e.message + " (gave up after " + std::to_string(n) + " attempts)";
            co_return e;
        }
        const auto delay = backoff_delay(backoff, n);
        core_.log->debug("{} {}: {} ({}); attempt {} of {} in {} ms", tag_, what, to_string(e.code),
                         e.message, n + 1, max_attempts, delay.count());
        const auto until = std::min(ctx.deadline, Clock::now() + delay);
        if (!co_await sleep_until(until, ctx.token)) {
            co_return make_error(Errc::cancelled, what + ": cancelled");
        }
    }
}

Task<bool> Run::pause(Ctx ctx) {
    const auto until = std::min(ctx.deadline, Clock::now() + core_.options.poll_interval);
    bool ok = co_await sleep_until(until, ctx.token);
    co_return ok;
}

// ---- Kubernetes -----------------------------------------------------------------------------

Task<Result<std::optional<Object>>> Run::get_object(ObjectKey key, Ctx ctx) {
    auto cluster = core_.cluster;
    Core* core = &core_;
    auto r_task = retry<std::optional<Object>>(
        "get " + key.to_string(), ctx, [core, cluster, key](CallContext call) {
            return call_port<std::optional<Object>>(
                core->registry, core->cluster_slots, std::move(call),
                [cluster, key](const CallContext& c, Callback<std::optional<Object>> cb) {
                    cluster->get(key, c, std::move(cb));
                });
        });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Status> Run::apply_object(const Object& object, Ctx ctx) {
    auto cluster = core_.cluster;
    Core* core = &core_;
    const std::string what = "apply " + object.key.to_string();
    // By address: the port copies what it keeps when it is called, and every attempt is
    // awaited here, while the caller's object lives. A manifest is costly to copy.
    const Object* in = &object;
    auto r_task = retry<Object>(what, ctx, [core, cluster, in](CallContext call) {
        return call_port<Object>(core->registry, core->cluster_slots, std::move(call),
                                 [cluster, in](const CallContext& c, Callback<Object> cb) {
                                     cluster->apply(*in, c, std::move(cb));
                                 });
    });
    auto r = co_await std::move(r_task);
    if (!r.ok()) co_return r.error();
    co_return Ok{};
}

Task<Status> Run::wait_until_gone(ObjectKey key, Ctx ctx) {
    for (;;) {
        auto getting = get_object(key, ctx);
        auto r = co_await std::move(getting);
        if (!r.ok()) co_return r.error();
        if (!*r) co_return Ok{};
        if (!co_await pause(ctx)) {
            co_return make_error(Errc::cancelled, key.to_string() + ": cancelled while it ends");
        }
        if (Clock::now() >= ctx.deadline) {
            co_return make_error(Errc::timeout, key.to_string() +
                                                    " is still terminating at the operation "
                                                    "deadline");
        }
    }
}

Task<Status> Run::remove_object(ObjectKey key, Ctx ctx) {
    auto cluster = core_.cluster;
    Core* core = &core_;
    auto r_task =
        retry<Ok>("delete " + key.to_string(), ctx, [core, cluster, key](CallContext call) {
            return call_port<Ok>(core->registry, core->cluster_slots, std::move(call),
                                 [cluster, key](const CallContext& c, Callback<Ok> cb) {
                                     cluster->remove(key, c, std::move(cb));
                                 });
        });
    auto r = co_await std::move(r_task);
    if (!r.ok() && r.error().code == Errc::not_found) co_return Ok{};  // gone is done
    co_return r;
}

Task<Result<ServiceAccountToken>> Run::create_token(std::string service_account, Ctx ctx) {
    auto cluster = core_.cluster;
    Core* core = &core_;
    const std::string ns = namespace_;
    const auto lifetime = core_.options.token_lifetime;
    auto r_task = retry<ServiceAccountToken>(
        "token for ServiceAccount " + ns + "/" + service_account, ctx,
        [core, cluster, ns, service_account, lifetime](CallContext call) {
            return call_port<ServiceAccountToken>(
                core->registry, core->cluster_slots, std::move(call),
                [cluster, ns, service_account, lifetime](const CallContext& c,
                                                         Callback<ServiceAccountToken> cb) {
                    cluster->create_token(ns, service_account, "istio-ca", lifetime, c,
                                          std::move(cb));
                });
        });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Result<std::string>> Run::root_certificate(Ctx ctx) {
    if (root_cert_) co_return *root_cert_;
    auto cluster = core_.cluster;
    Core* core = &core_;
    const std::string ns = namespace_;
    auto r_task = retry<std::string>(
        "root certificate of namespace " + ns, ctx, [core, cluster, ns](CallContext call) {
            return call_port<std::string>(
                core->registry, core->cluster_slots, std::move(call),
                [cluster, ns](const CallContext& c, Callback<std::string> cb) {
                    cluster->root_certificate(ns, c, std::move(cb));
                });
        });
    auto r = co_await std::move(r_task);
    if (r.ok()) root_cert_ = *r;
    co_return r;
}

Task<Status> Run::wait_pods(std::string ms, std::string version, int want, Ctx ctx) {
    auto cluster = core_.cluster;
    Core* core = &core_;
    const std::string ns = namespace_;
    const std::string label = ms + "/" + version;
    // Pods that are ready without a proxy will not grow one: give them a few polls, then say why.
    const auto proxy_grace =
        std::max<Clock::duration>(10 * core_.options.poll_interval, std::chrono::milliseconds(100));
    std::optional<Clock::time_point> without_proxy_since;
    const std::string no_proxy = "pods of " + label + " have no istio-proxy: is namespace " + ns +
                                 " labelled for injection?";
    for (;;) {
        auto r_task = retry<WorkloadReadiness>(
            "readiness of " + label, ctx, [core, cluster, ns, ms, version](CallContext call) {
                return call_port<WorkloadReadiness>(
                    core->registry, core->cluster_slots, std::move(call),
                    [cluster, ns, ms, version](const CallContext& c,
                                               Callback<WorkloadReadiness> cb) {
                        cluster->workload_readiness(ns, ms, version, c, std::move(cb));
                    });
            });
        auto r = co_await std::move(r_task);
        if (!r.ok()) {
            if (r.error().code == Errc::timeout && without_proxy_since) {
                co_return make_error(Errc::timeout, no_proxy);
            }
            if (r.error().code == Errc::timeout && Clock::now() >= ctx.deadline) {
                co_return make_error(Errc::timeout,
                                     "operation deadline passed waiting for the pods of " + label);
            }
            co_return r.error();
        }
        if (r->ready >= want && r->with_proxy >= want) co_return Ok{};
        if (r->ready >= want) {
            if (!without_proxy_since) without_proxy_since = Clock::now();
            if (Clock::now() - *without_proxy_since >= proxy_grace) {
                co_return make_error(Errc::backend, no_proxy);
            }
        } else {
            without_proxy_since.reset();
        }
        if (!co_await pause(ctx)) co_return make_error(Errc::cancelled, "cancelled");
        if (Clock::now() >= ctx.deadline) {
            if (without_proxy_since) co_return make_error(Errc::timeout, no_proxy);
            co_return make_error(
                Errc::timeout, "operation deadline passed waiting for the pods of " + label + ": " +
                                   std::to_string(r->ready) + " of " + std::to_string(want) +
                                   " ready");
        }
    }
}

// ---- VNF manager ----------------------------------------------------------------------------

namespace {

// One read of a VNF, within a try of a step that reads it before acting again.
Task<Result<VnfInstance>> read_vnf(Core* core, std::string id, CallContext call) {
    auto vnfm = core->vnfm;
    auto got_task =
        call_port<VnfInstance>(core->registry, core->vnfm_slots, std::move(call),
                               [vnfm, id](const CallContext& c, Callback<VnfInstance> cb) {
                                   vnfm->get_vnf(id, c, std::move(cb));
                               });
    auto got = co_await std::move(got_task);
    co_return got;
}

// `request` outlives the task (see Run::create_or_adopt_vnf). The instance: the one found by
// name, or the one just created (not instantiated, nothing running yet). `retrying`: an earlier
// try may have created it and lost the answer, so the name is looked up first; a first try
// comes right after the name was journaled, and a VNF made by an earlier process was adopted
// by then (Run::adopt_created_vnfs).
Task<Result<std::pair<VnfInstance, bool>>> find_or_create(Core* core, const VnfRequest* request,
                                                          bool retrying, CallContext call) {
    auto vnfm = core->vnfm;
    const std::string name = request->name;
    if (retrying) {
        auto found_task = call_port<std::optional<VnfInstance>>(
            core->registry, core->vnfm_slots, call,
            [vnfm, name](const CallContext& c, Callback<std::optional<VnfInstance>> cb) {
                vnfm->find_vnf(name, c, std::move(cb));
            });
        auto found = co_await std::move(found_task);
        if (!found.ok()) co_return found.error();
        if (*found) co_return std::pair<VnfInstance, bool>(std::move(**found), true);
    }
    auto created_task =
        call_port<std::string>(core->registry, core->vnfm_slots, call,
                               [vnfm, request](const CallContext& c, Callback<std::string> cb) {
                                   vnfm->create_vnf(*request, c, std::move(cb));
                               });
    auto created = co_await std::move(created_task);
    if (!created.ok()) co_return created.error();
    VnfInstance fresh;
    fresh.id = std::move(*created);
    fresh.name = name;
    co_return std::pair<VnfInstance, bool>(std::move(fresh), false);
}

// `request` outlives the task (see Run::start_instantiate). `retrying`: an earlier try may have
// started it and lost the answer, so the VNF is read first; a first try knows it is not.
Task<Result<std::string>> instantiate_once(Core* core, std::string id, const VnfRequest* request,
                                           bool retrying, CallContext call) {
    auto vnfm = core->vnfm;
    if (retrying) {
        auto got_task = read_vnf(core, id, call);
        auto got = co_await std::move(got_task);
        if (!got.ok()) co_return got.error();
        if (got->instantiated) co_return std::string{};  // nothing to start
    }
    auto started_task =
        call_port<std::string>(core->registry, core->vnfm_slots, call,
                               [vnfm, id, request](const CallContext& c, Callback<std::string> cb) {
                                   vnfm->instantiate(id, *request, c, std::move(cb));
                               });
    auto started = co_await std::move(started_task);
    co_return started;
}

// `retrying`: an earlier try, or a process that crashed, may have started the termination
// (a lost answer), and asking again is refused (409) once the VNF is no longer instantiated:
// the VNF is read first, and a VNF no longer instantiated needs nothing. A first try comes
// right after the caller read it instantiated.
Task<Result<std::string>> terminate_once(Core* core, std::string id, bool retrying,
                                         CallContext call) {
    auto vnfm = core->vnfm;
    if (retrying) {
        auto got_task = read_vnf(core, id, call);
        auto got = co_await std::move(got_task);
        if (!got.ok()) co_return got.error();  // not_found: gone, which the caller takes as done
        if (!got->instantiated) co_return std::string{};
    }
    auto started_task =
        call_port<std::string>(core->registry, core->vnfm_slots, call,
                               [vnfm, id](const CallContext& c, Callback<std::string> cb) {
                                   vnfm->terminate(id, c, std::move(cb));
                               });
    auto started = co_await std::move(started_task);
    co_return started;
}

}  // namespace

Task<Result<std::pair<VnfInstance, bool>>> Run::create_or_adopt_vnf(const VnfRequest& request,
                                                                    Ctx ctx) {
    Core* core = &core_;
    // By address, as in apply_object: the request (with its Deployment) is not copied per try.
    const VnfRequest* in = &request;
    auto r_task = retry<std::pair<VnfInstance, bool>>(
        "create VNF " + request.name, ctx, [core, in, tries = 0](CallContext call) mutable {
            return find_or_create(core, in, tries++ > 0, std::move(call));
        });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Result<std::optional<VnfInstance>>> Run::find_vnf(std::string name, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    auto r_task = retry<std::optional<VnfInstance>>(
        "find VNF " + name, ctx, [core, vnfm, name](CallContext call) {
            return call_port<std::optional<VnfInstance>>(
                core->registry, core->vnfm_slots, std::move(call),
                [vnfm, name](const CallContext& c, Callback<std::optional<VnfInstance>> cb) {
                    vnfm->find_vnf(name, c, std::move(cb));
                });
        });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Result<std::optional<VnfInstance>>> Run::get_vnf(std::string id, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    auto r_task = retry<VnfInstance>("get VNF " + id, ctx, [core, vnfm, id](CallContext call) {
        return call_port<VnfInstance>(core->registry, core->vnfm_slots, std::move(call),
                                      [vnfm, id](const CallContext& c, Callback<VnfInstance> cb) {
                                          vnfm->get_vnf(id, c, std::move(cb));
                                      });
    });
    auto r = co_await std::move(r_task);
    if (!r.ok()) {
        if (r.error().code == Errc::not_found) co_return std::optional<VnfInstance>{};
        co_return r.error();
    }
    co_return std::optional<VnfInstance>(std::move(*r));
}

Task<Result<std::string>> Run::start_instantiate(std::string id, const VnfRequest& request,
                                                 Ctx ctx) {
    Core* core = &core_;
    const VnfRequest* in = &request;  // by address, as in create_or_adopt_vnf
    auto r_task =
        retry<std::string>("instantiate VNF " + request.name, ctx,
                           [core, id, in, tries = 0](CallContext call) mutable {
                               return instantiate_once(core, id, in, tries++ > 0, std::move(call));
                           });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Result<std::string>> Run::start_scale(std::string id, int instances, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    auto r_task = retry<std::string>(
        "scale VNF " + id + " to " + std::to_string(instances), ctx,
        [core, vnfm, id, instances](CallContext call) {
            return call_port<std::string>(
                core->registry, core->vnfm_slots, std::move(call),
                [vnfm, id, instances](const CallContext& c, Callback<std::string> cb) {
                    vnfm->scale(id, instances, c, std::move(cb));
                });
        });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Result<std::string>> Run::start_heal(std::string id, std::string server_id, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    auto r_task = retry<std::string>(
        "heal VM " + server_id + " of VNF " + id, ctx,
        [core, vnfm, id, server_id](CallContext call) {
            return call_port<std::string>(
                core->registry, core->vnfm_slots, std::move(call),
                [vnfm, id, server_id](const CallContext& c, Callback<std::string> cb) {
                    vnfm->heal(id, server_id, c, std::move(cb));
                });
        });
    auto r = co_await std::move(r_task);
    co_return r;
}

Task<Result<std::string>> Run::start_terminate(std::string id, Ctx ctx) {
    Core* core = &core_;
    auto r_task = retry<std::string>(
        "terminate VNF " + id, ctx, [core, id, tries = 0](CallContext call) mutable {
            return terminate_once(core, id, tries++ > 0, std::move(call));
        });
    auto r = co_await std::move(r_task);
    if (!r.ok() && r.error().code == Errc::not_found) co_return std::string{};  // gone is done
    co_return r;
}

Task<Status> Run::delete_vnf(std::string id, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    auto r_task = retry<Ok>("delete VNF " + id, ctx, [core, vnfm, id](CallContext call) {
        return call_port<Ok>(core->registry, core->vnfm_slots, std::move(call),
                             [vnfm, id](const CallContext& c, Callback<Ok> cb) {
                                 vnfm->delete_vnf(id, c, std::move(cb));
                             });
    });
    auto r = co_await std::move(r_task);
    if (!r.ok() && r.error().code == Errc::not_found) co_return Ok{};
    co_return r;
}

Task<Status> Run::wait_lcm(std::string op_id, std::string what, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    for (;;) {
        auto r_task =
            retry<LcmOperation>("poll " + what, ctx, [core, vnfm, op_id](CallContext call) {
                return call_port<LcmOperation>(
                    core->registry, core->vnfm_slots, std::move(call),
                    [vnfm, op_id](const CallContext& c, Callback<LcmOperation> cb) {
                        vnfm->get_operation(op_id, c, std::move(cb));
                    });
            });
        auto r = co_await std::move(r_task);
        if (!r.ok()) {
            if (r.error().code == Errc::timeout && Clock::now() >= ctx.deadline) {
                co_return make_error(Errc::timeout, "operation deadline passed waiting for " +
                                                        what + " (LCM operation " + op_id + ")");
            }
            co_return r.error();
        }
        switch (r->state) {
            case LcmState::completed: co_return Ok{};
            case LcmState::failed_temp:
            case LcmState::failed:
            case LcmState::rolled_back: {
                std::string message =
                    what + " failed: LCM operation " + op_id + " ended " + to_string(r->state);
                if (!r->error.empty()) message += ": " + r->error;
                if (r->state == LcmState::failed_temp) {
                    auto resolving = resolve_failed(*r, ctx);
                    message += co_await std::move(resolving);
                }
                co_return make_error(Errc::backend, std::move(message));
            }
            case LcmState::starting:
            case LcmState::processing:
            case LcmState::rolling_back: break;
        }
        if (!co_await pause(ctx)) co_return make_error(Errc::cancelled, what + ": cancelled");
        if (Clock::now() >= ctx.deadline) {
            co_return make_error(Errc::timeout, "operation deadline passed waiting for " + what +
                                                    " (LCM operation " + op_id + " is " +
                                                    to_string(r->state) + ")");
        }
    }
}

Task<std::string> Run::resolve_failed(LcmOperation op, Ctx ctx) {
    auto vnfm = core_.vnfm;
    Core* core = &core_;
    const std::string op_id = op.id;
    auto resolve = [&](FailedOperationAction action) {
        const char* verb = action == FailedOperationAction::rollback ? "roll back" : "fail";
        return retry<Ok>(std::string(verb) + " LCM operation " + op_id, ctx,
                         [core, vnfm, op_id, action](CallContext call) {
                             return call_port<Ok>(
                                 core->registry, core->vnfm_slots, std::move(call),
                                 [vnfm, op_id, action](const CallContext& c, Callback<Ok> cb) {
                                     vnfm->resolve_failed_operation(op_id, action, c,
                                                                    std::move(cb));
                                 });
                         });
    };
    // Tacker can roll back what an instantiation or a scale-out created; anything else is
    // declared failed, and the operation's own rollback (terminate, delete) cleans up.
    const bool can_roll_back = op.operation == "INSTANTIATE" || op.operation == "SCALE";
    if (can_roll_back) {
        step("rolling back LCM operation " + op_id + " (" + op.operation + ", FAILED_TEMP)");
        auto rolling = resolve(FailedOperationAction::rollback);
        Result<Ok> started = co_await std::move(rolling);
        if (started.ok()) {
            for (;;) {
                auto poll_task = retry<LcmOperation>(
                    "poll rollback of " + op_id, ctx, [core, vnfm, op_id](CallContext call) {
                        return call_port<LcmOperation>(
                            core->registry, core->vnfm_slots, std::move(call),
                            [vnfm, op_id](const CallContext& c, Callback<LcmOperation> cb) {
                                vnfm->get_operation(op_id, c, std::move(cb));
                            });
                    });
                auto polled = co_await std::move(poll_task);
                if (!polled.ok()) co_return " (its rollback could not be followed)";
                if (polled->state == LcmState::rolled_back) co_return " (rolled back)";
                if (polled->state == LcmState::failed_temp) break;  // the rollback failed too
                if (polled->state == LcmState::failed) co_return " (marked FAILED)";
                if (!co_await pause(ctx) || Clock::now() >= ctx.deadline) {
                    co_return " (its rollback did not end in time)";
                }
            }
        }
    }
    auto failing = resolve(FailedOperationAction::fail);
    Result<Ok> failed = co_await std::move(failing);
    if (!failed.ok()) co_return " (it stays FAILED_TEMP: " + failed.error().message + ")";
    co_return " (marked FAILED)";
}

Task<void> Run::settle(std::string name, Ctx ctx) {
    auto it = lcm_in_flight_.find(name);
    if (it == lcm_in_flight_.end()) co_return;
    const std::string op_id = it->second;
    step("waiting for LCM operation " + op_id + " on VNF " + name + " to end");
    Status s = co_await wait_lcm(op_id, "LCM operation " + op_id + " on VNF " + name, ctx);
    (void)s;  // its outcome does not matter: what follows looks at the VNF afresh
    lcm_in_flight_.erase(name);
}

Task<Result<std::vector<VmInstance>>> Run::wait_vms(std::string id, int want, std::string what,
                                                    Ctx ctx) {
    std::string seen = "no answer yet";
    for (;;) {
        auto r = co_await get_vnf(id, ctx);
        if (!r.ok()) {
            if (r.error().code == Errc::timeout && Clock::now() >= ctx.deadline) {
                co_return make_error(Errc::timeout, "operation deadline passed waiting for " +
                                                        what + " (" + seen + ")");
            }
            co_return r.error();
        }
        if (!*r) co_return make_error(Errc::backend, what + ": VNF " + id + " no longer exists");
        std::vector<VmInstance> vms = (*r)->vms;
        const auto with_address = std::count_if(
            vms.begin(), vms.end(), [](const VmInstance& vm) { return !vm.address.empty(); });
        seen =
            std::to_string(with_address) + " of " + std::to_string(want) + " VMs have an address";
        if (static_cast<int>(vms.size()) >= want &&
            with_address == static_cast<std::ptrdiff_t>(vms.size())) {
            // In the VNF manager's order (VNFC order: oldest first, as scale in removes from
            // the end), which is stable.
            co_return vms;
        }
        if (!co_await pause(ctx)) co_return make_error(Errc::cancelled, what + ": cancelled");
        if (Clock::now() >= ctx.deadline) {
            co_return make_error(
                Errc::timeout, "operation deadline passed waiting for " + what + " (" + seen + ")");
        }
    }
}

// ---- sidecar injector -----------------------------------------------------------------------

Task<Status> Run::inject_proxy(InjectionRequest request, Ctx ctx, bool once) {
    auto injector = core_.injector;
    Core* core = &core_;
    const std::string what =
        "inject the proxy on VM " + request.vm.server_id + " (" + request.vm.address + ")";
    auto r_task = retry<InjectionResult>(
        what, ctx,
        [core, injector, request](CallContext call) {
            return call_port<InjectionResult>(
                core->registry, core->injector_slots, std::move(call),
                [injector, request](const CallContext& c, Callback<InjectionResult> cb) {
                    injector->inject(request, c, std::move(cb));
                });
        },
        once ? 1 : 0);
    auto r = co_await std::move(r_task);
    if (!r.ok()) co_return r.error();
    co_return Ok{};
}

Task<Status> Run::remove_proxy(VmInstance vm, Ctx ctx) {
    auto injector = core_.injector;
    Core* core = &core_;
    auto r_task =
        retry<Ok>("remove the proxy from VM " + vm.server_id + " (" + vm.address + ")", ctx,
                  [core, injector, vm](CallContext call) {
                      return call_port<Ok>(core->registry, core->injector_slots, std::move(call),
                                           [injector, vm](const CallContext& c, Callback<Ok> cb) {
                                               injector->remove(vm, c, std::move(cb));
                                           });
                  });
    auto r = co_await std::move(r_task);
    if (!r.ok() && r.error().code == Errc::not_found) co_return Ok{};
    co_return r;
}

}  // namespace meshorch::engine
