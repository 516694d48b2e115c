// Internal: Nova server look-up (GET /v2.1/servers/{id}), for the addresses Tacker does not
// report (dynamically assigned IPs).
#pragma once

#include "http/client.hpp"
#include "openstack/keystone_session.hpp"

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::openstack {

struct ServerAddress {
    std::string network;
    std::string address;
    int ip_version = 4;
    std::string type;  // OS-EXT-IPS:type: "fixed" or "floating" ("" when not reported)
};

struct NovaServer {
    std::string id;
    std::string name;
    std::string status;                    // ACTIVE, BUILD, ERROR, ...
    std::vector<ServerAddress> addresses;  // in the order Nova lists networks and ports
};

// The body of GET /servers/{id}: {"server": {"id", "name", "status", "addresses": {net: [...]}}}.
Result<NovaServer> parse_server(std::string_view body);

// The address the mesh reaches the server at: on `network` when given (a fixed address
// preferred, IPv4 before IPv6), else the first fixed IPv4 on any network, else the first IPv4.
// "" when the server has none yet.
std::string pick_address(const NovaServer& server, std::string_view network);

// `endpoint` (the catalog's compute URL, with or without "/v2.1[/<project>]") + `path`.
std::string compute_url(std::string_view endpoint, std::string_view path);

class NovaClient {
public:
    // `endpoint`: empty to use the catalog's "compute" endpoint.
    NovaClient(std::shared_ptr<KeystoneSession> session, std::shared_ptr<http::Client> client,
               std::string endpoint);
    // Errc::not_found when Nova does not know the server.
    Result<NovaServer> get_server(const std::string& server_id, const CallContext& ctx);

private:
    std::shared_ptr<KeystoneSession> session_;
    std::shared_ptr<http::Client> client_;
    std::string endpoint_;
};

}  // namespace meshorch::openstack
