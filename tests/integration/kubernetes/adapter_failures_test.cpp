// How the adapter reports trouble: API refusals, rate limits, server errors, dropped
// connections, broken bodies, TLS and authentication failures, deadlines and cancellation.
// And the ways in: token, token file, client certificate, kubeconfig, in-cluster files.
#include "adapter_support.hpp"

#include <cstdlib>

namespace meshorch::kubernetes::test {
namespace {

class KubernetesFailures : public ::testing::Test {
protected:
    static void SetUpTestSuite() { emulator_ = new Emulator(); }
    static void TearDownTestSuite() {
        delete emulator_;
        emulator_ = nullptr;
    }
    void SetUp() override { emulator_->reset(); }

    static json::object on_configmaps(json::object rule) {
        rule["match"] = json::object{{"path_regex", "/configmaps"}};
        return rule;
    }

    static Emulator* emulator_;
};
Emulator* KubernetesFailures::emulator_ = nullptr;

TEST_F(KubernetesFailures, AConflictIsErrcConflict) {
    SyncCluster k(make(emulator_->config()));
    emulator_->fault(on_configmaps({{"error_rate", 1}, {"error_code", 409}, {"count", 1}}));
    auto r = k.apply(config_map("default", "settings", "one"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::conflict);
    EXPECT_EQ(r.error().http_status, 409);
    EXPECT_TRUE(r.error().retryable());
    EXPECT_NE(r.error().message.find("PATCH /api/v1/namespaces/default/configmaps/settings: "
                                     "Operation cannot be fulfilled"),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().body_excerpt.find("\"Conflict\""), std::string::npos);
    EXPECT_TRUE(k.apply(config_map("default", "settings", "one")).ok());  // the fault is spent
}

TEST_F(KubernetesFailures, TooManyRequestsIsTransientWithRetryAfter) {
    SyncCluster k(make(emulator_->config()));
    emulator_->fault(
        on_configmaps({{"error_rate", 1}, {"error_code", 429}, {"retry_after", 3}, {"count", 1}}));
    auto r = k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::transient);
    EXPECT_EQ(r.error().http_status, 429);
    EXPECT_NE(r.error().message.find("retry after 3 s"), std::string::npos) << r.error().message;
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].path, "retry_after");
    EXPECT_EQ(r.error().fields[0].reason, "3");
}

TEST_F(KubernetesFailures, AServerErrorStormIsTransientAndPasses) {
    SyncCluster k(make(emulator_->config()));
    emulator_->fault(on_configmaps({{"error_rate", 1}, {"error_code", 500}}));
    for (int i = 0; i < 5; ++i) {
        auto r = k.apply(config_map("default", "settings", "one"));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, Errc::transient);
        EXPECT_EQ(r.error().http_status, 500);
        EXPECT_NE(r.error().message.find("injected fault (InternalError)"), std::string::npos)
            << r.error().message;
    }
    emulator_->control("DELETE", "faults");
    EXPECT_TRUE(k.apply(config_map("default", "settings", "one")).ok());
}

TEST_F(KubernetesFailures, ADroppedConnectionIsTransient) {
    SyncCluster k(make(emulator_->config()));
    emulator_->fault(on_configmaps({{"drop_rate", 1}}));
    auto r = k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::transient) << r.error().message;
    emulator_->control("DELETE", "faults");
    EXPECT_TRUE(k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"}).ok());
}

TEST_F(KubernetesFailures, ABrokenBodyIsAClearErrorNotACrash) {
    SyncCluster k(make(emulator_->config()));
    ASSERT_TRUE(k.apply(config_map("default", "settings", "one")).ok());
    emulator_->fault(on_configmaps({{"malformed_rate", 1}, {"count", 3}}));
    auto got = k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"});
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::backend);
    EXPECT_NE(got.error().message.find(
                  "malformed response from GET /api/v1/namespaces/default/configmaps/settings"),
              std::string::npos)
        << got.error().message;
    auto listed = k.list("v1", "ConfigMap", "default");
    ASSERT_FALSE(listed.ok());
    EXPECT_NE(listed.error().message.find("malformed response"), std::string::npos);
    auto applied = k.apply(config_map("default", "settings", "two"));
    ASSERT_FALSE(applied.ok());
    EXPECT_NE(applied.error().message.find("malformed response from PATCH"), std::string::npos);
}

TEST_F(KubernetesFailures, AnUnknownCaIsAClearTlsError) {
    Config c = emulator_->config();
    c.ca_pem = read_file(emulator_->pki("other-ca.pem"));
    SyncCluster k(make(c));
    auto r = k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
    EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
}

TEST_F(KubernetesFailures, AWrongTokenIsUnauthorized) {
    Config c = emulator_->config();
    c.token = "not-the-token";
    SyncCluster k(make(c));
    auto r = k.apply(config_map("default", "settings", "one"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
    EXPECT_EQ(r.error().http_status, 401);
    EXPECT_NE(r.error().message.find("unauthorized: check the kubeconfig token/certificate"),
              std::string::npos)
        << r.error().message;
    EXPECT_EQ(r.error().message.find("not-the-token"), std::string::npos);
}

TEST_F(KubernetesFailures, TheDeadlineBoundsACall) {
    CallContext ctx;
    ctx.deadline = Clock::now() + 300ms;
    SyncCluster k(make(emulator_->config()), ctx);
    emulator_->fault(on_configmaps({{"latency_ms", 3000}}));
    const auto start = Clock::now();
    auto r = k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::timeout) << r.error().message;
    EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(KubernetesFailures, CancelStopsACallAtOnce) {
    CancelSource cancel;
    CallContext ctx;
    ctx.cancel = cancel.token();
    auto cluster = make(emulator_->config());
    SyncCluster warm(cluster);  // discovery cached, so the slow call is the GET itself
    ASSERT_TRUE(warm.get(ObjectKey{"v1", "ConfigMap", "default", "x"}).ok());
    emulator_->fault(on_configmaps({{"latency_ms", 3000}}));
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        cancel.cancel();
    });
    const auto start = Clock::now();
    SyncCluster k(cluster, ctx);
    auto r = k.get(ObjectKey{"v1", "ConfigMap", "default", "settings"});
    canceller.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::cancelled) << r.error().message;
    EXPECT_LT(Clock::now() - start, 2s);
}

// ---- the ways in --------------------------------------------------------------------------

std::string user_of_last_request(Emulator& e) {
    auto rs = e.requests();
    return rs.empty() ? "" : std::string(rs.back().at("auth").as_string());
}

TEST_F(KubernetesFailures, AClientCertificateAuthenticates) {
    Config c = emulator_->config();
    c.token.clear();
    c.client_certificate_pem = read_file(emulator_->pki("client.pem"));
    c.client_key_pem = read_file(emulator_->pki("client-key.pem"));
    SyncCluster k(make(c));
    auto r = k.apply(config_map("default", "settings", "one"));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(user_of_last_request(*emulator_), "cert");
}

TEST_F(KubernetesFailures, ATokenFileIsReadAgainWhenItChanges) {
    const auto dir = std::filesystem::temp_directory_path() / "meshorch-kube-token";
    std::filesystem::create_directories(dir);
    const auto file = dir / "token";
    std::ofstream(file) << "stale";
    Config c = emulator_->config();
    c.token.clear();
    c.token_file = file.string();
    SyncCluster k(make(c));
    auto before = k.get(ObjectKey{"v1", "ConfigMap", "default", "x"});
    ASSERT_FALSE(before.ok());
    EXPECT_EQ(before.error().http_status, 401);
    std::ofstream(file) << emulator_token << "\n";  // rotated
    auto after = k.get(ObjectKey{"v1", "ConfigMap", "default", "x"});
    EXPECT_TRUE(after.ok()) << after.error().describe();
    std::filesystem::remove_all(dir);
}

TEST_F(KubernetesFailures, AKubeconfigWithRelativePathsConnects) {
    const auto dir = std::filesystem::temp_directory_path() / "meshorch-kubeconfig-it";
    std::filesystem::create_directories(dir / "pki");
    std::filesystem::copy_file(emulator_->pki("ca.pem"), dir / "pki/ca.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(emulator_->pki("client.pem"), dir / "pki/client.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(emulator_->pki("client-key.pem"), dir / "pki/client-key.pem",
                               std::filesystem::copy_options::overwrite_existing);
    std::ofstream(dir / "config") << "apiVersion: v1\nkind: Config\ncurrent-context: token\n"
                                  << "clusters:\n- name: emu\n  cluster:\n    server: "
                                  << emulator_->url() << "\n    certificate-authority: pki/ca.pem\n"
                                  << "contexts:\n- name: token\n  context: {cluster: emu, user: "
                                     "t, namespace: default}\n"
                                  << "- name: cert\n  context: {cluster: emu, user: c}\n"
                                  << "users:\n- name: t\n  user: {token: " << emulator_token
                                  << "}\n- name: c\n  user: {client-certificate: pki/client.pem, "
                                     "client-key: pki/client-key.pem}\n";
    for (const char* context : {"", "cert"}) {
        auto config = load_kubeconfig((dir / "config").string(), context);
        ASSERT_TRUE(config.ok()) << config.error().message;
        SyncCluster k(make(*config));
        auto r = k.apply(config_map("default", "settings", context));
        ASSERT_TRUE(r.ok()) << context << ": " << r.error().describe();
        EXPECT_EQ(user_of_last_request(*emulator_), *context ? "cert" : "token");
    }
    std::filesystem::remove_all(dir);
}

TEST_F(KubernetesFailures, TheInClusterConfigurationConnects) {
    const auto root = std::filesystem::temp_directory_path() / "meshorch-in-cluster-it";
    const auto sa = root / "var/run/secrets/kubernetes.io/serviceaccount";
    std::filesystem::create_directories(sa);
    std::filesystem::copy_file(emulator_->pki("ca.pem"), sa / "ca.crt",
                               std::filesystem::copy_options::overwrite_existing);
    std::ofstream(sa / "token") << emulator_token;
    std::ofstream(sa / "namespace") << "default";
    const std::string url = emulator_->url();  // https://127.0.0.1:PORT
    const auto colon = url.rfind(':');
    ::setenv("KUBERNETES_SERVICE_HOST", url.substr(8, colon - 8).c_str(), 1);
    ::setenv("KUBERNETES_SERVICE_PORT", url.substr(colon + 1).c_str(), 1);
    auto config = in_cluster_config(root.string());
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
    ASSERT_TRUE(config.ok()) << config.error().message;
    SyncCluster k(make(*config));
    auto r = k.get(ObjectKey{"v1", "ServiceAccount", "default", "default"});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->has_value());
    std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace meshorch::kubernetes::test
