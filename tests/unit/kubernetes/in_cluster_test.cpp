// In-cluster configuration from a Pod's service account files (a temporary root here).
#include "kubernetes/in_cluster.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace meshorch::kubernetes::test {
namespace {

namespace fs = std::filesystem;

class InCluster : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "meshorch-incluster-XXXXXX").string();
        root_ = ::mkdtemp(tmpl.data());
        dir_ = root_ / "var/run/secrets/kubernetes.io/serviceaccount";
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(root_); }
    void write(const char* name, const std::string& text) { std::ofstream(dir_ / name) << text; }

    fs::path root_;
    fs::path dir_;
};

TEST_F(InCluster, ReadsTheServiceAccountFiles) {
    write("token", "tok");
    write("ca.crt", "CA");
    write("namespace", "istio-system\n");
    auto c = detail::in_cluster_config_from(root_.string(), "10.96.0.1", "443");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://10.96.0.1:443");
    EXPECT_EQ(c->ca_pem, "CA");
    EXPECT_EQ(c->token_file, (dir_ / "token").string());
    EXPECT_TRUE(c->token.empty());  // read per request: projected tokens rotate
    EXPECT_EQ(c->default_namespace, "istio-system");
}

TEST_F(InCluster, BracketsAnIpv6ServiceAddress) {
    write("token", "tok");
    write("ca.crt", "CA");
    auto c = detail::in_cluster_config_from(root_.string(), "fd00::1", "443");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://[fd00::1]:443");
    EXPECT_EQ(c->default_namespace, "default");
}

TEST_F(InCluster, OutsideAPodSaysWhichVariablesAreMissing) {
    auto c = detail::in_cluster_config_from(root_.string(), "", "");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::not_found);
    EXPECT_NE(c.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

TEST_F(InCluster, AMissingTokenOrCaNamesTheFile) {
    auto no_token = detail::in_cluster_config_from(root_.string(), "10.0.0.1", "443");
    ASSERT_FALSE(no_token.ok());
    EXPECT_EQ(no_token.error().code, Errc::io);
    EXPECT_NE(no_token.error().message.find("serviceaccount/token"), std::string::npos);

    write("token", "tok");
    auto no_ca = detail::in_cluster_config_from(root_.string(), "10.0.0.1", "443");
    ASSERT_FALSE(no_ca.ok());
    EXPECT_NE(no_ca.error().message.find("serviceaccount/ca.crt"), std::string::npos);
}

TEST_F(InCluster, ThePublicFunctionReadsTheEnvironment) {
    write("token", "tok");
    write("ca.crt", "CA");
    ::setenv("KUBERNETES_SERVICE_HOST", "10.1.2.3", 1);
    ::setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    auto c = in_cluster_config(root_.string());
    ::unsetenv("KUBERNETES_SERVICE_HOST");
    ::unsetenv("KUBERNETES_SERVICE_PORT");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->server, "https://10.1.2.3:6443");
}

}  // namespace
}  // namespace meshorch::kubernetes::test
