#include "tacker/tacker_client.hpp"

#include "openstack/api_error.hpp"
#include "openstack/json_fields.hpp"
#include "openstack/logging.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace meshorch::tacker {

namespace {

using openstack::error_from_response;
using openstack::op_prefix;
using openstack::url_path;

std::string where(const std::string& method, const std::string& url) {
    return "Tacker " + method + " " + url_path(url);
}

// The longest pause between the looks at an occurrence whose rollback was just accepted.
constexpr std::chrono::milliseconds max_pause{100};

bool in_progress(LcmState s) {
    return s == LcmState::starting || s == LcmState::processing || s == LcmState::rolling_back;
}

}  // namespace

TackerClient::TackerClient(std::shared_ptr<openstack::KeystoneSession> session,
                           std::shared_ptr<http::Client> client, std::string endpoint)
    : session_(std::move(session)), client_(std::move(client)), endpoint_(std::move(endpoint)) {}

Result<std::string> TackerClient::base_url(const CallContext& ctx) {
    std::string base = endpoint_;
    if (base.empty()) {
        auto found = session_->endpoint("nfv-orchestration", ctx);
        if (!found) return std::move(found).error();
        base = *found;
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string suffix = "/vnflcm/v2";
    if (base.size() < suffix.size() ||
        base.compare(base.size() - suffix.size(), suffix.size(), suffix) != 0) {
        base += suffix;
    }
    return base;
}

Result<http::Response> TackerClient::call(const std::string& method, const std::string& path,
                                          const boost::json::object* body, const CallContext& ctx,
                                          std::string* url_out) {
    auto base = base_url(ctx);
    if (!base) return std::move(base).error();
    http::Request request;
    request.method = method;
    request.url = *base + path;
    request.headers = {{"Version", api_version}, {"Accept", "application/json"}};
    if (body) {
        request.headers.push_back({"Content-Type", "application/json"});
        request.body = boost::json::serialize(*body);
    }
    if (url_out) *url_out = request.url;
    auto response = session_->send(*client_, std::move(request), ctx);
    auto log = openstack::logger("tacker");
    if (!response) {
        log->warn("{}{}", op_prefix(ctx.operation_id), response.error().message);
    } else {
        log->debug("{}{} {} -> {}", op_prefix(ctx.operation_id), method, path, response->status);
    }
    return response;
}

Result<TackerVnfInstance> TackerClient::create_vnf(const boost::json::object& request,
                                                   const CallContext& ctx) {
    std::string url;
    auto response = call("POST", "/vnf_instances", &request, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 201) return error_from_response("POST", url, *response);
    return parse_vnf_instance_body(response->body, where("POST", url));
}

Result<std::string> TackerClient::start_task(const std::string& vnf_id, const char* task,
                                             const boost::json::object& request,
                                             const CallContext& ctx) {
    std::string url;
    auto response = call("POST", "/vnf_instances/" + http::url_encode(vnf_id) + "/" + task,
                         &request, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 202) return error_from_response("POST", url, *response);
    auto location = response->header("Location");
    if (!location) return openstack::malformed(where("POST", url), "202 without a Location header");
    auto op = op_id_from_location(*location);
    if (op) {
        openstack::logger("tacker")->info("{}{} of VNF {} started: op occurrence {}",
                                          op_prefix(ctx.operation_id), task, vnf_id, *op);
    }
    return op;
}

Result<std::string> TackerClient::instantiate(const std::string& vnf_id,
                                              const boost::json::object& request,
                                              const CallContext& ctx) {
    return start_task(vnf_id, "instantiate", request, ctx);
}

Result<std::string> TackerClient::scale(const std::string& vnf_id,
                                        const boost::json::object& request,
                                        const CallContext& ctx) {
    return start_task(vnf_id, "scale", request, ctx);
}

Result<std::string> TackerClient::heal(const std::string& vnf_id,
                                       const boost::json::object& request, const CallContext& ctx) {
    return start_task(vnf_id, "heal", request, ctx);
}

Result<std::string> TackerClient::terminate(const std::string& vnf_id,
                                            const boost::json::object& request,
                                            const CallContext& ctx) {
    return start_task(vnf_id, "terminate", request, ctx);
}

Status TackerClient::delete_vnf(const std::string& vnf_id, const CallContext& ctx) {
    std::string url;
    auto response =
        call("DELETE", "/vnf_instances/" + http::url_encode(vnf_id), nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status == 204 || response->status == 200 || response->status == 404) {
        return Ok{};
    }
    return error_from_response("DELETE", url, *response);
}

Result<TackerVnfInstance> TackerClient::get_vnf(const std::string& vnf_id, const CallContext& ctx) {
    std::string url;
    auto response = call("GET", "/vnf_instances/" + http::url_encode(vnf_id), nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 200) return error_from_response("GET", url, *response);
    return parse_vnf_instance_body(response->body, where("GET", url));
}

Result<std::vector<TackerVnfInstance>> TackerClient::find_vnfs(const std::string& name,
                                                               const CallContext& ctx) {
    // SOL013 attribute filter; a name with ',' or ')' would need quoting: meshorch's names are
    // DNS-1123 labels, so they never do.
    std::string url;
    auto response = call(
        "GET", "/vnf_instances?filter=" + http::url_encode("(eq,vnfInstanceName," + name + ")"),
        nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 200) return error_from_response("GET", url, *response);
    auto found = parse_vnf_instance_list(response->body, where("GET", url));
    if (!found) return found;
    // Guard against a server that ignores the filter.
    std::vector<TackerVnfInstance> named;
    for (auto& v : *found) {
        if (v.name == name) named.push_back(std::move(v));
    }
    return named;
}

Result<LcmOperation> TackerClient::get_operation(const std::string& op_id, const CallContext& ctx) {
    std::string url;
    auto response = call("GET", "/vnf_lcm_op_occs/" + http::url_encode(op_id), nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 200) return error_from_response("GET", url, *response);
    return parse_lcm_op_occ(response->body, where("GET", url));
}

Status TackerClient::rollback_operation(const std::string& op_id, const CallContext& ctx) {
    std::string url;
    auto response = call("POST", "/vnf_lcm_op_occs/" + http::url_encode(op_id) + "/rollback",
                         nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 202) return error_from_response("POST", url, *response);
    // Tacker answers 202 before its conductor marks the occurrence ROLLING_BACK (an RPC cast);
    // until then it still reads FAILED_TEMP, which whoever waits for it next would take for the
    // outcome. The rollback counts as started once the occurrence reads otherwise.
    for (auto pause = std::chrono::milliseconds(5);; pause = std::min(pause * 2, max_pause)) {
        auto op = get_operation(op_id, ctx);
        if (!op) return std::move(op).error();
        if (op->state != LcmState::failed_temp) break;
        if (ctx.cancel.cancelled()) {
            return make_error(Errc::cancelled, "rollback of op occurrence " + op_id + " cancelled");
        }
        if (Clock::now() + pause >= ctx.deadline) {
            return make_error(Errc::timeout, "rollback of op occurrence " + op_id +
                                                 " was accepted, but the occurrence is still "
                                                 "FAILED_TEMP at the deadline");
        }
        std::this_thread::sleep_for(pause);
    }
    openstack::logger("tacker")->info("{}rollback of op occurrence {} started",
                                      op_prefix(ctx.operation_id), op_id);
    return Ok{};
}

Result<LcmOperation> TackerClient::fail_operation(const std::string& op_id,
                                                  const CallContext& ctx) {
    std::string url;
    auto response =
        call("POST", "/vnf_lcm_op_occs/" + http::url_encode(op_id) + "/fail", nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 200) return error_from_response("POST", url, *response);
    return parse_lcm_op_occ(response->body, where("POST", url));
}

Result<LcmOperation> TackerClient::wait_for_operation(const std::string& op_id,
                                                      std::chrono::milliseconds poll_interval,
                                                      OperationNotifier* notifier,
                                                      const CallContext& ctx) {
    for (;;) {
        const auto seen = notifier ? notifier->version(op_id) : 0;
        auto op = get_operation(op_id, ctx);
        if (!op) return op;
        if (!in_progress(op->state)) {
            if (notifier) notifier->forget(op_id);
            return op;
        }
        if (ctx.cancel.cancelled()) {
            return make_error(Errc::cancelled, "waiting for op occurrence " + op_id + " cancelled");
        }
        const auto now = Clock::now();
        if (now >= ctx.deadline) {
            return make_error(Errc::timeout, "op occurrence " + op_id + " still " +
                                                 to_string(op->state) + " at the deadline");
        }
        const auto until = std::min(ctx.deadline, now + poll_interval);
        if (notifier) {
            notifier->wait_for_change(op_id, seen, until, ctx.cancel);
        } else {
            while (Clock::now() < until && !ctx.cancel.cancelled()) {
                std::this_thread::sleep_for(
                    std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
            }
        }
    }
}

Result<std::string> TackerClient::create_subscription(const boost::json::object& request,
                                                      const CallContext& ctx) {
    std::string url;
    auto response = call("POST", "/subscriptions", &request, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status != 201) return error_from_response("POST", url, *response);
    auto body = openstack::parse_object(response->body, where("POST", url));
    if (!body) return std::move(body).error();
    return openstack::required_string(*body, "id", where("POST", url));
}

Status TackerClient::delete_subscription(const std::string& subscription_id,
                                         const CallContext& ctx) {
    std::string url;
    auto response =
        call("DELETE", "/subscriptions/" + http::url_encode(subscription_id), nullptr, ctx, &url);
    if (!response) return std::move(response).error();
    if (response->status == 204 || response->status == 404) return Ok{};
    return error_from_response("DELETE", url, *response);
}

}  // namespace meshorch::tacker
