// Internal: the small etcd v3 client the etcd StateStore and the leader election talk through.
//
// etcd's JSON gRPC gateway (HTTP/1.1, POST /v3/<service>/<method>, keys and values in base64,
// 64-bit numbers as strings) over the project's HTTP client: KV range/put/delete/txn and lease
// grant/keepalive/revoke, plus user/password authentication (a token from /v3/auth/authenticate,
// fetched again when the server no longer takes it).
//
// Endpoints: a call goes to the endpoint that answered last; on connection trouble, a timeout or
// a 5xx it tries the others, each once. Errors: when none answers, Errc::transient naming the
// endpoints and the last reason; a refusal (4xx) is Errc::backend with etcd's message, the HTTP
// status and a body excerpt.
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include "http/client.hpp"

#include <meshorch/error.hpp>

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::store_detail {

struct EtcdClientOptions {
    std::vector<std::string> endpoints;  // "http(s)://host:port", at least one
    http::TlsOptions tls;
    std::chrono::milliseconds call_timeout{5000};  // one request to one endpoint
    std::string username;                          // empty: no authentication
    std::string password;
};

struct KeyValue {
    std::string key;
    std::string value;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t lease = 0;
};

struct RangeRequest {
    std::string key;
    std::string range_end;      // empty: the key alone; else [key, range_end)
    std::int64_t limit = 0;     // 0: no limit
    std::int64_t revision = 0;  // 0: the newest
    bool keys_only = false;
};

struct RangeResult {
    std::vector<KeyValue> kvs;  // in key order
    bool more = false;          // the limit cut the result short
    std::int64_t revision = 0;  // the store's revision the result was read at
};

// One condition of a transaction; it holds when the key's field equals the given one (a key
// that does not exist has create_revision 0).
struct Compare {
    enum class Target { create_revision, mod_revision, value, lease };
    std::string key;
    Target target = Target::create_revision;
    std::int64_t number = 0;  // for the revisions and the lease
    std::string value;        // for Target::value
};

// One operation of a transaction.
struct TxnOp {
    enum class Kind { put, delete_key, get };
    Kind kind = Kind::get;
    std::string key;
    std::string value;       // put
    std::int64_t lease = 0;  // put: attach the key to this lease
};

struct TxnResult {
    bool succeeded = false;         // every compare held, so the success branch ran
    std::int64_t revision = 0;      // the store's revision after the transaction
    std::vector<RangeResult> gets;  // the results of the branch's get operations, in order
};

struct Lease {
    std::int64_t id = 0;
    std::int64_t ttl_seconds = 0;
};

// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
std::string prefix_end(std::string_view prefix);

class EtcdClient {
public:
    // Errc::invalid_argument for no endpoint, a malformed one, or TLS files that cannot be read.
    static Result<std::shared_ptr<EtcdClient>> create(EtcdClientOptions options);

    Result<RangeResult> range(const RangeRequest& request);
    Result<std::int64_t> put(const std::string& key, const std::string& value,
                             std::int64_t lease = 0);         // the new revision
    Result<std::int64_t> delete_key(const std::string& key);  // how many were deleted (0 or 1)
    Result<TxnResult> txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                          const std::vector<TxnOp>& failure);

    Result<Lease> grant_lease(std::int64_t ttl_seconds);
    // The lease's remaining TTL in seconds after the renewal; 0 when the lease no longer exists.
    Result<std::int64_t> keep_alive(std::int64_t lease);
    Status revoke_lease(std::int64_t lease);  // a lease already gone: Ok

    const std::vector<std::string>& endpoints() const noexcept { return options_.endpoints; }

private:
    EtcdClient(EtcdClientOptions options, std::shared_ptr<http::Client> http);

    // POSTs `body` to `path` ("/v3/kv/range"), with endpoint failover and authentication;
    // `what` says what the call is for in error messages.
    Result<boost::json::object> call(std::string_view path, const boost::json::object& body,
                                     const std::string& what);
    Result<boost::json::object> call_once(const std::string& endpoint, std::string_view path,
                                          const std::string& body, const std::string& what,
                                          bool& retry_elsewhere);
    Status authenticate(const std::string& endpoint);

    EtcdClientOptions options_;
    std::shared_ptr<http::Client> http_;
    std::atomic<std::size_t> preferred_{0};  // the endpoint that answered last
    std::mutex token_mutex_;
    std::string token_;  // the auth token, when authentication is on
};

}  // namespace meshorch::store_detail
