#include "kubernetes/cluster.hpp"

#include "kubernetes/api_error.hpp"
#include "kubernetes/label_selector.hpp"
#include "kubernetes/token_request.hpp"
#include "kubernetes/watch_event.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <spdlog/spdlog.h>

namespace meshorch::kubernetes {

namespace detail {

namespace json = boost::json;

namespace {

constexpr const char* root_cert_config_map = "istio-ca-root-cert";
constexpr const char* root_cert_key = "root-cert.pem";

// " [op <id>]" on every log line of an operation.
std::string op(const CallContext& ctx) {
    return ctx.operation_id.empty() ? std::string() : " [op " + ctx.operation_id + "]";
}

// The stored object the server answered, checked to be one.
Result<Object> stored_object(json::object body, const std::string& method,
                             const std::string& path) {
    Object o = make_object(std::move(body));
    if (o.key.api_version.empty() || o.key.kind.empty() || o.key.name.empty()) {
        return malformed_response(method, path, 200,
                                  "the answer lacks apiVersion, kind or metadata.name",
                                  json::serialize(o.manifest));
    }
    return o;
}

std::string core_path(const std::string& namespace_, const std::string& plural,
                      const std::string& name) {
    std::string p = "/api/v1/namespaces/" + http::url_encode(namespace_) + "/" + plural;
    if (!name.empty()) p += "/" + http::url_encode(name);
    return p;
}

}  // namespace

KubernetesCluster::KubernetesCluster(std::shared_ptr<ApiClient> api, Options options)
    : api_(std::move(api)),
      options_(std::move(options)),
      pool_(std::max<std::size_t>(1, options_.threads)) {}

KubernetesCluster::~KubernetesCluster() = default;

Result<std::string> KubernetesCluster::object_path_of(const ObjectKey& key,
                                                      const CallContext& ctx) {
    auto ref = api_->resource(key.api_version, key.kind, ctx);
    if (!ref) return std::move(ref).error();
    return object_path(ref->group_version_path, ref->info, key.kind, key.namespace_, key.name);
}

Result<Object> KubernetesCluster::apply_now(const Object& object, const CallContext& ctx) {
    auto path = object_path_of(object.key, ctx);
    if (!path) return std::move(path).error();
    // force=true: meshorch owns what it applies, so fields another manager took over are
    // taken back instead of failing with a conflict.
    const std::string query =
        "?fieldManager=" + http::url_encode(options_.field_manager) + "&force=true";
    auto stored =
        api_->call("PATCH", *path + query, json::serialize(object.manifest), apply_patch_type, ctx);
    if (!stored) return std::move(stored).error();
    auto result = stored_object(std::move(*stored), "PATCH", *path);
    if (result) {
        api_->log().debug("applied {} at resourceVersion {}{}", object.key.to_string(),
                          resource_version(result->manifest), op(ctx));
    }
    return result;
}

Result<std::optional<Object>> KubernetesCluster::get_now(const ObjectKey& key,
                                                         const CallContext& ctx) {
    auto path = object_path_of(key, ctx);
    if (!path) return std::move(path).error();
    auto body = api_->call_unless_absent("GET", *path, {}, nullptr, ctx);
    if (!body) return std::move(body).error();
    if (!*body) return std::optional<Object>();
    auto o = stored_object(std::move(**body), "GET", *path);
    if (!o) return std::move(o).error();
    return std::optional<Object>(std::move(*o));
}

Result<std::vector<Object>> KubernetesCluster::list_now(
    const std::string& api_version, const std::string& kind, const std::string& namespace_,
    const std::map<std::string, std::string>& labels, const CallContext& ctx) {
    auto ref = api_->resource(api_version, kind, ctx);
    if (!ref) return std::move(ref).error();
    const std::string collection = collection_path(ref->group_version_path, ref->info, namespace_);
    auto list = api_->list_all(collection, label_selector(labels), options_.list_page_size, ctx);
    if (!list) return std::move(list).error();
    std::vector<Object> out;
    out.reserve(list->items.size());
    for (auto& item : list->items) {
        // A list's items do not repeat apiVersion and kind.
        item["apiVersion"] = api_version;
        item["kind"] = kind;
        out.push_back(make_object(std::move(item)));
    }
    api_->log().debug("listed {} {} {} in {}{}", out.size(), api_version, kind,
                      namespace_.empty() ? "all namespaces" : namespace_, op(ctx));
    return out;
}

Status KubernetesCluster::remove_now(const ObjectKey& key, const CallContext& ctx) {
    auto path = object_path_of(key, ctx);
    if (!path) return std::move(path).error();
    // Background: the object goes at once, its dependents (a Deployment's pods) after it.
    const json::object options{
        {"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", "Background"}};
    auto r = api_->call_unless_absent("DELETE", *path, json::serialize(options), json_type, ctx);
    if (!r) return std::move(r).error();
    api_->log().debug("deleted {}{}{}", key.to_string(), *r ? "" : " (already gone)", op(ctx));
    return Ok{};
}

Result<ServiceAccountToken> KubernetesCluster::create_token_now(const std::string& namespace_,
                                                                const std::string& service_account,
                                                                const std::string& audience,
                                                                std::chrono::seconds lifetime,
                                                                const CallContext& ctx) {
    const std::string path = core_path(namespace_, "serviceaccounts", service_account) + "/token";
    auto body = api_->call("POST", path, json::serialize(token_request(audience, lifetime)),
                           json_type, ctx);
    if (!body) return std::move(body).error();
    auto token = parse_token_response(*body);
    // Never the body: it holds the token.
    if (!token) return malformed_response("POST", path, 201, token.error().message, {});
    api_->log().debug("token for {}/{} (audience {}){}", namespace_, service_account, audience,
                      op(ctx));
    return token;
}

Result<std::string> KubernetesCluster::root_certificate_now(const std::string& namespace_,
                                                            const CallContext& ctx) {
    const std::string path = core_path(namespace_, "configmaps", root_cert_config_map);
    auto body = api_->call_unless_absent("GET", path, {}, nullptr, ctx);
    if (!body) return std::move(body).error();
    // istiod publishes the ConfigMap in every namespace soon after it appears: waiting is the
    // answer, hence transient.
    const auto not_yet = [&](const std::string& what) {
        Error e = make_error(Errc::transient, "GET " + path + ": " + what +
                                                  ": istiod has not published the mesh root "
                                                  "certificate in namespace " +
                                                  namespace_ + " yet");
        return e;
    };
    if (!*body) {
        Error e = not_yet("ConfigMap " + std::string(root_cert_config_map) + " not found");
        e.http_status = 404;
        return e;
    }
    const auto* data = (*body)->if_contains("data");
    const auto* pem =
        data && data->is_object() ? data->get_object().if_contains(root_cert_key) : nullptr;
    if (!pem || !pem->is_string() || pem->get_string().empty()) {
        return not_yet("no data." + std::string(root_cert_key));
    }
    return std::string(pem->get_string());
}

Result<WorkloadReadiness> KubernetesCluster::workload_readiness_now(const std::string& namespace_,
                                                                    const std::string& microservice,
                                                                    const std::string& version,
                                                                    const CallContext& ctx) {
    if (options_.readiness == Readiness::watch) {
        if (auto cached = pod_cache(namespace_).readiness(microservice, version)) return *cached;
        // Not synced yet (the first list is on its way): answer by a list meanwhile.
    }
    auto list = api_->list_all(core_path(namespace_, "pods", ""),
                               label_selector({{"app", microservice}, {"version", version}}),
                               options_.list_page_size, ctx);
    if (!list) return std::move(list).error();
    WorkloadReadiness r;
    for (const auto& pod : list->items) count_pod(pod_facts(pod), microservice, version, r);
    return r;
}

PodCache& KubernetesCluster::pod_cache(const std::string& namespace_) {
    std::lock_guard lock(caches_mutex_);
    auto& cache = pod_caches_[namespace_];
    if (!cache) {
        cache = std::make_unique<PodCache>(api_, namespace_, options_.list_page_size,
                                           options_.watch_timeout);
    }
    return *cache;
}

// ---- the asynchronous port: each call on a pool thread --------------------------------------

void KubernetesCluster::apply(const Object& object, const CallContext& ctx, Callback<Object> done) {
    pool_.run([this, object, ctx] { return apply_now(object, ctx); }, std::move(done));
}

void KubernetesCluster::get(const ObjectKey& key, const CallContext& ctx,
                            Callback<std::optional<Object>> done) {
    pool_.run([this, key, ctx] { return get_now(key, ctx); }, std::move(done));
}

void KubernetesCluster::list(const std::string& api_version, const std::string& kind,
                             const std::string& namespace_,
                             const std::map<std::string, std::string>& labels,
                             const CallContext& ctx, Callback<std::vector<Object>> done) {
    pool_.run([this, api_version, kind, namespace_, labels,
               ctx] { return list_now(api_version, kind, namespace_, labels, ctx); },
              std::move(done));
}

void KubernetesCluster::remove(const ObjectKey& key, const CallContext& ctx, Callback<Ok> done) {
    pool_.run([this, key, ctx] { return remove_now(key, ctx); }, std::move(done));
}

void KubernetesCluster::create_token(const std::string& namespace_,
                                     const std::string& service_account,
                                     const std::string& audience, std::chrono::seconds lifetime,
                                     const CallContext& ctx, Callback<ServiceAccountToken> done) {
    pool_.run(
        [this, namespace_, service_account, audience, lifetime, ctx] {
            return create_token_now(namespace_, service_account, audience, lifetime, ctx);
        },
        std::move(done));
}

void KubernetesCluster::root_certificate(const std::string& namespace_, const CallContext& ctx,
                                         Callback<std::string> done) {
    pool_.run([this, namespace_, ctx] { return root_certificate_now(namespace_, ctx); },
              std::move(done));
}

void KubernetesCluster::workload_readiness(const std::string& namespace_,
                                           const std::string& microservice,
                                           const std::string& version, const CallContext& ctx,
                                           Callback<WorkloadReadiness> done) {
    pool_.run([this, namespace_, microservice, version,
               ctx] { return workload_readiness_now(namespace_, microservice, version, ctx); },
              std::move(done));
}

}  // namespace detail

Result<std::shared_ptr<Cluster>> make_cluster(const Config& config, const Options& options) {
    auto api = detail::ApiClient::create(config);
    if (!api) return std::move(api).error();
    if (config.insecure_skip_tls_verify) {
        (*api)->log().warn("kubernetes {}: TLS verification is OFF (insecure-skip-tls-verify)",
                           config.server);
    }
    return std::shared_ptr<Cluster>(
        std::make_shared<detail::KubernetesCluster>(std::move(*api), options));
}

}  // namespace meshorch::kubernetes
