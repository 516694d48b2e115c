// Internal: Tacker's VNF LCM v2 API (/vnflcm/v2, header "Version: 2.0.0" on every request),
// blocking, authenticated through a KeystoneSession.
//
// Task resources answer 202 with a Location naming the VnfLcmOpOcc, whose id is returned;
// the op occurrence is the source of truth for the outcome. Non-2xx answers become Errors via
// openstack::error_from_response; malformed 2xx bodies are Errc::backend "malformed response".
#pragma once

#include "http/client.hpp"
#include "openstack/keystone_session.hpp"
#include "tacker/lcm_responses.hpp"
#include "tacker/operation_notifier.hpp"

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch::tacker {

inline constexpr const char* api_version = "2.0.0";

class TackerClient {
public:
    // `endpoint`: empty to use the catalog's "nfv-orchestration" endpoint.
    TackerClient(std::shared_ptr<openstack::KeystoneSession> session,
                 std::shared_ptr<http::Client> client, std::string endpoint);

    Result<TackerVnfInstance> create_vnf(const boost::json::object& request,
                                         const CallContext& ctx);
    // The task resources: each returns the op occurrence id.
    Result<std::string> instantiate(const std::string& vnf_id, const boost::json::object& request,
                                    const CallContext& ctx);
    Result<std::string> scale(const std::string& vnf_id, const boost::json::object& request,
                              const CallContext& ctx);
    Result<std::string> heal(const std::string& vnf_id, const boost::json::object& request,
                             const CallContext& ctx);
    Result<std::string> terminate(const std::string& vnf_id, const boost::json::object& request,
                                  const CallContext& ctx);
    // 404 is success: the identifier is gone either way.
    Status delete_vnf(const std::string& vnf_id, const CallContext& ctx);

    Result<TackerVnfInstance> get_vnf(const std::string& vnf_id, const CallContext& ctx);
    // GET vnf_instances?filter=(eq,vnfInstanceName,<name>)
    Result<std::vector<TackerVnfInstance>> find_vnfs(const std::string& name,
                                                     const CallContext& ctx);
    Result<LcmOperation> get_operation(const std::string& op_id, const CallContext& ctx);

    // FAILED_TEMP handling: roll back (202; the op occurrence goes ROLLING_BACK, then
    // ROLLED_BACK; returns once it no longer reads FAILED_TEMP) or give up (200; FAILED, final).
    Status rollback_operation(const std::string& op_id, const CallContext& ctx);
    Result<LcmOperation> fail_operation(const std::string& op_id, const CallContext& ctx);
    // Re-reads the op occurrence until it leaves STARTING/PROCESSING/ROLLING_BACK or ctx's
    // deadline passes (Errc::timeout). Between reads it waits `poll_interval`, or less when
    // `notifier` is woken by a notification for this operation.
    Result<LcmOperation> wait_for_operation(const std::string& op_id,
                                            std::chrono::milliseconds poll_interval,
                                            OperationNotifier* notifier, const CallContext& ctx);

    // LCM notification subscriptions; a 404 on delete is success.
    Result<std::string> create_subscription(const boost::json::object& request,
                                            const CallContext& ctx);
    Status delete_subscription(const std::string& subscription_id, const CallContext& ctx);

    // The API base URL ("<endpoint>/vnflcm/v2").
    Result<std::string> base_url(const CallContext& ctx);

private:
    Result<http::Response> call(const std::string& method, const std::string& path,
                                const boost::json::object* body, const CallContext& ctx,
                                std::string* url_out = nullptr);
    Result<std::string> start_task(const std::string& vnf_id, const char* task,
                                   const boost::json::object& request, const CallContext& ctx);

    std::shared_ptr<openstack::KeystoneSession> session_;
    std::shared_ptr<http::Client> client_;
    std::string endpoint_;
};

}  // namespace meshorch::tacker
