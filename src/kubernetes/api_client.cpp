#include "kubernetes/api_client.hpp"

#include "http/log.hpp"
#include "kubernetes/api_error.hpp"
#include "kubernetes/label_selector.hpp"
#include "kubernetes/watch_event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fstream>
#include <iterator>

namespace meshorch::kubernetes::detail {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string without_query(const std::string& path) {
    return path.substr(0, path.find('?'));
}

Result<std::shared_ptr<ApiClient>> ApiClient::create(const Config& config) {
    if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
        return make_error(Errc::invalid_argument,
                          "kubernetes: server \"" + config.server + "\" is not an http(s) URL");
    }
    http::ClientOptions options;
    options.tls.ca_pem = config.ca_pem;
    options.tls.client_certificate_pem = config.client_certificate_pem;
    options.tls.client_key_pem = config.client_key_pem;
    options.tls.verify_peer = !config.insecure_skip_tls_verify;
    options.tls.server_name = config.tls_server_name;
    options.max_connections_per_host = config.max_connections;
    options.connect_timeout = config.connect_timeout;
    options.request_timeout = config.request_timeout;
    options.logger = logger_name;
    auto client = http::Client::create(std::move(options));
    if (!client) {
        Error e = std::move(client).error();
        e.message = "kubernetes " + config.server + ": " + e.message;
        return e;
    }
    return std::shared_ptr<ApiClient>(new ApiClient(config, std::move(*client)));
}

ApiClient::ApiClient(Config config, std::shared_ptr<http::Client> client)
    : config_(std::move(config)),
      client_(std::move(client)),
      log_(http::detail::named_logger(logger_name)) {
    while (!config_.server.empty() && config_.server.back() == '/') config_.server.pop_back();
}

Result<std::string> ApiClient::bearer_token() {
    if (config_.token_file.empty()) return config_.token;
    std::lock_guard lock(token_mutex_);
    std::error_code ec;
    const auto mtime = fs::last_write_time(config_.token_file, ec);
    const auto size = ec ? 0 : fs::file_size(config_.token_file, ec);
    if (ec) {
        // A rotation may briefly replace the file; the last token read is still the best bet.
        if (!file_token_.empty()) return file_token_;
        return make_error(Errc::io, "kubernetes: cannot read the token file " + config_.token_file +
                                        ": " + ec.message());
    }
    if (!file_token_.empty() && mtime == token_mtime_ && size == token_size_) return file_token_;
    std::ifstream in(config_.token_file, std::ios::binary);
    std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    if (!in.good() && !in.eof()) {
        if (!file_token_.empty()) return file_token_;
        return make_error(Errc::io, "kubernetes: cannot read the token file " + config_.token_file);
    }
    if (token.empty() && !file_token_.empty()) return file_token_;  // caught mid-rotation
    file_token_ = std::move(token);
    token_mtime_ = mtime;
    token_size_ = size;
    return file_token_;
}

http::Request ApiClient::request(const std::string& method, const std::string& path,
                                 std::string body, const char* content_type,
                                 const std::string& token) const {
    http::Request r;
    r.method = method;
    r.url = config_.server + path;
    r.headers.push_back({"Accept", json_type});
    if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + token});
    if (content_type) r.headers.push_back({"Content-Type", content_type});
    r.body = std::move(body);
    return r;
}

Result<http::Response> ApiClient::send(const std::string& method, const std::string& path,
                                       std::string body, const char* content_type,
                                       const CallContext& ctx) {
    auto token = bearer_token();
    if (!token) return std::move(token).error();
    return client_->send(request(method, path, std::move(body), content_type, *token), ctx);
}

Result<json::object> ApiClient::call(const std::string& method, const std::string& path,
                                     std::string body, const char* content_type,
                                     const CallContext& ctx) {
    auto response = send(method, path, std::move(body), content_type, ctx);
    if (!response) return std::move(response).error();
    const std::string where = without_query(path);
    if (response->status < 200 || response->status > 299) {
        return api_error(method, where, response->status, response->body,
                         response->header("Retry-After"));
    }
    boost::system::error_code ec;
    json::value doc = json::parse(response->body, ec);
    if (ec) {
        return malformed_response(method, where, response->status,
                                  "the body is not JSON (" + ec.message() + ")", response->body);
    }
    if (!doc.is_object()) {
        return malformed_response(method, where, response->status, "the body is not a JSON object",
                                  response->body);
    }
    return std::move(doc.get_object());
}

Result<std::optional<json::object>> ApiClient::call_unless_absent(const std::string& method,
                                                                  const std::string& path,
                                                                  std::string body,
                                                                  const char* content_type,
                                                                  const CallContext& ctx) {
    auto r = call(method, path, std::move(body), content_type, ctx);
    if (r) return std::optional<json::object>(std::move(*r));
    if (r.error().http_status == 404) return std::optional<json::object>();
    return std::move(r).error();
}

Result<ListResult> ApiClient::list_all(const std::string& collection, const std::string& selector,
                                       std::size_t page_size, const CallContext& ctx) {
    ListResult out;
    std::string continue_token;
    for (int page = 0;; ++page) {
        auto r = call("GET", collection + list_query(selector, page_size, continue_token), {},
                      nullptr, ctx);
        if (!r) return std::move(r).error();
        const auto* items = r->if_contains("items");
        if (!items || !(items->is_array() || items->is_null())) {
            return malformed_response("GET", collection, 200, "a list without \"items\"",
                                      json::serialize(*r));
        }
        if (items->is_array()) {
            for (auto& item : r->at("items").get_array()) {
                if (!item.is_object()) {
                    return malformed_response("GET", collection, 200,
                                              "a list item is not an object", json::serialize(*r));
                }
                out.items.push_back(std::move(item.get_object()));
            }
        }
        std::string next;
        if (const auto* md = r->if_contains("metadata"); md && md->is_object()) {
            // The first page's resourceVersion is the snapshot every later page continues.
            if (page == 0) out.resource_version = resource_version(*r);
            if (const auto* c = md->get_object().if_contains("continue"); c && c->is_string()) {
                next = std::string(c->get_string());
            }
        }
        if (next.empty()) return out;
        if (next == continue_token) {
            return malformed_response("GET", collection, 200, "the continue token does not advance",
                                      {});
        }
        continue_token = std::move(next);
    }
}

Status ApiClient::watch(const std::string& path, const CallContext& ctx,
                        const std::function<bool(std::string_view line)>& on_line) {
    auto token = bearer_token();
    if (!token) return std::move(token).error();
    int status = 0;
    std::optional<std::string> retry_after;
    std::string error_body;
    std::optional<Error> failure;
    LineSplitter lines;
    auto result = client_->stream(
        request("GET", path, {}, nullptr, *token), ctx,
        [&](const http::Response& head) {
            status = head.status;
            retry_after = head.header("Retry-After");
        },
        [&](std::string_view data) {
            if (status != 200) {
                if (error_body.size() < 64 * 1024) error_body.append(data);
                return true;
            }
            auto fed = lines.feed(data, on_line);
            if (!fed) {
                failure = std::move(fed).error();
                return false;
            }
            return *fed;
        });
    if (failure) {
        failure->message = "GET " + without_query(path) + ": " + failure->message;
        return std::move(*failure);
    }
    if (!result) return result;
    if (status != 200)
        return api_error("GET", without_query(path), status, error_body, retry_after);
    return Ok{};
}

Result<std::map<std::string, ResourceInfo>> ApiClient::fetch_discovery(const std::string& gv_path,
                                                                       const CallContext& ctx) {
    auto doc = call_unless_absent("GET", gv_path, {}, nullptr, ctx);
    if (!doc) return std::move(doc).error();
    if (!*doc) return std::map<std::string, ResourceInfo>{};  // the group version is not served
    auto parsed = parse_resource_list(json::value(std::move(**doc)));
    if (!parsed) return malformed_response("GET", gv_path, 200, parsed.error().message, {});
    return parsed;
}

Result<ResourceRef> ApiClient::resource(const std::string& api_version, const std::string& kind,
                                        const CallContext& ctx) {
    auto gv_path = group_version_path(api_version);
    if (!gv_path) return std::move(gv_path).error();
    {
        std::lock_guard lock(discovery_mutex_);
        if (auto gv = discovery_.find(*gv_path); gv != discovery_.end()) {
            if (auto it = gv->second.find(kind); it != gv->second.end()) {
                return ResourceRef{*gv_path, it->second};
            }
        }
    }
    // Not cached, or cached before the kind existed: ask the server (once).
    auto fetched = fetch_discovery(*gv_path, ctx);
    if (!fetched) return std::move(fetched).error();
    std::lock_guard lock(discovery_mutex_);
    auto& cached = discovery_[*gv_path] = std::move(*fetched);
    if (auto it = cached.find(kind); it != cached.end()) return ResourceRef{*gv_path, it->second};
    log_->debug("discovery {}: no kind {}", *gv_path, kind);
    return make_error(Errc::not_found,
                      "the server has no resource for " + api_version + " " + kind);
}

}  // namespace meshorch::kubernetes::detail
