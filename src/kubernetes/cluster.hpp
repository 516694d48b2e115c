// Internal: the Cluster port over ApiClient. Each call runs on a CallPool thread.
#pragma once

#include "http/call_pool.hpp"
#include "kubernetes/api_client.hpp"
#include "kubernetes/pod_cache.hpp"

#include <meshorch/kubernetes.hpp>
#include <meshorch/ports.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace meshorch::kubernetes::detail {

class KubernetesCluster final : public Cluster {
public:
    KubernetesCluster(std::shared_ptr<ApiClient> api, Options options);
    ~KubernetesCluster() override;

    void apply(const Object& object, const CallContext& ctx, Callback<Object> done) override;
    void get(const ObjectKey& key, const CallContext& ctx,
             Callback<std::optional<Object>> done) override;
    void list(const std::string& api_version, const std::string& kind,
              const std::string& namespace_, const std::map<std::string, std::string>& labels,
              const CallContext& ctx, Callback<std::vector<Object>> done) override;
    void remove(const ObjectKey& key, const CallContext& ctx, Callback<Ok> done) override;
    void create_token(const std::string& namespace_, const std::string& service_account,
                      const std::string& audience, std::chrono::seconds lifetime,
                      const CallContext& ctx, Callback<ServiceAccountToken> done) override;
    void root_certificate(const std::string& namespace_, const CallContext& ctx,
                          Callback<std::string> done) override;
    void workload_readiness(const std::string& namespace_, const std::string& microservice,
                            const std::string& version, const CallContext& ctx,
                            Callback<WorkloadReadiness> done) override;

    // The blocking bodies of the calls above (also what the tests drive directly).
    Result<Object> apply_now(const Object& object, const CallContext& ctx);
    Result<std::optional<Object>> get_now(const ObjectKey& key, const CallContext& ctx);
    Result<std::vector<Object>> list_now(const std::string& api_version, const std::string& kind,
                                         const std::string& namespace_,
                                         const std::map<std::string, std::string>& labels,
                                         const CallContext& ctx);
    Status remove_now(const ObjectKey& key, const CallContext& ctx);
    Result<ServiceAccountToken> create_token_now(const std::string& namespace_,
                                                 const std::string& service_account,
                                                 const std::string& audience,
                                                 std::chrono::seconds lifetime,
                                                 const CallContext& ctx);
    Result<std::string> root_certificate_now(const std::string& namespace_, const CallContext& ctx);
    Result<WorkloadReadiness> workload_readiness_now(const std::string& namespace_,
                                                     const std::string& microservice,
                                                     const std::string& version,
                                                     const CallContext& ctx);

private:
    Result<std::string> object_path_of(const ObjectKey& key, const CallContext& ctx);
    PodCache& pod_cache(const std::string& namespace_);

    std::shared_ptr<ApiClient> api_;
    const Options options_;
    std::mutex caches_mutex_;
    std::map<std::string, std::unique_ptr<PodCache>> pod_caches_;  // by namespace
    // Last: destroyed first, so a call still running finishes while everything it uses exists.
    http::CallPool pool_;
};

}  // namespace meshorch::kubernetes::detail
