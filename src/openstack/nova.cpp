#include "openstack/nova.hpp"

#include "openstack/api_error.hpp"
#include "openstack/json_fields.hpp"
#include "openstack/logging.hpp"

#include <spdlog/spdlog.h>

namespace meshorch::openstack {

namespace {

constexpr std::string_view where = "Nova GET /servers";

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<NovaServer> parse_server(std::string_view body) {
    auto root = parse_object(body, where);
    if (!root) return std::move(root).error();
    const auto* server = find_object(*root, "server");
    if (!server) return malformed(where, "no \"server\" object");
    NovaServer out;
    auto id = required_string(*server, "id", where);
    if (!id) return std::move(id).error();
    out.id = *id;
    out.name = string_or_empty(*server, "name");
    out.status = string_or_empty(*server, "status");
    if (const auto* addresses = find_object(*server, "addresses")) {
        for (const auto& [network, ports] : *addresses) {
            if (!ports.is_array()) continue;
            for (const auto& port : ports.get_array()) {
                if (!port.is_object()) continue;
                const auto& p = port.get_object();
                ServerAddress a;
                a.network = std::string(network);
                a.address = string_or_empty(p, "addr");
                if (a.address.empty()) continue;
                if (auto it = p.find("version"); it != p.end() && it->value().is_int64()) {
                    a.ip_version = static_cast<int>(it->value().get_int64());
                } else {
                    a.ip_version = a.address.find(':') == std::string::npos ? 4 : 6;
                }
                a.type = string_or_empty(p, "OS-EXT-IPS:type");
                out.addresses.push_back(std::move(a));
            }
        }
    }
    return out;
}

std::string pick_address(const NovaServer& server, std::string_view network) {
    auto best = [&](auto&& accept) -> const ServerAddress* {
        // Ranked: fixed IPv4, IPv4, fixed IPv6, anything.
        const ServerAddress* ranked[4] = {nullptr, nullptr, nullptr, nullptr};
        for (const auto& a : server.addresses) {
            if (!accept(a)) continue;
            const bool fixed = a.type.empty() || a.type == "fixed";
            int rank = a.ip_version == 4 ? (fixed ? 0 : 1) : (fixed ? 2 : 3);
            if (!ranked[rank]) ranked[rank] = &a;
        }
        for (const auto* a : ranked) {
            if (a) return a;
        }
        return nullptr;
    };
    const ServerAddress* chosen =
        network.empty() ? best([](const ServerAddress& a) { return a.ip_version == 4; })
                        : best([&](const ServerAddress& a) { return a.network == network; });
    return chosen ? chosen->address : std::string();
}

std::string compute_url(std::string_view endpoint, std::string_view path) {
    std::string base(endpoint);
    while (!base.empty() && base.back() == '/') base.pop_back();
    // The catalog URL is often ".../v2.1" or ".../v2.1/<project id>"; otherwise add the version.
    const auto v = base.rfind("/v2.1");
    const bool versioned = v != std::string::npos &&
                           (v + 5 == base.size() || base.find('/', v + 6) == std::string::npos);
    if (!versioned && !ends_with(base, "/v2")) base += "/v2.1";
    return base + std::string(path);
}

NovaClient::NovaClient(std::shared_ptr<KeystoneSession> session,
                       std::shared_ptr<http::Client> client, std::string endpoint)
    : session_(std::move(session)), client_(std::move(client)), endpoint_(std::move(endpoint)) {}

Result<NovaServer> NovaClient::get_server(const std::string& server_id, const CallContext& ctx) {
    std::string endpoint = endpoint_;
    if (endpoint.empty()) {
        auto found = session_->endpoint("compute", ctx);
        if (!found) return std::move(found).error();
        endpoint = *found;
    }
    http::Request request;
    request.method = "GET";
    request.url = compute_url(endpoint, "/servers/" + http::url_encode(server_id));
    request.headers = {{"Accept", "application/json"}};
    auto response = session_->send(*client_, request, ctx);
    if (!response) return std::move(response).error();
    if (response->status != 200) {
        Error e = error_from_response("GET", request.url, *response);
        e.message = "Nova " + e.message;
        return e;
    }
    auto server = parse_server(response->body);
    if (server) {
        logger("nova")->debug("{}server {} is {} with {} address(es)", op_prefix(ctx.operation_id),
                              server->id, server->status, server->addresses.size());
    }
    return server;
}

}  // namespace meshorch::openstack
