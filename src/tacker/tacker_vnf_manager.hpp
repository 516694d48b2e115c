// Internal: the VnfManager port over Tacker (VNF LCM v2), Keystone and Nova.
//
// Every port call runs on the adapter's CallPool threads and honours ctx.deadline/cancel.
// Beyond the port it offers what the engine's FAILED_TEMP handling and faster completion
// detection would need: rollback_operation, fail_operation and wait_for_operation.
#pragma once

#include "http/call_pool.hpp"
#include "openstack/keystone_session.hpp"
#include "openstack/nova.hpp"
#include "tacker/notification_listener.hpp"
#include "tacker/operation_notifier.hpp"
#include "tacker/tacker_client.hpp"

#include <meshorch/openstack.hpp>
#include <meshorch/ports.hpp>

#include <memory>
#include <optional>
#include <string>

namespace meshorch::tacker {

class TackerVnfManager final : public VnfManager {
public:
    // Validates the configuration; with notifications configured, starts the listener and
    // subscribes (contacting Keystone and Tacker, bounded by the request timeout).
    static Result<std::shared_ptr<TackerVnfManager>> create(const openstack::TackerConfig& config);
    ~TackerVnfManager() override;  // finishes running calls, unsubscribes, stops the listener

    void create_vnf(const VnfRequest& request, const CallContext& ctx,
                    Callback<std::string> done) override;
    void instantiate(const std::string& vnf_id, const VnfRequest& request, const CallContext& ctx,
                     Callback<std::string> done) override;
    void scale(const std::string& vnf_id, int instances, const CallContext& ctx,
               Callback<std::string> done) override;
    void heal(const std::string& vnf_id, const std::string& server_id, const CallContext& ctx,
              Callback<std::string> done) override;
    void terminate(const std::string& vnf_id, const CallContext& ctx,
                   Callback<std::string> done) override;
    void delete_vnf(const std::string& vnf_id, const CallContext& ctx, Callback<Ok> done) override;
    void get_operation(const std::string& op_id, const CallContext& ctx,
                       Callback<LcmOperation> done) override;
    void get_vnf(const std::string& vnf_id, const CallContext& ctx,
                 Callback<VnfInstance> done) override;
    void find_vnf(const std::string& name, const CallContext& ctx,
                  Callback<std::optional<VnfInstance>> done) override;

    // FAILED_TEMP: roll the operation back (it goes ROLLING_BACK, then ROLLED_BACK) or mark
    // it FAILED for good.
    void rollback_operation(const std::string& op_id, const CallContext& ctx, Callback<Ok> done);
    void resolve_failed_operation(const std::string& op_id, FailedOperationAction action,
                                  const CallContext& ctx, Callback<Ok> done) override;
    void fail_operation(const std::string& op_id, const CallContext& ctx,
                        Callback<LcmOperation> done);
    // The op occurrence once it is no longer in progress (poll interval, woken sooner by
    // notifications), or Errc::timeout at ctx.deadline.
    void wait_for_operation(const std::string& op_id, const CallContext& ctx,
                            Callback<LcmOperation> done);

    openstack::KeystoneSession& session() noexcept { return *session_; }
    TackerClient& client() noexcept { return *tacker_; }
    OperationNotifier& notifier() noexcept { return *notifier_; }
    const NotificationListener* listener() const noexcept { return listener_.get(); }
    const std::string& subscription_id() const noexcept { return subscription_id_; }

private:
    explicit TackerVnfManager(const openstack::TackerConfig& config);
    Result<VnfInstance> to_port(const TackerVnfInstance& instance, const CallContext& ctx);
    Result<std::string> scale_now(const std::string& vnf_id, int instances, const CallContext& ctx);
    Result<std::string> heal_now(const std::string& vnf_id, const std::string& server_id,
                                 const CallContext& ctx);

    openstack::TackerConfig config_;
    std::shared_ptr<openstack::KeystoneSession> session_;
    std::shared_ptr<TackerClient> tacker_;
    std::shared_ptr<openstack::NovaClient> nova_;
    std::shared_ptr<OperationNotifier> notifier_ = std::make_shared<OperationNotifier>();
    std::unique_ptr<NotificationListener> listener_;
    std::string subscription_id_;
    std::unique_ptr<http::CallPool> pool_;  // last: its threads use everything above
};

}  // namespace meshorch::tacker
