// kubeconfig parsing: contexts, every credential form, relative paths, and errors that say where.
#include "kubernetes/kubeconfig.hpp"
#include "kubernetes/base64.hpp"

#include <meshorch/kubernetes.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace meshorch::kubernetes::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* ca_text = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
constexpr const char* ca_b64 =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K";

// A temporary directory with a kubeconfig and the files it points at.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "meshorch-kubeconfig-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string write(const std::string& name, const std::string& text) const {
        const fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::string two_contexts(const std::string& users) {
    return R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: )" +
           std::string(ca_b64) + R"(
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    certificate-authority: pki/ca.pem
    tls-server-name: kubernetes.default
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
users:
)" + users;
}

const std::string token_users = R"(- name: dev-user
  user: {token: dev-token}
- name: prod-user
  user:
    client-certificate: pki/client.pem
    client-key: pki/client-key.pem
)";

TEST(Kubeconfig, UsesTheCurrentContextWhenNoneIsNamed) {
    auto c = detail::parse_kubeconfig(two_contexts(token_users), "/cfg/config", "");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://127.0.0.1:6443");  // trailing slash dropped
    EXPECT_EQ(c->ca_pem, ca_text);
    EXPECT_EQ(c->token, "dev-token");
    EXPECT_EQ(c->default_namespace, "team-a");
    EXPECT_FALSE(c->insecure_skip_tls_verify);
}

TEST(Kubeconfig, ANamedContextReadsFilesRelativeToTheKubeconfig) {
    TempDir dir;
    dir.write("pki/ca.pem", "CA-FROM-FILE");
    dir.write("pki/client.pem", "CERT");
    dir.write("pki/client-key.pem", "KEY");
    const auto file = dir.write("config", two_contexts(token_users));
    auto c = load_kubeconfig(file, "prod");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://prod.example:443");
    EXPECT_EQ(c->ca_pem, "CA-FROM-FILE");
    EXPECT_EQ(c->client_certificate_pem, "CERT");
    EXPECT_EQ(c->client_key_pem, "KEY");
    EXPECT_EQ(c->tls_server_name, "kubernetes.default");
    EXPECT_EQ(c->default_namespace, "default");
    EXPECT_TRUE(c->token.empty());
}

TEST(Kubeconfig, InlineCertificateDataIsBase64Decoded) {
    const std::string users = R"(- name: dev-user
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: |
      S0VZ
)";
    auto c = detail::parse_kubeconfig(two_contexts(users), "/cfg/config", "dev");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->client_certificate_pem, "CERT");
    EXPECT_EQ(c->client_key_pem, "KEY");
}

TEST(Kubeconfig, DataWinsOverAFilePath) {
    const std::string users = R"(- name: dev-user
  user:
    client-certificate: /does/not/exist.pem
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
)";
    auto c = detail::parse_kubeconfig(two_contexts(users), "/cfg/config", "dev");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->client_certificate_pem, "CERT");
}

TEST(Kubeconfig, TokenFileIsKeptAsAPathResolvedAgainstTheKubeconfig) {
    TempDir dir;
    dir.write("secrets/token", "abc\n");
    const std::string users = "- name: dev-user\n  user: {tokenFile: secrets/token}\n";
    const auto file = dir.write("config", two_contexts(users));
    auto c = load_kubeconfig(file);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->token_file, (dir.path() / "secrets/token").string());
    EXPECT_TRUE(c->token.empty());
}

TEST(Kubeconfig, InsecureSkipTlsVerify) {
    const std::string text = R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
)";
    auto c = detail::parse_kubeconfig(text, "/cfg/config", "");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_TRUE(c->insecure_skip_tls_verify);
    EXPECT_TRUE(c->ca_pem.empty());
}

TEST(Kubeconfig, AContextWithoutAUserIsAnonymous) {
    const std::string text = R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1"}}]
contexts: [{name: x, context: {cluster: c}}]
)";
    auto c = detail::parse_kubeconfig(text, "/cfg/config", "");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_TRUE(c->token.empty());
    EXPECT_TRUE(c->client_certificate_pem.empty());
}

// Each error names the file, the context and the field.
struct BadCase {
    const char* name;
    std::string text;
    std::string context;
    Errc code;
    std::vector<std::string> mentions;
};

class KubeconfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(KubeconfigErrors, SayWhatAndWhere) {
    const auto& p = GetParam();
    auto c = detail::parse_kubeconfig(p.text, "/home/u/.kube/config", p.context);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, p.code) << c.error().message;
    EXPECT_NE(c.error().message.find("/home/u/.kube/config"), std::string::npos)
        << c.error().message;
    for (const auto& m : p.mentions) {
        EXPECT_NE(c.error().message.find(m), std::string::npos)
            << "\"" << c.error().message << "\" does not mention \"" << m << "\"";
    }
}

std::string with_user(const std::string& user) {
    return "current-context: x\nclusters: [{name: c, cluster: {server: \"https://h:1\"}}]\n"
           "contexts: [{name: x, context: {cluster: c, user: u}}]\nusers:\n- name: u\n  user:\n" +
           user;
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, KubeconfigErrors,
    ::testing::Values(
        BadCase{"missing_named_context",
                two_contexts(token_users),
                "staging",
                Errc::not_found,
                {"context \"staging\"", "contexts"}},
        BadCase{"no_current_context",
                "clusters: []\n",
                "",
                Errc::invalid_argument,
                {"current-context"}},
        BadCase{"missing_cluster",
                "current-context: x\ncontexts: [{name: x, context: {cluster: gone, user: u}}]\n",
                "",
                Errc::not_found,
                {"context \"x\"", "no cluster named \"gone\""}},
        BadCase{"missing_user",
                "current-context: x\nclusters: [{name: c, cluster: {server: \"https://h\"}}]\n"
                "contexts: [{name: x, context: {cluster: c, user: nobody}}]\n",
                "",
                Errc::not_found,
                {"no user named \"nobody\""}},
        BadCase{"missing_server",
                "current-context: x\nclusters: [{name: c, cluster: {}}]\n"
                "contexts: [{name: x, context: {cluster: c}}]\n",
                "",
                Errc::invalid_argument,
                {"clusters[name=c].cluster.server", "missing"}},
        BadCase{"server_not_a_url",
                "current-context: x\nclusters: [{name: c, cluster: {server: h:6443}}]\n"
                "contexts: [{name: x, context: {cluster: c}}]\n",
                "",
                Errc::invalid_argument,
                {"server", "not an http(s) URL"}},
        BadCase{
            "exec_plugin",
            with_user("    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}\n"),
            "",
            Errc::invalid_argument,
            {"users[name=u].user.exec", "not supported"}},
        BadCase{"auth_provider",
                with_user("    auth-provider: {name: gcp}\n"),
                "",
                Errc::invalid_argument,
                {"auth-provider", "not supported"}},
        BadCase{"basic_auth",
                with_user("    username: admin\n    password: secret\n"),
                "",
                Errc::invalid_argument,
                {"basic authentication is not supported"}},
        BadCase{"bad_base64",
                with_user("    client-certificate-data: '###'\n    client-key-data: S0VZ\n"),
                "",
                Errc::invalid_argument,
                {"client-certificate-data", "not valid base64"}},
        BadCase{"certificate_without_key",
                with_user("    client-certificate-data: Q0VSVA==\n"),
                "",
                Errc::invalid_argument,
                {"client-certificate without client-key"}},
        BadCase{"unreadable_ca_file",
                "current-context: x\nclusters: [{name: c, cluster: {server: \"https://h\", "
                "certificate-authority: no/such/ca.pem}}]\n"
                "contexts: [{name: x, context: {cluster: c}}]\n",
                "",
                Errc::io,
                {"certificate-authority", "/home/u/.kube/no/such/ca.pem"}},
        BadCase{"unreadable_token_file",
                with_user("    tokenFile: /no/such/token\n"),
                "",
                Errc::io,
                {"tokenFile", "/no/such/token"}},
        BadCase{"malformed_yaml", "clusters: [\n  - {name: c\n", "", Errc::parse_error, {"line"}},
        BadCase{"not_a_map", "- just\n- a list\n", "", Errc::parse_error, {"not a YAML map"}},
        BadCase{"clusters_not_a_list",
                "current-context: x\nclusters: {a: b}\n"
                "contexts: [{name: x, context: {cluster: c}}]\n",
                "",
                Errc::invalid_argument,
                {"clusters", "not a list"}}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

TEST(Kubeconfig, AMissingFileSaysWhichFile) {
    auto c = load_kubeconfig("/no/such/kubeconfig");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::io);
    EXPECT_NE(c.error().message.find("/no/such/kubeconfig"), std::string::npos);
}

TEST(Base64, DecodesWithAndWithoutPaddingAndIgnoresLineBreaks) {
    EXPECT_EQ(detail::base64_decode("Q0VSVA=="), "CERT");
    EXPECT_EQ(detail::base64_decode("Q0VSVA"), "CERT");
    EXPECT_EQ(detail::base64_decode("Q0VS\nVA==\n"), "CERT");
    EXPECT_EQ(detail::base64_decode(""), "");
    EXPECT_EQ(detail::base64_decode("YWJj"), "abc");
    EXPECT_FALSE(detail::base64_decode("Q0V*"));
    EXPECT_FALSE(detail::base64_decode("Q0==VA"));
    EXPECT_FALSE(detail::base64_decode("Q"));
}

}  // namespace
}  // namespace meshorch::kubernetes::test
