// Where the files go, what they hold, and the idempotency decision from the VM's hashes.
#include "injector/remote_layout.hpp"

#include <gtest/gtest.h>

namespace meshorch::injector {
namespace {

VmBundle bundle() {
    VmBundle b;
    b.files["cluster.env"] = "CANONICAL_SERVICE='reviews'\n";
    b.files["mesh.yaml"] = "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n";
    b.files["root-cert.pem"] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    b.files["istio-token"] = "eyJhbGciOiJSUzI1NiJ9.payload.sig";
    b.files["hosts"] = "10.0.0.9 istiod.istio-system.svc\n";
    return b;
}

SshInjectorConfig config(std::string root = "/") {
    SshInjectorConfig c;
    c.remote_root = std::move(root);
    c.package_file = "/tmp/istio-sidecar.deb";
    return c;
}

const ManagedFile& find(const std::vector<ManagedFile>& files, const std::string& name) {
    for (const auto& f : files) {
        if (f.name == name) return f;
    }
    throw std::runtime_error("no file " + name);
}

TEST(RemoteLayout, IstioPathsUnderTheRemoteRoot) {
    const auto l = make_layout(config("/srv/vm"));
    EXPECT_EQ(l.root_cert, "/srv/vm/etc/certs/root-cert.pem");
    EXPECT_EQ(l.cluster_env, "/srv/vm/var/lib/istio/envoy/cluster.env");
    EXPECT_EQ(l.mesh, "/srv/vm/etc/istio/config/mesh");
    EXPECT_EQ(l.hosts, "/srv/vm/etc/hosts");
    EXPECT_EQ(l.token, "/srv/vm/var/lib/meshorch/tokens/istio-token");
    EXPECT_EQ(l.token_link, "/srv/vm/var/run/secrets/tokens/istio-token");
    EXPECT_EQ(l.tmpfiles_rule, "/srv/vm/etc/tmpfiles.d/meshorch-istio-token.conf");
    const auto plain = make_layout(config());
    EXPECT_EQ(plain.root_cert, "/etc/certs/root-cert.pem");
    EXPECT_EQ(plain.token_link, "/var/run/secrets/tokens/istio-token");
}

TEST(RemoteLayout, TokenStraightIntoTheProxysDirectoryWhenNoLinkIsWanted) {
    auto c = config();
    c.token_dir = "/var/run/secrets/tokens";
    const auto l = make_layout(c);
    EXPECT_EQ(l.token, "/var/run/secrets/tokens/istio-token");
    EXPECT_TRUE(l.token_link.empty());
    EXPECT_TRUE(l.tmpfiles_rule.empty());
    auto files = desired_files(c, l, bundle(), "abc");
    ASSERT_TRUE(files) << files.error().describe();
    for (const auto& f : *files) EXPECT_NE(f.name, "tmpfiles");
}

TEST(RemoteLayout, TokenIsOwnerOnlyAndDoesNotRestartTheProxy) {
    const auto c = config();
    const auto l = make_layout(c);
    auto files = desired_files(c, l, bundle(), "abc");
    ASSERT_TRUE(files) << files.error().describe();
    const auto& token = find(*files, "istio-token");
    EXPECT_EQ(token.mode, 0600u);
    EXPECT_TRUE(token.proxy_owned);
    EXPECT_FALSE(token.restarts_proxy);
    EXPECT_EQ(find(*files, "root-cert.pem").mode, 0644u);
    EXPECT_TRUE(find(*files, "mesh.yaml").restarts_proxy);
    EXPECT_EQ(files->back().name, "state");  // written last
    const auto& rule = find(*files, "tmpfiles");
    EXPECT_NE(rule.content.find("L+ /var/run/secrets/tokens/istio-token - - - - "
                                "/var/lib/meshorch/tokens/istio-token"),
              std::string::npos)
        << rule.content;
    EXPECT_NE(find(*files, "state").content.find("package_sha256=abc"), std::string::npos);
}

TEST(RemoteLayout, BundleMustHoldTheKnownFilesOnly) {
    const auto c = config();
    const auto l = make_layout(c);
    auto b = bundle();
    b.files["../../etc/shadow"] = "x";
    b.files.erase("istio-token");
    b.files["mesh.yaml"] = std::string("a\0b", 3);
    auto files = desired_files(c, l, b, "");
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().code, Errc::invalid_argument);
    EXPECT_EQ(files.error().fields.size(), 3u) << files.error().describe();
}

TEST(RemoteLayout, Sha256IsTheStandardDigest) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RemoteLayout, ParsesSha256sumOutput) {
    const std::string h(64, 'a');
    const auto m = parse_sha256sum(h + "  /etc/certs/root-cert.pem\n" + h +
                                   " */var/x\nsha256sum: /nope: No such file\n" +
                                   std::string(64, 'G') + "  /bad\n");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m.at("/etc/certs/root-cert.pem"), h);
    EXPECT_EQ(m.at("/var/x"), h);
}

TEST(RemoteLayout, SameBundleOnTheVmMeansNothingToDo) {
    const auto c = config();
    const auto l = make_layout(c);
    auto files = desired_files(c, l, bundle(), "abc");
    ASSERT_TRUE(files);
    std::map<std::string, std::string> remote;
    for (const auto& f : *files) remote[f.path] = f.sha256;
    const auto same = plan_changes(*files, remote, l);
    EXPECT_TRUE(same.empty());
    EXPECT_FALSE(same.fresh);
    EXPECT_FALSE(same.restart_needed);
    EXPECT_FALSE(same.package_changed);
}

TEST(RemoteLayout, NothingOnTheVmMeansAFreshInstallOfEverything) {
    const auto c = config();
    const auto l = make_layout(c);
    auto files = desired_files(c, l, bundle(), "abc");
    ASSERT_TRUE(files);
    const auto fresh = plan_changes(*files, {}, l);
    EXPECT_TRUE(fresh.fresh);
    EXPECT_TRUE(fresh.package_changed);
    EXPECT_EQ(fresh.upload.size(), files->size());
}

TEST(RemoteLayout, ANewTokenAloneNeedsNoRestart) {
    const auto c = config();
    const auto l = make_layout(c);
    auto files = desired_files(c, l, bundle(), "abc");
    ASSERT_TRUE(files);
    std::map<std::string, std::string> remote;
    for (const auto& f : *files) remote[f.path] = f.sha256;
    remote[l.token] = sha256_hex("an older token");
    const auto token_only = plan_changes(*files, remote, l);
    ASSERT_EQ(token_only.upload.size(), 1u);
    EXPECT_EQ(token_only.upload[0].name, "istio-token");
    EXPECT_FALSE(token_only.restart_needed);
    remote[l.mesh] = sha256_hex("old mesh");
    EXPECT_TRUE(plan_changes(*files, remote, l).restart_needed);
    remote.erase(l.state);  // or a new package
    const auto pkg = plan_changes(*files, remote, l);
    EXPECT_TRUE(pkg.package_changed);
    EXPECT_TRUE(pkg.fresh);
}

TEST(RemoteLayout, HostsBlockIsAppendedOnceAndReplacedInPlace) {
    const std::string original = "127.0.0.1 localhost\n::1 localhost\n";
    const std::string with = hosts_with_block(original, "10.0.0.9 istiod.istio-system.svc\n");
    EXPECT_EQ(with, original +
                        "# BEGIN meshorch: istiod\n10.0.0.9 istiod.istio-system.svc\n"
                        "# END meshorch: istiod\n");
    EXPECT_EQ(hosts_with_block(with, "10.0.0.9 istiod.istio-system.svc\n"), with);  // idempotent
    const std::string moved = hosts_with_block(with + "192.168.1.1 router\n", "10.0.0.7 istiod\n");
    EXPECT_EQ(moved, original +
                         "# BEGIN meshorch: istiod\n10.0.0.7 istiod\n# END meshorch: istiod\n"
                         "192.168.1.1 router\n");
    EXPECT_EQ(hosts_without_block(with), original);
    EXPECT_EQ(hosts_without_block(original), original);
    EXPECT_EQ(hosts_with_block(with, ""), original);  // no istiod IP: no block
    EXPECT_EQ(hosts_with_block("127.0.0.1 localhost", "10.0.0.9 istiod\n"),
              "127.0.0.1 localhost\n# BEGIN meshorch: istiod\n10.0.0.9 istiod\n"
              "# END meshorch: istiod\n");
}

}  // namespace
}  // namespace meshorch::injector
