#include "engine/token_keeper.hpp"

#include "engine/core.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace meshorch::engine {

namespace {

struct DueVm {
    std::string microservice;
    VmInstance vm;
};

std::string describe(const VmInstance& vm) {
    return vm.server_id + " (" + vm.address + ")";
}

}  // namespace

TokenKeeper::TokenKeeper(Core& core) : core_(core) {}

std::chrono::milliseconds TokenKeeper::check_interval(std::chrono::seconds token_lifetime,
                                                      std::chrono::milliseconds configured) {
    using std::chrono::milliseconds;
    if (configured.count() > 0) return configured;
    const auto twentieth = std::chrono::duration_cast<milliseconds>(token_lifetime) / 20;
    return std::clamp(twentieth, milliseconds(1000), milliseconds(60'000));
}

void TokenKeeper::start(Executor executor) {
    asio::co_spawn(std::move(executor), loop(), asio::detached);
}

void TokenKeeper::stop() {
    stop_.cancel();
}

Task<void> TokenKeeper::loop() {
    const auto interval =
        check_interval(core_.options.token_lifetime, core_.options.token_check_interval);
    const CancelToken token = stop_.token();
    for (;;) {
        auto sleeping = sleep_until(Clock::now() + interval, token);
        if (!co_await std::move(sleeping)) co_return;
        for (const auto& service : core_.idle_services()) {
            if (token.cancelled()) co_return;
            try {
                auto refreshing = refresh_service(service);
                co_await std::move(refreshing);
            } catch (const std::exception& e) {
                core_.log->error("[token keeper {}] unexpected exception: {}", service, e.what());
            }
        }
    }
}

Task<void> TokenKeeper::refresh_service(std::string service) {
    auto loaded = core_.store->load(service);
    if (!loaded.ok() || !*loaded || !(*loaded)->applied_spec) co_return;
    const ServiceRecord& record = **loaded;
    const std::string ns = namespace_of(*record.applied_spec);

    // Due: past the refresh fraction of the lifetime, i.e. less than the rest of it left.
    const auto lifetime = core_.options.token_lifetime;
    const double left_fraction = 1.0 - std::clamp(core_.options.token_refresh_fraction, 0.0, 1.0);
    const auto margin = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(lifetime.count()) * left_fraction));
    const auto now = std::chrono::system_clock::now();
    std::vector<DueVm> due;
    for (const auto& [key, vms] : record.observed.vms) {
        for (const auto& vm : vms) {
            auto expiry = record.token_expiry.find(vm.server_id);
            if (expiry != record.token_expiry.end() && expiry->second - margin <= now) {
                due.push_back({key.first, vm});
            }
        }
    }

    const CancelToken stop = stop_.token();
    for (const auto& item : due) {
        CallContext ctx;
        ctx.deadline = Clock::now() + core_.options.call_timeout;
        ctx.cancel = stop;
        ctx.operation_id = "token-keeper";
        auto cluster = core_.cluster;
        auto token_task = call_port<ServiceAccountToken>(
            core_.registry, core_.cluster_slots, ctx,
            [cluster, ns, ms = item.microservice, lifetime](const CallContext& c,
                                                            Callback<ServiceAccountToken> cb) {
                cluster->create_token(ns, ms, "istio-ca", lifetime, c, std::move(cb));
            });
        auto token = co_await std::move(token_task);
        Status delivered = token.ok() ? Status(Ok{}) : Status(token.error());
        if (token.ok()) {
            auto injector = core_.injector;
            auto refresh_task =
                call_port<Ok>(core_.registry, core_.injector_slots, ctx,
                              [injector, vm = item.vm, value = token->token](const CallContext& c,
                                                                             Callback<Ok> cb) {
                                  injector->refresh_token(vm, value, c, std::move(cb));
                              });
            auto refreshed = co_await std::move(refresh_task);
            delivered = refreshed.ok() ? Status(Ok{}) : Status(refreshed.error());
        }
        if (stop.cancelled()) co_return;

        Event ev;
        ev.type = Event::Type::step;
        ev.time = std::chrono::system_clock::now();
        ev.service = service;
        if (!delivered.ok()) {
            // Left as it was: the next round tries again, well before the token expires.
            core_.log->warn("[token keeper {}] token refresh on VM {} failed: {}", service,
                            describe(item.vm), delivered.error().message);
            ev.message = "token refresh on VM " + describe(item.vm) +
                         " failed (retried next round): " + delivered.error().message;
            core_.publish(std::move(ev));
            continue;
        }
        const auto expires_at = token->expires_at;
        const std::string server_id = item.vm.server_id;
        auto saved = core_.update_record_if_idle(service, [&](ServiceRecord& r) {
            // Only VMs still in the record; entries of VMs that left are dropped on the way.
            std::set<std::string> present;
            for (const auto& [key, vms] : r.observed.vms) {
                for (const auto& vm : vms) present.insert(vm.server_id);
            }
            std::erase_if(r.token_expiry,
                          [&](const auto& entry) { return !present.count(entry.first); });
            if (present.count(server_id)) r.token_expiry[server_id] = expires_at;
        });
        if (!saved.ok()) {
            core_.log->error("[token keeper {}] cannot record the new token expiry: {}", service,
                             saved.error().message);
        }
        core_.log->info("[token keeper {}] token on VM {} refreshed", service, describe(item.vm));
        ev.message = "token on VM " + describe(item.vm) + " refreshed";
        core_.publish(std::move(ev));
    }
}

}  // namespace meshorch::engine
