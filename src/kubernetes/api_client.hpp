// Internal: the Kubernetes REST client under the Cluster port. Blocking and thread-safe (the
// port runs it on CallPool threads): authentication, JSON requests with the API's error mapping,
// paged lists, watch streams, and the discovery cache that maps apiVersion + kind to paths.
#pragma once

#include "http/client.hpp"
#include "kubernetes/resource_paths.hpp"

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/kubernetes.hpp>

#include <boost/json/object.hpp>

#include <spdlog/logger.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::kubernetes::detail {

inline constexpr const char* logger_name = "kubernetes";
inline constexpr const char* json_type = "application/json";
inline constexpr const char* apply_patch_type = "application/apply-patch+yaml";

// Where a kind lives: "/apis/networking.istio.io/v1" and its resource.
struct ResourceRef {
    std::string group_version_path;
    ResourceInfo info;
};

// Everything a paged list returned.
struct ListResult {
    std::vector<boost::json::object> items;
    std::string resource_version;  // of the list: where a watch starts
};

class ApiClient {
public:
    // Errc::invalid_argument for a server URL or TLS material the HTTP client cannot use.
    static Result<std::shared_ptr<ApiClient>> create(const Config& config);

    // One request. `path` starts with "/" and may carry a query. Any HTTP status is an answer;
    // connection trouble, timeouts and cancellation are Errors naming the method and path.
    Result<http::Response> send(const std::string& method, const std::string& path,
                                std::string body, const char* content_type, const CallContext& ctx);

    // send(), then: a 2xx JSON object is the result; another status is api_error(); a 2xx that
    // is not a JSON object is malformed_response().
    Result<boost::json::object> call(const std::string& method, const std::string& path,
                                     std::string body, const char* content_type,
                                     const CallContext& ctx);
    // call(), with 404 answered as std::nullopt.
    Result<std::optional<boost::json::object>> call_unless_absent(const std::string& method,
                                                                  const std::string& path,
                                                                  std::string body,
                                                                  const char* content_type,
                                                                  const CallContext& ctx);

    // Every page of a list: `collection` plus labelSelector/limit/continue.
    Result<ListResult> list_all(const std::string& collection, const std::string& selector,
                                std::size_t page_size, const CallContext& ctx);

    // A watch: GET `path` (with its query), each line handed to `on_line` as it arrives
    // (return false to stop). A non-200 answer is api_error().
    Status watch(const std::string& path, const CallContext& ctx,
                 const std::function<bool(std::string_view line)>& on_line);

    // Resolves apiVersion + kind through discovery (cached; a kind the cached document lacks
    // triggers one refresh, for CRDs installed later). Errc::not_found "the server has no
    // resource for <apiVersion> <kind>" when it stays absent.
    Result<ResourceRef> resource(const std::string& api_version, const std::string& kind,
                                 const CallContext& ctx);

    spdlog::logger& log() const { return *log_; }

private:
    ApiClient(Config config, std::shared_ptr<http::Client> client);
    // The bearer token: Config::token_file (read again when it changes) or Config::token.
    Result<std::string> bearer_token();
    http::Request request(const std::string& method, const std::string& path, std::string body,
                          const char* content_type, const std::string& token) const;
    Result<std::map<std::string, ResourceInfo>> fetch_discovery(const std::string& gv_path,
                                                                const CallContext& ctx);

    Config config_;
    std::shared_ptr<http::Client> client_;
    std::shared_ptr<spdlog::logger> log_;

    std::mutex token_mutex_;
    std::string file_token_;
    std::filesystem::file_time_type token_mtime_{};
    std::uintmax_t token_size_ = 0;

    std::mutex discovery_mutex_;
    std::map<std::string, std::map<std::string, ResourceInfo>> discovery_;  // by gv path
};

// "GET /api/v1/pods" without the query, for messages.
std::string without_query(const std::string& path);

}  // namespace meshorch::kubernetes::detail
