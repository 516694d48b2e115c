#include "store/etcd_options.hpp"

namespace meshorch::store_detail {

Status check_options(const EtcdOptions& options) {
    auto bad = [](const std::string& why) {
        return make_error(Errc::invalid_argument, "etcd store: " + why);
    };
    if (options.endpoints.empty()) return bad("endpoints: at least one endpoint is needed");
    if (options.prefix.empty()) return bad("prefix: must not be empty");
    if (options.lease_ttl < std::chrono::seconds(1)) {
        return bad("lease_ttl: must be at least 1s (etcd counts leases in whole seconds)");
    }
    if (options.lease_ttl % std::chrono::seconds(1) != std::chrono::milliseconds(0)) {
        return bad("lease_ttl: must be a whole number of seconds");
    }
    if (options.call_timeout <= std::chrono::milliseconds(0)) {
        return bad("call_timeout: must be positive");
    }
    if (options.keepalive_interval < std::chrono::milliseconds(0) ||
        options.retry_interval < std::chrono::milliseconds(0)) {
        return bad("keepalive_interval and retry_interval must not be negative");
    }
    if (options.page_size == 0) return bad("page_size: must be at least 1");
    if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
        return bad("client_certificate_file and client_key_file go together");
    }
    if (options.username.empty() && !options.password.empty()) {
        return bad("password: given without a username");
    }
    return Ok{};
}

EtcdClientOptions client_options(const EtcdOptions& options) {
    EtcdClientOptions out;
    out.endpoints = options.endpoints;
    out.tls.ca_file = options.ca_file;
    out.tls.client_certificate_file = options.client_certificate_file;
    out.tls.client_key_file = options.client_key_file;
    out.tls.verify_peer = !options.insecure_skip_verify;
    out.call_timeout = options.call_timeout;
    out.username = options.username;
    out.password = options.password;
    return out;
}

Result<std::shared_ptr<EtcdClient>> make_etcd_client(const EtcdOptions& options) {
    if (Status s = check_options(options); !s) return std::move(s).error();
    return EtcdClient::create(client_options(options));
}

}  // namespace meshorch::store_detail
