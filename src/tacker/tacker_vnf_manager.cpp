#include "tacker/tacker_vnf_manager.hpp"

#include "openstack/logging.hpp"
#include "tacker/lcm_requests.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace meshorch::tacker {

namespace {

using openstack::op_prefix;

// Refuses work whose caller already gave up.
Status admit(const CallContext& ctx, const std::string& what) {
    if (ctx.cancel.cancelled()) return make_error(Errc::cancelled, what + ": cancelled");
    if (Clock::now() >= ctx.deadline) return make_error(Errc::timeout, what + ": deadline passed");
    return Ok{};
}

Status validate(const openstack::TackerConfig& config) {
    if (auto ok = openstack::validate(config.keystone); !ok) return ok;
    auto bad = [](const std::string& what) {
        return make_error(Errc::invalid_argument, "Tacker configuration: " + what);
    };
    if (config.vim_ids.vm.empty() && config.vim_ids.container.empty()) {
        return bad("no VIM id configured (vim_ids.vm and/or vim_ids.container)");
    }
    if (config.poll_interval <= std::chrono::milliseconds(0)) {
        return bad("poll_interval must be positive");
    }
    if (config.threads == 0) return bad("threads must be at least 1");
    if (config.vnfcs_per_scale_step < 1) return bad("vnfcs_per_scale_step must be at least 1");
    return Ok{};
}

}  // namespace

TackerVnfManager::TackerVnfManager(const openstack::TackerConfig& config) : config_(config) {}

Result<std::shared_ptr<TackerVnfManager>> TackerVnfManager::create(
    const openstack::TackerConfig& config) {
    if (auto ok = validate(config); !ok) return std::move(ok).error();
    std::shared_ptr<TackerVnfManager> self(new TackerVnfManager(config));
    auto session = openstack::KeystoneSession::create(config.keystone);
    if (!session) return std::move(session).error();
    self->session_ = std::move(*session);
    auto tacker_http = http::Client::create(openstack::client_options(config.keystone, "tacker"));
    if (!tacker_http) return std::move(tacker_http).error();
    auto nova_http = http::Client::create(openstack::client_options(config.keystone, "nova"));
    if (!nova_http) return std::move(nova_http).error();
    self->tacker_ = std::make_shared<TackerClient>(self->session_, std::move(*tacker_http),
                                                   config.tacker_endpoint);
    self->nova_ = std::make_shared<openstack::NovaClient>(self->session_, std::move(*nova_http),
                                                          config.nova_endpoint);
    self->pool_ = std::make_unique<http::CallPool>(config.threads);
    if (config.notifications) {
        auto listener = NotificationListener::start(*config.notifications, self->notifier_);
        if (!listener) return std::move(listener).error();
        self->listener_ = std::move(*listener);
        CallContext ctx;
        ctx.deadline =
            Clock::now() + config.keystone.connect_timeout + 2 * config.keystone.request_timeout;
        auto id = self->tacker_->create_subscription(
            subscription_request(self->listener_->callback_url()), ctx);
        if (!id) {
            Error e = std::move(id).error();
            e.message = "subscribing to LCM notifications: " + e.message;
            return e;
        }
        self->subscription_id_ = *id;
        openstack::logger("tacker")->info("subscribed to LCM notifications: subscription {}", *id);
    }
    return self;
}

TackerVnfManager::~TackerVnfManager() {
    pool_.reset();  // running calls finish, queued ones are cancelled
    if (!subscription_id_.empty()) {
        CallContext ctx;
        ctx.deadline = Clock::now() + std::chrono::seconds(5);
        if (auto ok = tacker_->delete_subscription(subscription_id_, ctx); !ok) {
            openstack::logger("tacker")->warn("could not delete LCM subscription {}: {}",
                                              subscription_id_, ok.error().message);
        }
    }
    if (listener_) listener_->stop();
}

void TackerVnfManager::create_vnf(const VnfRequest& request, const CallContext& ctx,
                                  Callback<std::string> done) {
    pool_->run(
        [this, request, ctx]() -> Result<std::string> {
            if (auto ok = admit(ctx, "create VNF " + request.name); !ok)
                return std::move(ok).error();
            auto created = tacker_->create_vnf(create_vnf_request(request), ctx);
            if (!created) return std::move(created).error();
            openstack::logger("tacker")->info("{}created VNF {} ({})", op_prefix(ctx.operation_id),
                                              request.name, created->id);
            return created->id;
        },
        std::move(done));
}

void TackerVnfManager::instantiate(const std::string& vnf_id, const VnfRequest& request,
                                   const CallContext& ctx, Callback<std::string> done) {
    pool_->run(
        [this, vnf_id, request, ctx]() -> Result<std::string> {
            if (auto ok = admit(ctx, "instantiate VNF " + request.name); !ok) {
                return std::move(ok).error();
            }
            auto body = instantiate_vnf_request(request, config_);
            if (!body) return std::move(body).error();
            return tacker_->instantiate(vnf_id, *body, ctx);
        },
        std::move(done));
}

Result<std::string> TackerVnfManager::scale_now(const std::string& vnf_id, int instances,
                                                const CallContext& ctx) {
    if (instances < 0) {
        return make_error(Errc::invalid_argument,
                          "scale of VNF " + vnf_id + ": instances must not be negative");
    }
    auto vnf = tacker_->get_vnf(vnf_id, ctx);
    if (!vnf) return std::move(vnf).error();
    if (!vnf->instantiated) {
        return make_error(Errc::conflict, "scale of VNF " + vnf->name + ": it is not instantiated");
    }
    std::string aspect = config_.scale_aspect_id;
    if (aspect.empty() && !vnf->scale_status.empty()) aspect = vnf->scale_status.front().aspect_id;
    if (aspect.empty()) {
        return make_error(Errc::backend, "scale of VNF " + vnf->name +
                                             ": its VNFD declares no scaling aspect (no "
                                             "scaleStatus) and none is configured");
    }
    const int current = static_cast<int>(vnf->vnfcs.size());
    const int diff = instances - current;
    if (diff == 0) {
        return make_error(
            Errc::invalid_argument,
            "scale of VNF " + vnf->name + ": it already has " + std::to_string(current) + " VNFCs");
    }
    const int per_step = config_.vnfcs_per_scale_step;
    const int steps = (std::abs(diff) + per_step - 1) / per_step;
    openstack::logger("tacker")->info("{}scaling VNF {} from {} to {} VNFCs: {} {} step(s) of {}",
                                      op_prefix(ctx.operation_id), vnf->name, current, instances,
                                      diff > 0 ? "SCALE_OUT" : "SCALE_IN", steps, aspect);
    return tacker_->scale(vnf_id, scale_vnf_request(aspect, diff > 0, steps), ctx);
}

void TackerVnfManager::scale(const std::string& vnf_id, int instances, const CallContext& ctx,
                             Callback<std::string> done) {
    pool_->run(
        [this, vnf_id, instances, ctx]() -> Result<std::string> {
            if (auto ok = admit(ctx, "scale VNF " + vnf_id); !ok) return std::move(ok).error();
            return scale_now(vnf_id, instances, ctx);
        },
        std::move(done));
}

Result<std::string> TackerVnfManager::heal_now(const std::string& vnf_id,
                                               const std::string& server_id,
                                               const CallContext& ctx) {
    std::vector<std::string> vnfcs;
    if (!server_id.empty()) {
        auto vnf = tacker_->get_vnf(vnf_id, ctx);
        if (!vnf) return std::move(vnf).error();
        auto it = std::find_if(vnf->vnfcs.begin(), vnf->vnfcs.end(),
                               [&](const Vnfc& v) { return v.resource_id == server_id; });
        if (it == vnf->vnfcs.end()) {
            return make_error(Errc::backend,
                              "heal of VNF " + vnf->name + ": no VNFC runs on " + server_id);
        }
        // SOL003 v3 heals vnfcInfo ids; fall back to the resource info id without vnfcInfo.
        vnfcs.push_back(it->vnfc_info_id.empty() ? it->id : it->vnfc_info_id);
    }
    return tacker_->heal(vnf_id, heal_vnf_request(vnfcs, "meshorch: workload failed"), ctx);
}

void TackerVnfManager::heal(const std::string& vnf_id, const std::string& server_id,
                            const CallContext& ctx, Callback<std::string> done) {
    pool_->run(
        [this, vnf_id, server_id, ctx]() -> Result<std::string> {
            if (auto ok = admit(ctx, "heal VNF " + vnf_id); !ok) return std::move(ok).error();
            return heal_now(vnf_id, server_id, ctx);
        },
        std::move(done));
}

void TackerVnfManager::terminate(const std::string& vnf_id, const CallContext& ctx,
                                 Callback<std::string> done) {
    pool_->run(
        [this, vnf_id, ctx]() -> Result<std::string> {
            if (auto ok = admit(ctx, "terminate VNF " + vnf_id); !ok) return std::move(ok).error();
            return tacker_->terminate(vnf_id, terminate_vnf_request(), ctx);
        },
        std::move(done));
}

void TackerVnfManager::delete_vnf(const std::string& vnf_id, const CallContext& ctx,
                                  Callback<Ok> done) {
    pool_->run(
        [this, vnf_id, ctx]() -> Result<Ok> {
            if (auto ok = admit(ctx, "delete VNF " + vnf_id); !ok) return std::move(ok).error();
            return tacker_->delete_vnf(vnf_id, ctx);
        },
        std::move(done));
}

void TackerVnfManager::get_operation(const std::string& op_id, const CallContext& ctx,
                                     Callback<LcmOperation> done) {
    pool_->run(
        [this, op_id, ctx]() -> Result<LcmOperation> {
            if (auto ok = admit(ctx, "read op occurrence " + op_id); !ok) {
                return std::move(ok).error();
            }
            return tacker_->get_operation(op_id, ctx);
        },
        std::move(done));
}

Result<VnfInstance> TackerVnfManager::to_port(const TackerVnfInstance& instance,
                                              const CallContext& ctx) {
    VnfInstance out;
    out.id = instance.id;
    out.name = instance.name;
    out.instantiated = instance.instantiated;
    for (const auto& vnfc : instance.vnfcs) {
        if (!is_vm(instance, vnfc)) {
            out.pods.push_back(vnfc.resource_id);
            continue;
        }
        // Tacker does not report dynamically assigned addresses: Nova knows them.
        VmInstance vm;
        vm.server_id = vnfc.resource_id;
        auto server = nova_->get_server(vnfc.resource_id, ctx);
        if (server) {
            vm.address = openstack::pick_address(*server, config_.vm_network);
        } else if (server.error().code == Errc::not_found) {
            openstack::logger("nova")->warn("{}VNF {}: server {} is unknown to Nova",
                                            op_prefix(ctx.operation_id), instance.name,
                                            vnfc.resource_id);
        } else {
            return std::move(server).error();
        }
        out.vms.push_back(std::move(vm));
    }
    return out;
}

void TackerVnfManager::get_vnf(const std::string& vnf_id, const CallContext& ctx,
                               Callback<VnfInstance> done) {
    pool_->run(
        [this, vnf_id, ctx]() -> Result<VnfInstance> {
            if (auto ok = admit(ctx, "read VNF " + vnf_id); !ok) return std::move(ok).error();
            auto vnf = tacker_->get_vnf(vnf_id, ctx);
            if (!vnf) return std::move(vnf).error();
            return to_port(*vnf, ctx);
        },
        std::move(done));
}

void TackerVnfManager::find_vnf(const std::string& name, const CallContext& ctx,
                                Callback<std::optional<VnfInstance>> done) {
    pool_->run(
        [this, name, ctx]() -> Result<std::optional<VnfInstance>> {
            if (auto ok = admit(ctx, "find VNF " + name); !ok) return std::move(ok).error();
            auto found = tacker_->find_vnfs(name, ctx);
            if (!found) return std::move(found).error();
            if (found->empty()) return std::optional<VnfInstance>();
            if (found->size() > 1) {
                openstack::logger("tacker")->warn("{}{} VNFs are named {}; adopting {}",
                                                  op_prefix(ctx.operation_id), found->size(), name,
                                                  found->front().id);
            }
            auto instance = to_port(found->front(), ctx);
            if (!instance) return std::move(instance).error();
            return std::optional<VnfInstance>(std::move(*instance));
        },
        std::move(done));
}

void TackerVnfManager::rollback_operation(const std::string& op_id, const CallContext& ctx,
                                          Callback<Ok> done) {
    pool_->run(
        [this, op_id, ctx]() -> Result<Ok> {
            if (auto ok = admit(ctx, "roll back op occurrence " + op_id); !ok) return ok;
            return tacker_->rollback_operation(op_id, ctx);
        },
        std::move(done));
}

void TackerVnfManager::resolve_failed_operation(const std::string& op_id,
                                                FailedOperationAction action,
                                                const CallContext& ctx, Callback<Ok> done) {
    if (action == FailedOperationAction::rollback) {
        rollback_operation(op_id, ctx, std::move(done));
        return;
    }
    fail_operation(op_id, ctx, [done = std::move(done)](Result<LcmOperation> r) {
        done(r.ok() ? Result<Ok>(Ok{}) : Result<Ok>(r.error()));
    });
}

void TackerVnfManager::fail_operation(const std::string& op_id, const CallContext& ctx,
                                      Callback<LcmOperation> done) {
    pool_->run(
        [this, op_id, ctx]() -> Result<LcmOperation> {
            if (auto ok = admit(ctx, "fail op occurrence " + op_id); !ok) {
                return std::move(ok).error();
            }
            return tacker_->fail_operation(op_id, ctx);
        },
        std::move(done));
}

void TackerVnfManager::wait_for_operation(const std::string& op_id, const CallContext& ctx,
                                          Callback<LcmOperation> done) {
    pool_->run(
        [this, op_id, ctx]() -> Result<LcmOperation> {
            if (auto ok = admit(ctx, "wait for op occurrence " + op_id); !ok) {
                return std::move(ok).error();
            }
            return tacker_->wait_for_operation(op_id, config_.poll_interval,
                                               listener_ ? notifier_.get() : nullptr, ctx);
        },
        std::move(done));
}

}  // namespace meshorch::tacker

namespace meshorch::openstack {

Result<std::shared_ptr<VnfManager>> make_vnf_manager(const TackerConfig& config) {
    auto manager = tacker::TackerVnfManager::create(config);
    if (!manager) return std::move(manager).error();
    return std::shared_ptr<VnfManager>(std::move(*manager));
}

}  // namespace meshorch::openstack
