// Configuration validation: hostile names and paths never get as far as a connection.
#include "injector/remote_scripts.hpp"

#include <meshorch/ssh_injector.hpp>

#include <gtest/gtest.h>

namespace meshorch::injector {
namespace {

SshInjectorConfig valid() {
    SshInjectorConfig c;
    c.host_key.mode = HostKeyMode::known_hosts;
    c.host_key.known_hosts_file = "/etc/meshorch/known_hosts";
    c.credentials.private_key_file = "/etc/meshorch/id_ed25519";
    c.package_file = "/opt/istio-sidecar.deb";
    return c;
}

bool has_field(const Status& st, const std::string& path) {
    if (st) return false;
    for (const auto& f : st.error().fields) {
        if (f.path == path) return true;
    }
    return false;
}

TEST(Config, DefaultsWithCredentialsAndPackageAreValid) {
    auto st = validate(valid());
    EXPECT_TRUE(st) << st.error().describe();
}

TEST(Config, HostileNamesAreRefused) {
    for (const char* bad : {"x'; rm -rf / #", "$(touch /tmp/pwned)", "a b", ""}) {
        auto c = valid();
        c.proxy_user = bad;
        c.proxy_group = bad;
        c.package_name = bad;
        c.credentials.user = bad;
        const auto st = validate(c);
        ASSERT_FALSE(st) << bad;
        EXPECT_EQ(st.error().code, Errc::invalid_argument);
        EXPECT_TRUE(has_field(st, "proxy_user")) << st.error().describe();
        EXPECT_TRUE(has_field(st, "proxy_group"));
        EXPECT_TRUE(has_field(st, "package_name"));
        EXPECT_TRUE(has_field(st, "credentials.user"));
    }
}

TEST(Config, HostilePathsAreRefused) {
    for (const char* bad :
         {"/tmp/x'; rm -rf / #", "/tmp/$(touch /tmp/pwned)", "relative", "/var/../etc", "/a b"}) {
        auto c = valid();
        c.remote_root = bad;
        c.token_dir = bad;
        c.staging_dir = bad;
        c.state_dir = bad;
        const auto st = validate(c);
        EXPECT_TRUE(has_field(st, "remote_root")) << bad;
        EXPECT_TRUE(has_field(st, "token_dir")) << bad;
        EXPECT_TRUE(has_field(st, "staging_dir")) << bad;
        EXPECT_TRUE(has_field(st, "state_dir")) << bad;
    }
}

TEST(Config, HostKeyPolicyNeedsItsInputs) {
    auto c = valid();
    c.host_key.known_hosts_file.clear();
    EXPECT_TRUE(has_field(validate(c), "host_key.known_hosts_file"));
    c.host_key.mode = HostKeyMode::accept_new;
    EXPECT_TRUE(has_field(validate(c), "host_key.known_hosts_file"));
    c.host_key.mode = HostKeyMode::pinned;
    c.host_key.pinned_key = "yes";
    EXPECT_TRUE(has_field(validate(c), "host_key.pinned_key"));
    c.host_key.pinned_key = "SHA256:LvxS6Lv1UowYS9Hnsr+0FD3lcpnkA8/G4ylaOZytcdI";
    EXPECT_TRUE(validate(c));
}

TEST(Config, CredentialsPackageCommandsAndTimeouts) {
    auto c = valid();
    c.credentials.private_key_file.clear();
    EXPECT_TRUE(has_field(validate(c), "credentials"));
    c.credentials.password = "secret";
    EXPECT_TRUE(validate(c));
    c.package_file.clear();
    EXPECT_TRUE(has_field(validate(c), "package_file"));
    c.package_manager = PackageManager::none;
    EXPECT_TRUE(validate(c));
    c.service.start.clear();
    EXPECT_TRUE(has_field(validate(c), "service.start"));
    c.service.start = {"/bin/start", std::string("a\0b", 3)};
    EXPECT_TRUE(has_field(validate(c), "service.start[1]"));
    c = valid();
    c.command_timeout = std::chrono::milliseconds(0);
    c.readiness_port = 0;
    c.readiness_path = "healthz";
    const auto st = validate(c);
    EXPECT_TRUE(has_field(st, "command_timeout"));
    EXPECT_TRUE(has_field(st, "readiness_port"));
    EXPECT_TRUE(has_field(st, "readiness_path"));
}

TEST(Config, CreateRefusesAnInvalidConfiguration) {
    auto c = valid();
    c.proxy_user = "x'; rm -rf / #";
    auto made = make_ssh_injector(c);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code, Errc::invalid_argument);
    EXPECT_NE(made.error().message.find("proxy_user"), std::string::npos) << made.error().message;
}

TEST(Config, CreateNeedsAReadablePackage) {
    auto c = valid();
    c.package_file = "/nonexistent/istio-sidecar.deb";
    auto made = SshInjector::create(c);
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code, Errc::io);
    EXPECT_NE(made.error().message.find("/nonexistent/istio-sidecar.deb"), std::string::npos);
}

TEST(Config, SystemdIsTheDefaultServiceManager) {
    const auto s = systemd_service("istio");
    EXPECT_EQ(s.start, (std::vector<std::string>{"systemctl", "enable", "--now", "istio"}));
    EXPECT_EQ(s.stop, (std::vector<std::string>{"systemctl", "disable", "--now", "istio"}));
    EXPECT_EQ(service_script(s.restart), "'systemctl' 'restart' 'istio'");
}

}  // namespace
}  // namespace meshorch::injector
