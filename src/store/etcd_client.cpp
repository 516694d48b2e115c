#include "store/etcd_client.hpp"

#include "store/etcd_base64.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <utility>

namespace meshorch::store_detail {

namespace json = boost::json;

namespace {

// The gateway writes 64-bit numbers as strings ("revision": "12") and leaves out zero values.
std::int64_t number_field(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (v == nullptr) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (!v->is_string()) return 0;
    const json::string& s = v->as_string();
    std::int64_t n = 0;
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
}

bool bool_field(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v != nullptr && v->is_bool() && v->as_bool();
}

const json::object& object_field(const json::object& o, std::string_view name) {
    static const json::object empty;
    const json::value* v = o.if_contains(name);
    return v != nullptr && v->is_object() ? v->as_object() : empty;
}

const json::array& array_field(const json::object& o, std::string_view name) {
    static const json::array empty;
    const json::value* v = o.if_contains(name);
    return v != nullptr && v->is_array() ? v->as_array() : empty;
}

Result<std::string> bytes_field(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (v == nullptr) return std::string();
    auto decoded = v->is_string() ? base64_decode(v->as_string()) : std::nullopt;
    if (!decoded) {
        return make_error(Errc::backend,
                          "etcd answered with a " + std::string(name) + " that is not base64");
    }
    return std::move(*decoded);
}

Result<RangeResult> read_range(const json::object& response) {
    RangeResult out;
    out.more = bool_field(response, "more");
    out.revision = number_field(object_field(response, "header"), "revision");
    for (const json::value& item : array_field(response, "kvs")) {
        if (!item.is_object()) return make_error(Errc::backend, "etcd answered a malformed range");
        const json::object& kv = item.as_object();
        KeyValue entry;
        auto key = bytes_field(kv, "key");
        if (!key) return std::move(key).error();
        auto value = bytes_field(kv, "value");
        if (!value) return std::move(value).error();
        entry.key = std::move(*key);
        entry.value = std::move(*value);
        entry.create_revision = number_field(kv, "create_revision");
        entry.mod_revision = number_field(kv, "mod_revision");
        entry.lease = number_field(kv, "lease");
        out.kvs.push_back(std::move(entry));
    }
    return out;
}

json::object range_body(const RangeRequest& request) {
    json::object body;
    body["key"] = base64_encode(request.key);
    if (!request.range_end.empty()) body["range_end"] = base64_encode(request.range_end);
    if (request.limit > 0) body["limit"] = std::to_string(request.limit);
    if (request.revision > 0) body["revision"] = std::to_string(request.revision);
    if (request.keys_only) body["keys_only"] = true;
    return body;
}

json::object op_body(const TxnOp& op) {
    json::object inner;
    inner["key"] = base64_encode(op.key);
    json::object out;
    switch (op.kind) {
        case TxnOp::Kind::put:
            inner["value"] = base64_encode(op.value);
            if (op.lease != 0) inner["lease"] = std::to_string(op.lease);
            out["request_put"] = std::move(inner);
            break;
        case TxnOp::Kind::delete_key: out["request_delete_range"] = std::move(inner); break;
        case TxnOp::Kind::get: out["request_range"] = std::move(inner); break;
    }
    return out;
}

json::object compare_body(const Compare& c) {
    json::object out;
    out["key"] = base64_encode(c.key);
    out["result"] = "EQUAL";
    switch (c.target) {
        case Compare::Target::create_revision:
            out["target"] = "CREATE";
            out["create_revision"] = std::to_string(c.number);
            break;
        case Compare::Target::mod_revision:
            out["target"] = "MOD";
            out["mod_revision"] = std::to_string(c.number);
            break;
        case Compare::Target::value:
            out["target"] = "VALUE";
            out["value"] = base64_encode(c.value);
            break;
        case Compare::Target::lease:
            out["target"] = "LEASE";
            out["lease"] = std::to_string(c.number);
            break;
    }
    return out;
}

// etcd's own words from an error body ({"error", "message", "code"}), or an excerpt of the body.
std::string etcd_message(const std::string& body) {
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        if (const json::value* m = v.as_object().if_contains("message"); m && m->is_string()) {
            return std::string(m->as_string());
        }
    }
    return body.substr(0, 200);
}

}  // namespace

std::string prefix_end(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty()) {
        if (static_cast<unsigned char>(end.back()) < 0xff) {
            end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // every key: etcd reads "\0" as "to the end"
}

EtcdClient::EtcdClient(EtcdClientOptions options, std::shared_ptr<http::Client> http)
    : options_(std::move(options)), http_(std::move(http)) {}

Result<std::shared_ptr<EtcdClient>> EtcdClient::create(EtcdClientOptions options) {
    if (options.endpoints.empty()) {
        return make_error(Errc::invalid_argument, "etcd: no endpoint given");
    }
    for (auto& endpoint : options.endpoints) {
        if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
            return make_error(Errc::invalid_argument,
                              "etcd: endpoint \"" + endpoint + "\" is not an http(s):// URL");
        }
        while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
    }
    http::ClientOptions http_options;
    http_options.tls = options.tls;
    http_options.connect_timeout = options.call_timeout;
    http_options.request_timeout = options.call_timeout;
    http_options.logger = "etcd";
    auto http = http::Client::create(std::move(http_options));
    if (!http) return std::move(http).error();
    return std::shared_ptr<EtcdClient>(new EtcdClient(std::move(options), std::move(*http)));
}

Status EtcdClient::authenticate(const std::string& endpoint) {
    http::Request request;
    request.method = "POST";
    request.url = endpoint + "/v3/auth/authenticate";
    request.headers.push_back({"Content-Type", "application/json"});
    request.body =
        json::serialize(json::object{{"name", options_.username}, {"password", options_.password}});
    request.secret_body = true;
    CallContext ctx;
    ctx.deadline = Clock::now() + options_.call_timeout;
    auto response = http_->send(request, ctx);
    if (!response) return std::move(response).error();
    if (response->status != 200) {
        Error e = make_error(response->status >= 500 ? Errc::transient : Errc::backend,
                             "etcd at " + endpoint + " refused user \"" + options_.username +
                                 "\": " + etcd_message(response->body));
        e.http_status = response->status;
        return e;
    }
    boost::system::error_code ec;
    const json::value v = json::parse(response->body, ec);
    const json::value* token = !ec && v.is_object() ? v.as_object().if_contains("token") : nullptr;
    if (token == nullptr || !token->is_string() || token->as_string().empty()) {
        return make_error(Errc::backend, "etcd at " + endpoint + " gave no token for user \"" +
                                             options_.username + "\"");
    }
    std::lock_guard lock(token_mutex_);
    token_ = std::string(token->as_string());
    return Ok{};
}

Result<json::object> EtcdClient::call_once(const std::string& endpoint, std::string_view path,
                                           const std::string& body, const std::string& what,
                                           bool& retry_elsewhere) {
    retry_elsewhere = false;
    const bool auth = !options_.username.empty();
    for (int attempt = 0;; ++attempt) {
        std::string token;
        if (auth) {
            {
                std::lock_guard lock(token_mutex_);
                token = token_;
            }
            if (token.empty()) {
                if (Status s = authenticate(endpoint); !s) {
                    retry_elsewhere =
                        s.error().code == Errc::transient || s.error().code == Errc::timeout;
                    return std::move(s).error();
                }
                std::lock_guard lock(token_mutex_);
                token = token_;
            }
        }
        http::Request request;
        request.method = "POST";
        request.url = endpoint + std::string(path);
        request.headers.push_back({"Content-Type", "application/json"});
        if (!token.empty()) request.headers.push_back({"Authorization", token});
        request.body = body;
        CallContext ctx;
        ctx.deadline = Clock::now() + options_.call_timeout;
        auto response = http_->send(request, ctx);
        if (!response) {
            const Error& e = response.error();
            retry_elsewhere = e.code == Errc::transient || e.code == Errc::timeout;
            return make_error(retry_elsewhere ? Errc::transient : e.code,
                              "etcd at " + endpoint + ": " + what + ": " + e.message);
        }
        const int status = response->status;
        if (status == 401 && auth && attempt == 0) {
            // The token expired (or the member restarted): authenticate again, once.
            std::lock_guard lock(token_mutex_);
            if (token_ == token) token_.clear();
            continue;
        }
        if (status != 200) {
            retry_elsewhere = status >= 500;
            Error e = make_error(retry_elsewhere ? Errc::transient : Errc::backend,
                                 "etcd at " + endpoint + ": " + what + ": HTTP " +
                                     std::to_string(status) + ": " + etcd_message(response->body));
            e.http_status = status;
            e.body_excerpt = response->body.substr(0, 512);
            return e;
        }
        boost::system::error_code ec;
        json::value v = json::parse(response->body, ec);
        if (ec || !v.is_object()) {
            return make_error(Errc::backend, "etcd at " + endpoint + ": " + what +
                                                 ": the answer is not a JSON object");
        }
        return std::move(v.as_object());
    }
}

Result<json::object> EtcdClient::call(std::string_view path, const json::object& body,
                                      const std::string& what) {
    const std::string text = json::serialize(body);
    const std::size_t count = options_.endpoints.size();
    const std::size_t first = preferred_.load();
    std::string reasons;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t index = (first + i) % count;
        bool retry_elsewhere = false;
        auto result = call_once(options_.endpoints[index], path, text, what, retry_elsewhere);
        if (result) {
            preferred_.store(index);
            return result;
        }
        if (!retry_elsewhere) return std::move(result).error();
        if (count == 1) return std::move(result).error();
        reasons += reasons.empty() ? "" : "; ";
        reasons += result.error().message;
    }
    return make_error(Errc::transient,
                      "etcd: " + what + ": no endpoint answered (" + reasons + ")");
}

Result<RangeResult> EtcdClient::range(const RangeRequest& request) {
    auto response = call("/v3/kv/range", range_body(request), "reading " + request.key);
    if (!response) return std::move(response).error();
    return read_range(*response);
}

Result<std::int64_t> EtcdClient::put(const std::string& key, const std::string& value,
                                     std::int64_t lease) {
    json::object body{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease != 0) body["lease"] = std::to_string(lease);
    auto response = call("/v3/kv/put", body, "writing " + key);
    if (!response) return std::move(response).error();
    return number_field(object_field(*response, "header"), "revision");
}

Result<std::int64_t> EtcdClient::delete_key(const std::string& key) {
    auto response =
        call("/v3/kv/deleterange", json::object{{"key", base64_encode(key)}}, "deleting " + key);
    if (!response) return std::move(response).error();
    return number_field(*response, "deleted");
}

Result<TxnResult> EtcdClient::txn(const std::vector<Compare>& compares,
                                  const std::vector<TxnOp>& success,
                                  const std::vector<TxnOp>& failure) {
    json::object body;
    json::array& c = body["compare"].emplace_array();
    for (const auto& compare : compares) c.push_back(compare_body(compare));
    json::array& s = body["success"].emplace_array();
    for (const auto& op : success) s.push_back(op_body(op));
    json::array& f = body["failure"].emplace_array();
    for (const auto& op : failure) f.push_back(op_body(op));
    const std::string what =
        "a transaction on " + (compares.empty() ? std::string("etcd") : compares.front().key);
    auto response = call("/v3/kv/txn", body, what);
    if (!response) return std::move(response).error();
    TxnResult out;
    out.succeeded = bool_field(*response, "succeeded");
    out.revision = number_field(object_field(*response, "header"), "revision");
    for (const json::value& item : array_field(*response, "responses")) {
        if (!item.is_object()) continue;
        if (const json::value* r = item.as_object().if_contains("response_range");
            r != nullptr && r->is_object()) {
            auto range = read_range(r->as_object());
            if (!range) return std::move(range).error();
            out.gets.push_back(std::move(*range));
        }
    }
    return out;
}

Result<Lease> EtcdClient::grant_lease(std::int64_t ttl_seconds) {
    auto response = call("/v3/lease/grant", json::object{{"TTL", std::to_string(ttl_seconds)}},
                         "granting a lease");
    if (!response) return std::move(response).error();
    Lease lease{number_field(*response, "ID"), number_field(*response, "TTL")};
    if (lease.id == 0) {
        return make_error(Errc::backend,
                          "etcd granted no lease: " + etcd_message(json::serialize(*response)));
    }
    return lease;
}

Result<std::int64_t> EtcdClient::keep_alive(std::int64_t lease) {
    auto response = call("/v3/lease/keepalive", json::object{{"ID", std::to_string(lease)}},
                         "renewing lease " + std::to_string(lease));
    if (!response) return std::move(response).error();
    // The gateway streams {"result": {...}}; an unknown lease comes back without a TTL.
    return number_field(object_field(*response, "result"), "TTL");
}

Status EtcdClient::revoke_lease(std::int64_t lease) {
    auto response = call("/v3/lease/revoke", json::object{{"ID", std::to_string(lease)}},
                         "revoking lease " + std::to_string(lease));
    if (!response && response.error().http_status == 404) return Ok{};  // already gone
    if (!response) return std::move(response).error();
    return Ok{};
}

}  // namespace meshorch::store_detail
