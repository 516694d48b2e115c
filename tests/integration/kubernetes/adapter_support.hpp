// Test support for the Kubernetes adapter's integration tests: the API server emulator started
// on a free loopback port with a fresh PKI, its control API, and synchronous port calls.
#pragma once

#include "http/client.hpp"
#include "support/child_process.hpp"

#include <meshorch/kubernetes.hpp>
#include <meshorch/ports.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace meshorch::kubernetes::test {

using namespace std::chrono_literals;
namespace json = boost::json;

inline constexpr const char* emulator_token = "meshorch-test-token";

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct EmulatorOptions {
    bool crds = true;
    bool inject_sidecars = false;
    double pod_ready_seconds = 0.2;
};

// One emulated API server, with its own PKI directory (removed on destruction).
class Emulator {
public:
    explicit Emulator(EmulatorOptions options = {}) {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "meshorch-kube-XXXXXX").string();
        pki_ = ::mkdtemp(tmpl.data());
        std::vector<std::string> argv{
            "/usr/bin/python3",
            std::string(MESHORCH_SOURCE_DIR) + "/tests/emulators/kube_apiserver/main.py",
            "--pki",
            pki_.string(),
            "--token",
            emulator_token};
        if (options.crds) {
            argv.push_back("--crds");
            argv.push_back(std::string(MESHORCH_SHARED_DIR) + "/data/istio/crd-all.gen.yaml");
        }
        if (options.inject_sidecars) argv.push_back("--inject-sidecars");
        argv.push_back("--pod-ready-seconds");
        argv.push_back(std::to_string(options.pod_ready_seconds));
        process_ = std::make_unique<meshorch::test::ChildProcess>(argv);
        url_ = process_->get("url");
        http::ClientOptions o;
        o.tls.ca_file = (pki_ / "ca.pem").string();
        control_ = http::Client::create(o).value();
    }
    ~Emulator() {
        process_.reset();
        std::error_code ec;
        std::filesystem::remove_all(pki_, ec);
    }

    const std::string& url() const { return url_; }
    std::filesystem::path pki(const char* file) const { return pki_ / file; }

    // A Config that authenticates with the bearer token.
    Config config() const {
        Config c;
        c.server = url_;
        c.ca_pem = read_file(pki("ca.pem"));
        c.token = emulator_token;
        return c;
    }

    // The control API (/_emulator/...): the parsed JSON answer; fails the test otherwise.
    json::value control(const std::string& method, const std::string& what,
                        const json::value& body = nullptr) {
        http::Request r;
        r.method = method;
        r.url = url_ + "/_emulator/" + what;
        r.headers.push_back({"Authorization", std::string("Bearer ") + emulator_token});
        if (!body.is_null()) {
            r.headers.push_back({"Content-Type", "application/json"});
            r.body = json::serialize(body);
        }
        auto response = control_->send(r, CallContext{});
        if (!response) {
            ADD_FAILURE() << "control " << what << ": " << response.error().message;
            return nullptr;
        }
        if (response->status != 200) {
            ADD_FAILURE() << "control " << what << ": HTTP " << response->status << " "
                          << response->body;
            return nullptr;
        }
        return json::parse(response->body);
    }

    void reset() { control("POST", "reset"); }
    void fault(const json::object& rule) { control("POST", "faults", rule); }

    // The stored objects (optionally of one namespace) as "Kind ns/name" strings, sorted.
    std::vector<std::string> objects(const std::string& namespace_ = "") {
        auto doc =
            control("GET", namespace_.empty() ? "objects" : "objects?namespace=" + namespace_);
        std::vector<std::string> out;
        if (!doc.is_object()) return out;
        for (const auto& item : doc.at("items").as_array()) {
            const auto& md = item.at("metadata").as_object();
            std::string ns = md.contains("namespace") ? std::string(md.at("namespace").as_string())
                                                      : std::string();
            out.push_back(std::string(item.at("kind").as_string()) + " " +
                          (ns.empty() ? "" : ns + "/") + std::string(md.at("name").as_string()));
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    // The requests the emulator served, as "METHOD path" (query included when it had one).
    std::vector<json::object> requests() {
        std::vector<json::object> out;
        auto doc = control("GET", "requests");
        if (!doc.is_object()) return out;
        for (const auto& r : doc.at("items").as_array()) out.push_back(r.as_object());
        return out;
    }

private:
    std::filesystem::path pki_;
    std::unique_ptr<meshorch::test::ChildProcess> process_;
    std::string url_;
    std::shared_ptr<http::Client> control_;
};

// Issues a port call and waits for its one answer.
template <class T>
Result<T> await(const std::function<void(Callback<T>)>& start,
                std::chrono::milliseconds limit = 20s) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    start([promise](Result<T> r) { promise->set_value(std::move(r)); });
    if (future.wait_for(limit) != std::future_status::ready) {
        ADD_FAILURE() << "no answer within " << limit.count() << " ms";
        return make_error(Errc::internal, "test: no answer");
    }
    return future.get();
}

// Synchronous calls on a Cluster.
class SyncCluster {
public:
    explicit SyncCluster(std::shared_ptr<Cluster> c, CallContext ctx = {})
        : cluster_(std::move(c)), ctx_(std::move(ctx)) {}

    Result<Object> apply(const Object& o) {
        return await<Object>([&](auto cb) { cluster_->apply(o, ctx_, std::move(cb)); });
    }
    Result<std::optional<Object>> get(const ObjectKey& k) {
        return await<std::optional<Object>>(
            [&](auto cb) { cluster_->get(k, ctx_, std::move(cb)); });
    }
    Result<std::vector<Object>> list(const std::string& api_version, const std::string& kind,
                                     const std::string& ns,
                                     const std::map<std::string, std::string>& labels = {}) {
        return await<std::vector<Object>>(
            [&](auto cb) { cluster_->list(api_version, kind, ns, labels, ctx_, std::move(cb)); });
    }
    Status remove(const ObjectKey& k) {
        return await<Ok>([&](auto cb) { cluster_->remove(k, ctx_, std::move(cb)); });
    }
    Result<ServiceAccountToken> token(const std::string& ns, const std::string& sa,
                                      std::chrono::seconds lifetime = 3600s) {
        return await<ServiceAccountToken>([&](auto cb) {
            cluster_->create_token(ns, sa, "istio-ca", lifetime, ctx_, std::move(cb));
        });
    }
    Result<std::string> root_certificate(const std::string& ns) {
        return await<std::string>(
            [&](auto cb) { cluster_->root_certificate(ns, ctx_, std::move(cb)); });
    }
    Result<WorkloadReadiness> readiness(const std::string& ns, const std::string& ms,
                                        const std::string& v) {
        return await<WorkloadReadiness>(
            [&](auto cb) { cluster_->workload_readiness(ns, ms, v, ctx_, std::move(cb)); });
    }
    Cluster& cluster() { return *cluster_; }

private:
    std::shared_ptr<Cluster> cluster_;
    CallContext ctx_;
};

inline std::shared_ptr<Cluster> make(const Config& config, Options options = {}) {
    auto c = make_cluster(config, options);
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(*c);
}

inline Object manifest(json::object m) {
    return make_object(std::move(m));
}

inline Object namespace_object(const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) {
    json::object l;
    for (const auto& [k, v] : labels) l[k] = v;
    return manifest({{"apiVersion", "v1"},
                     {"kind", "Namespace"},
                     {"metadata", {{"name", name}, {"labels", std::move(l)}}}});
}

inline Object config_map(const std::string& ns, const std::string& name, const std::string& value,
                         const std::map<std::string, std::string>& labels = {}) {
    json::object l;
    for (const auto& [k, v] : labels) l[k] = v;
    return manifest({{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", name}, {"namespace", ns}, {"labels", std::move(l)}}},
                     {"data", {{"key", value}}}});
}

inline std::string resource_version(const Object& o) {
    return std::string(o.manifest.at("metadata").at("resourceVersion").as_string());
}

// Polls `pred` until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return pred();
}

}  // namespace meshorch::kubernetes::test
