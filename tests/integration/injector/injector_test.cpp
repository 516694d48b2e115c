// The SSH injector end to end against a real sshd on loopback: "the VM" is a directory
// (remote_root), the proxy a stand-in .deb installed with the real dpkg (--root) and started by
// a stand-in service manager, readiness probed through the SSH session.
#include "sshd_server.hpp"

#include <meshorch/ssh_injector.hpp>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <grp.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace meshorch::injector {
namespace {

using test::read_text;
using test::run_quiet;

const fs::path fixtures = MESHORCH_INJECTOR_FIXTURES;

void write_text(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << s;
}

// The stand-in proxy package: istio-sidecar with /usr/local/bin/meshorch-standin-proxy, and
// `padding` bytes of noise (to make it big).
fs::path build_package(const fs::path& dir, const std::string& name, std::size_t padding) {
    const fs::path tree = dir / (name + "-tree");
    write_text(tree / "DEBIAN/control",
               "Package: istio-sidecar\nVersion: 1.0-meshorch\nArchitecture: all\n"
               "Maintainer: meshorch tests <tests@meshorch.invalid>\n"
               "Description: stand-in for the Istio sidecar (tests)\n");
    fs::create_directories(tree / "usr/local/bin");
    fs::copy_file(fixtures / "standin_proxy.py", tree / "usr/local/bin/meshorch-standin-proxy");
    fs::permissions(tree / "usr/local/bin/meshorch-standin-proxy", fs::perms(0755));
    if (padding > 0) {
        std::string noise(padding, '\0');
        std::mt19937 rng(42);
        for (auto& c : noise) c = static_cast<char>(rng());
        write_text(tree / "usr/share/meshorch-standin/padding", noise);
    }
    const fs::path deb = dir / (name + ".deb");
    if (run_quiet("dpkg-deb --root-owner-group -Zgzip --build " + tree.string() + " " +
                  deb.string() + " >/dev/null") != 0) {
        throw std::runtime_error("dpkg-deb failed");
    }
    return deb;
}

std::string user_or_root(const char* user) {
    return ::getpwnam(user) ? user : "root";
}
std::string group_or_root(const char* group) {
    return ::getgrnam(group) ? group : "root";
}

struct Stat {
    unsigned mode = 0;
    std::string owner;
    std::string group;
    ino_t inode = 0;
};

Stat stat_of(const fs::path& p) {
    struct stat st {};
    Stat s;
    if (::lstat(p.c_str(), &st) != 0) return s;
    s.mode = st.st_mode & 07777;
    s.inode = st.st_ino;
    if (auto* pw = ::getpwuid(st.st_uid)) s.owner = pw->pw_name;
    if (auto* gr = ::getgrgid(st.st_gid)) s.group = gr->gr_name;
    return s;
}

class SshInjectorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (::geteuid() != 0) return;
        spdlog::set_level(spdlog::level::debug);  // every remote step in the test's output
        char tmpl[] = "/tmp/meshorch-sshd-XXXXXX";
        suite_dir_ = ::mkdtemp(tmpl);
        sshd_ = new test::SshdServer(suite_dir_ / "sshd");
        package_ = build_package(suite_dir_, "standin", 0);
        big_package_ = build_package(suite_dir_, "standin-big", 256 * 1024);
        broken_package_ = suite_dir_ / "broken.deb";
        write_text(broken_package_, "this is not a Debian package\n");
    }
    static void TearDownTestSuite() {
        delete sshd_;
        sshd_ = nullptr;
        if (!suite_dir_.empty()) fs::remove_all(suite_dir_);
    }

    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "sshd needs root (privilege separation)";
        char tmpl[] = "/tmp/meshorch-vm-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        root_ = dir_ / "vm";
        fs::create_directories(root_ / "var/lib/dpkg/updates");
        fs::create_directories(root_ / "var/lib/dpkg/info");
        write_text(root_ / "var/lib/dpkg/status", "");
        write_text(root_ / "etc/hosts", original_hosts);
        readiness_port_ = test::free_port();
        marker_ = dir_ / "pwned";
    }
    void TearDown() override {
        if (dir_.empty()) return;
        if (interrupted_) {
            // A cancelled or timed-out call closes its session, but the remote command it was
            // running finishes on its own; let it before the VM directory goes.
            std::this_thread::sleep_for(1500ms);
        }
        if (mounted_) ::umount2(mounted_->c_str(), MNT_DETACH);
        run_quiet("/bin/sh " + (fixtures / "servicectl.sh").string() + " stop " + root_.string() +
                  " 0 2>/dev/null");
        fs::remove_all(dir_);
    }

    std::vector<std::string> servicectl(const char* action, bool never_ready = false) const {
        std::vector<std::string> argv = {"/bin/sh", (fixtures / "servicectl.sh").string(), action,
                                         root_.string(), std::to_string(readiness_port_)};
        if (never_ready) argv.push_back("--never-ready");
        return argv;
    }

    SshInjectorConfig config(bool never_ready = false) const {
        SshInjectorConfig c;
        c.host_key.mode = HostKeyMode::pinned;
        c.host_key.pinned_key = sshd_->host_public_key();
        c.credentials.user = "root";
        c.credentials.private_key_file = sshd_->path("client_key").string();
        c.port = sshd_->port();
        c.connect_timeout = 3s;
        c.command_timeout = 10s;
        c.readiness_timeout = 8s;
        c.readiness_interval = 100ms;
        c.remote_root = root_.string();
        c.proxy_user = user_or_root("nobody");
        c.proxy_group = group_or_root("nogroup");
        c.package_file = package_.string();
        c.service.start = servicectl("start", never_ready);
        c.service.stop = servicectl("stop");
        c.service.restart = servicectl("restart", never_ready);
        c.service.is_active = servicectl("is-active");
        c.readiness_port = readiness_port_;
        c.threads = 2;
        return c;
    }

    std::shared_ptr<SshInjector> make(const SshInjectorConfig& c) {
        auto made = SshInjector::create(c);
        if (!made) throw std::runtime_error(made.error().describe());
        return *made;
    }

    InjectionRequest request() const {
        InjectionRequest r;
        r.service = "bookinfo";
        r.namespace_ = "bookinfo";
        r.microservice = "reviews";
        r.version = "v1";
        r.vm = VmInstance{"server-1", "127.0.0.1"};
        r.bundle.files = {
            {"cluster.env", "CANONICAL_SERVICE='reviews'\nPOD_NAMESPACE='bookinfo'\n"},
            {"mesh.yaml", "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"},
            {"root-cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
            {"istio-token", "eyJhbGciOiJSUzI1NiJ9.first.sig"},
            {"hosts", "10.0.0.9 istiod.istio-system.svc\n"}};
        return r;
    }

    Deadline soon(std::chrono::seconds s = 20s) const { return Clock::now() + s; }

    std::vector<std::string> service_log() const {
        std::vector<std::string> out;
        std::istringstream in(read_text(dir_ / "service.log"));
        for (std::string line; std::getline(in, line);) {
            if (line != "is-active") out.push_back(line);
        }
        return out;
    }

    // Files and symlinks the injector could have left under the VM root (dpkg's own database
    // and /etc/hosts, which was there before, excepted).
    std::vector<std::string> leftovers() const {
        std::vector<std::string> out;
        for (auto it = fs::recursive_directory_iterator(root_); it != fs::end(it); ++it) {
            const auto rel = fs::relative(it->path(), root_).string();
            if (rel.rfind("var/lib/dpkg", 0) == 0 || rel == "etc/hosts") continue;
            if (!it->is_directory() || it->is_symlink()) out.push_back(rel);
        }
        return out;
    }

    bool package_installed() const {
        return run_quiet("dpkg-query --root=" + root_.string() +
                         " -W -f='${Status}' istio-sidecar 2>/dev/null | grep -q ' installed$'") ==
               0;
    }

    bool proxy_running() const { return test::port_open(readiness_port_); }

    // SFTP sessions sshd started so far (the injector opens one only to upload something).
    std::size_t sftp_sessions() const {
        const std::string log = sshd_->log();
        const std::string needle = "subsystem 'sftp'";
        std::size_t n = 0;
        for (auto pos = log.find(needle); pos != std::string::npos;
             pos = log.find(needle, pos + 1)) {
            ++n;
        }
        return n;
    }

    void expect_clean_vm() {
        EXPECT_EQ(leftovers(), std::vector<std::string>{});
        EXPECT_EQ(read_text(root_ / "etc/hosts"), original_hosts);
        EXPECT_FALSE(package_installed());
        EXPECT_FALSE(proxy_running());
    }

    static inline const std::string original_hosts = "127.0.0.1 localhost\n::1 localhost\n";
    static inline fs::path suite_dir_;
    static inline test::SshdServer* sshd_ = nullptr;
    static inline fs::path package_, big_package_, broken_package_;
    fs::path dir_, root_, marker_;
    std::uint16_t readiness_port_ = 0;
    std::optional<fs::path> mounted_;
    bool interrupted_ = false;
};

TEST_F(SshInjectorTest, InjectDeliversTheBundleInstallsAndStartsTheProxy) {
    auto injector = make(config());
    const auto req = request();
    auto result = injector->inject_sync(req, soon());
    ASSERT_TRUE(result) << result.error().describe();
    EXPECT_TRUE(result->changed);

    const std::string user = user_or_root("nobody"), group = group_or_root("nogroup");
    struct Expect {
        const char* path;
        const char* key;
        unsigned mode;
    };
    for (const Expect& e : {Expect{"etc/certs/root-cert.pem", "root-cert.pem", 0644},
                            Expect{"var/lib/istio/envoy/cluster.env", "cluster.env", 0644},
                            Expect{"etc/istio/config/mesh", "mesh.yaml", 0644},
                            Expect{"var/lib/meshorch/tokens/istio-token", "istio-token", 0600}}) {
        EXPECT_EQ(read_text(root_ / e.path), req.bundle.files.at(e.key)) << e.path;
        const auto st = stat_of(root_ / e.path);
        EXPECT_EQ(st.mode, e.mode) << e.path;
        EXPECT_EQ(st.owner, user) << e.path;
        EXPECT_EQ(st.group, group) << e.path;
    }
    EXPECT_EQ(stat_of(root_ / "var/lib/meshorch/tokens").mode, 0700u);
    // The proxy reads the token where Istio puts it: a symlink to the persistent copy.
    const fs::path link = root_ / "var/run/secrets/tokens/istio-token";
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::read_symlink(link), root_ / "var/lib/meshorch/tokens/istio-token");
    EXPECT_NE(read_text(root_ / "etc/tmpfiles.d/meshorch-istio-token.conf").find("L+ "),
              std::string::npos);
    EXPECT_EQ(read_text(root_ / "etc/hosts"),
              original_hosts +
                  "# BEGIN meshorch: istiod\n10.0.0.9 istiod.istio-system.svc\n"
                  "# END meshorch: istiod\n");
    EXPECT_TRUE(package_installed());
    EXPECT_TRUE(fs::exists(root_ / "usr/local/bin/meshorch-standin-proxy"));
    EXPECT_EQ(service_log(), std::vector<std::string>{"start"});
    EXPECT_TRUE(proxy_running());
    // Staging is cleaned up.
    EXPECT_TRUE(!fs::exists(root_ / "tmp") || fs::is_empty(root_ / "tmp"));
}

std::size_t open_fds() {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
}

TEST_F(SshInjectorTest, SecondInjectWithTheSameBundleChangesNothing) {
    auto injector = make(config());
    ASSERT_TRUE(injector->inject_sync(request(), soon()));
    const auto fds = open_fds();  // after libssh's and OpenSSL's one-time set-up
    const auto token_inode = stat_of(root_ / "var/lib/meshorch/tokens/istio-token").inode;
    const auto hosts_inode = stat_of(root_ / "etc/hosts").inode;
    const auto uploads = sftp_sessions();
    EXPECT_GT(uploads, 0u);

    auto again = injector->inject_sync(request(), soon());
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_FALSE(again->changed);
    EXPECT_EQ(open_fds(), fds) << "every session closes its socket";
    EXPECT_EQ(sftp_sessions(), uploads) << "nothing is uploaded";
    EXPECT_EQ(stat_of(root_ / "var/lib/meshorch/tokens/istio-token").inode, token_inode);
    EXPECT_EQ(stat_of(root_ / "etc/hosts").inode, hosts_inode);
    EXPECT_EQ(service_log(), std::vector<std::string>{"start"}) << "no restart";
}

TEST_F(SshInjectorTest, ChangedMeshConfigRestartsTheProxy) {
    auto injector = make(config());
    ASSERT_TRUE(injector->inject_sync(request(), soon()));
    auto changed = request();
    changed.bundle.files["mesh.yaml"] = "defaultConfig:\n  discoveryAddress: istiod-2:15012\n";
    auto result = injector->inject_sync(changed, soon());
    ASSERT_TRUE(result) << result.error().describe();
    EXPECT_TRUE(result->changed);
    EXPECT_EQ(read_text(root_ / "etc/istio/config/mesh"), changed.bundle.files["mesh.yaml"]);
    EXPECT_EQ(service_log(), (std::vector<std::string>{"start", "restart"}));
}

TEST_F(SshInjectorTest, RefreshTokenReplacesOnlyTheTokenAndKeepsItOwnerOnly) {
    auto injector = make(config());
    ASSERT_TRUE(injector->inject_sync(request(), soon()));
    const auto cert = stat_of(root_ / "etc/certs/root-cert.pem");
    const auto env = stat_of(root_ / "var/lib/istio/envoy/cluster.env");
    const auto old_token = stat_of(root_ / "var/lib/meshorch/tokens/istio-token");

    auto st = injector->refresh_token_sync(VmInstance{"server-1", "127.0.0.1"},
                                           "eyJhbGciOiJSUzI1NiJ9.second.sig", soon());
    ASSERT_TRUE(st) << st.error().describe();
    const fs::path token = root_ / "var/lib/meshorch/tokens/istio-token";
    EXPECT_EQ(read_text(token), "eyJhbGciOiJSUzI1NiJ9.second.sig");
    EXPECT_EQ(read_text(root_ / "var/run/secrets/tokens/istio-token"),
              "eyJhbGciOiJSUzI1NiJ9.second.sig");
    const auto now = stat_of(token);
    EXPECT_EQ(now.mode, 0600u);
    EXPECT_EQ(now.owner, old_token.owner);
    EXPECT_NE(now.inode, old_token.inode) << "replaced by a rename, not rewritten in place";
    EXPECT_EQ(stat_of(root_ / "etc/certs/root-cert.pem").inode, cert.inode);
    EXPECT_EQ(stat_of(root_ / "var/lib/istio/envoy/cluster.env").inode, env.inode);
    EXPECT_EQ(service_log(), std::vector<std::string>{"start"}) << "the proxy re-reads the token";
    EXPECT_TRUE(proxy_running());
}

TEST_F(SshInjectorTest, RefreshTokenWithoutAProxyIsAnError) {
    auto injector = make(config());
    auto st = injector->refresh_token_sync(VmInstance{"server-1", "127.0.0.1"}, "t", soon());
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::backend);
    EXPECT_NE(st.error().message.find("no proxy"), std::string::npos) << st.error().message;
}

TEST_F(SshInjectorTest, RemoveLeavesNothingBehindAndIsIdempotent) {
    auto injector = make(config());
    ASSERT_TRUE(injector->inject_sync(request(), soon()));
    ASSERT_TRUE(proxy_running());
    auto st = injector->remove_sync(VmInstance{"server-1", "127.0.0.1"}, soon());
    ASSERT_TRUE(st) << st.error().describe();
    expect_clean_vm();
    EXPECT_EQ(service_log(), (std::vector<std::string>{"start", "stop"}));
    auto again = injector->remove_sync(VmInstance{"server-1", "127.0.0.1"}, soon());
    EXPECT_TRUE(again) << again.error().describe();
    expect_clean_vm();
}

TEST_F(SshInjectorTest, HostileValuesInTheBundleAreDeliveredNotExecuted) {
    auto injector = make(config());
    auto req = request();
    const std::string hostile = "$(touch " + marker_.string() + ")'; touch " + marker_.string() +
                                " #`touch " + marker_.string() + "`";
    req.bundle.files["cluster.env"] = "X='" + hostile + "'\n";
    req.bundle.files["istio-token"] = hostile;
    req.bundle.files["hosts"] = "10.0.0.9 " + hostile + "\n";
    auto result = injector->inject_sync(req, soon());
    ASSERT_TRUE(result) << result.error().describe();
    EXPECT_EQ(read_text(root_ / "var/lib/meshorch/tokens/istio-token"), hostile);
    EXPECT_FALSE(fs::exists(marker_)) << "a value reached a shell";
    ASSERT_TRUE(injector->refresh_token_sync(req.vm, hostile + "2", soon()));
    EXPECT_FALSE(fs::exists(marker_)) << "a value reached a shell";
}

TEST_F(SshInjectorTest, AsynchronousPortDeliversAndCancelClosesTheSession) {
    auto port = make_ssh_injector(config(/*never_ready=*/true));
    ASSERT_TRUE(port) << port.error().describe();
    CancelSource cancel;
    CallContext ctx;
    ctx.deadline = soon();
    ctx.cancel = cancel.token();
    ctx.operation_id = "op-cancel";
    std::promise<Result<InjectionResult>> done;
    const auto started = Clock::now();
    (*port)->inject(request(), ctx, [&](Result<InjectionResult> r) { done.set_value(r); });
    std::this_thread::sleep_for(1500ms);  // installed, waiting for readiness
    interrupted_ = true;
    cancel.cancel();
    auto future = done.get_future();
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    auto result = future.get();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::cancelled) << result.error().describe();
    EXPECT_LT(Clock::now() - started, 4s);
}

// ---- host keys and authentication --------------------------------------------------------

TEST_F(SshInjectorTest, WrongPinnedHostKeyIsRefusedBeforeAnythingHappens) {
    auto c = config();
    c.host_key.pinned_key = sshd_->other_host_public_key();
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend);
    EXPECT_NE(result.error().message.find("does not match the pinned key"), std::string::npos)
        << result.error().message;
    expect_clean_vm();
    EXPECT_EQ(service_log(), std::vector<std::string>{});
}

TEST_F(SshInjectorTest, PinnedFingerprintIsAccepted) {
    auto c = config();
    const std::string fp = [&] {
        const auto out = dir_ / "fp";
        run_quiet("ssh-keygen -l -E sha256 -f " + sshd_->path("host_key.pub").string() + " > " +
                  out.string());
        const std::string line = read_text(out);  // "256 SHA256:... comment (ED25519)"
        const auto start = line.find("SHA256:");
        return line.substr(start, line.find(' ', start) - start);
    }();
    c.host_key.pinned_key = fp;
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_TRUE(result) << result.error().describe();
}

TEST_F(SshInjectorTest, AcceptNewRecordsTheKeyAndKnownHostsThenRequiresIt) {
    auto c = config();
    const fs::path known = dir_ / "known_hosts";
    c.host_key.mode = HostKeyMode::accept_new;
    c.host_key.known_hosts_file = known.string();
    ASSERT_TRUE(make(c)->inject_sync(request(), soon()));
    const std::string recorded = read_text(known);
    EXPECT_NE(recorded.find("[127.0.0.1]:" + std::to_string(sshd_->port())), std::string::npos)
        << recorded;

    c.host_key.mode = HostKeyMode::known_hosts;
    auto again = make(c)->inject_sync(request(), soon());
    ASSERT_TRUE(again) << again.error().describe();
    EXPECT_FALSE(again->changed);

    // Another key recorded for the host: refused, in both modes.
    write_text(known, "[127.0.0.1]:" + std::to_string(sshd_->port()) + " " +
                          sshd_->other_host_public_key());
    for (auto mode : {HostKeyMode::known_hosts, HostKeyMode::accept_new}) {
        c.host_key.mode = mode;
        auto refused = make(c)->inject_sync(request(), soon());
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, Errc::backend);
        EXPECT_NE(refused.error().message.find("differs from the key recorded"), std::string::npos)
            << refused.error().message;
    }
}

TEST_F(SshInjectorTest, UnknownHostInKnownHostsModeIsRefused) {
    auto c = config();
    c.host_key.mode = HostKeyMode::known_hosts;
    c.host_key.known_hosts_file = (dir_ / "empty_known_hosts").string();
    write_text(c.host_key.known_hosts_file, "");
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend);
    EXPECT_NE(result.error().message.find("is not listed"), std::string::npos)
        << result.error().message;
    EXPECT_EQ(read_text(c.host_key.known_hosts_file), "") << "never recorded silently";
}

TEST_F(SshInjectorTest, WrongClientKeyIsAnAuthenticationError) {
    auto c = config();
    c.credentials.private_key_file = sshd_->path("other_client_key").string();
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend);
    EXPECT_NE(result.error().message.find("authentication of user root"), std::string::npos)
        << result.error().message;
    // And remove does not take an authentication failure for a VM that is gone.
    auto removed = make(c)->remove_sync(VmInstance{"server-1", "127.0.0.1"}, soon());
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code, Errc::backend);
}

TEST_F(SshInjectorTest, PrivateKeyGivenAsTextWorks) {
    auto c = config();
    c.credentials.private_key = read_text(c.credentials.private_key_file);
    c.credentials.private_key_file.clear();
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_TRUE(result) << result.error().describe();
}

TEST_F(SshInjectorTest, ClosedPortFailsFastAndRemoveCountsItAsGone) {
    auto c = config();
    c.port = test::free_port();
    auto injector = make(c);
    const auto started = Clock::now();
    auto result = injector->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::transient);
    EXPECT_NE(result.error().message.find("refused"), std::string::npos) << result.error().message;
    EXPECT_LT(Clock::now() - started, 1s);
    EXPECT_TRUE(injector->remove_sync(VmInstance{"server-1", "127.0.0.1"}, soon()));
}

// ---- failures leave the VM clean ------------------------------------------------------------

TEST_F(SshInjectorTest, BrokenPackageFailsAndLeavesNothingHalfInstalled) {
    auto c = config();
    c.package_file = broken_package_.string();
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend);
    EXPECT_NE(result.error().message.find("installing the proxy package"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("dpkg"), std::string::npos) << result.error().message;
    expect_clean_vm();
}

TEST_F(SshInjectorTest, ProxyThatNeverBecomesReadyTimesOutAndIsRemoved) {
    auto c = config(/*never_ready=*/true);
    c.readiness_timeout = 1500ms;
    const auto started = Clock::now();
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::timeout) << result.error().describe();
    EXPECT_NE(result.error().message.find("did not become ready"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("HTTP 503"), std::string::npos) << result.error().message;
    EXPECT_LT(Clock::now() - started, 8s);
    expect_clean_vm();
    EXPECT_EQ(service_log(), (std::vector<std::string>{"start", "stop"}));
}

TEST_F(SshInjectorTest, DiskFullOnUploadFailsAndLeavesNothingBehind) {
    // A 64 KiB file system where the uploads are staged: the 256 KiB package does not fit.
    const fs::path staging = root_ / "tmp";
    fs::create_directories(staging);
    if (::mount("tmpfs", staging.c_str(), "tmpfs", 0, "size=64k") != 0) {
        GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno)
                     << "); needs CAP_SYS_ADMIN";
    }
    mounted_ = staging;
    auto c = config();
    c.package_file = big_package_.string();
    auto result = make(c)->inject_sync(request(), soon());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::backend);
    EXPECT_NE(result.error().message.find("writing " + staging.string()), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("SFTP"), std::string::npos) << result.error().message;
    EXPECT_TRUE(fs::is_empty(staging)) << "the staging directory is removed";
    ::umount2(staging.c_str(), MNT_DETACH);
    mounted_.reset();
    expect_clean_vm();
}

TEST_F(SshInjectorTest, DeadlineThatPassesIsATimeout) {
    auto c = config(/*never_ready=*/true);
    c.readiness_timeout = 60s;
    interrupted_ = true;
    const auto started = Clock::now();
    auto result = make(c)->inject_sync(request(), Clock::now() + 2s);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::timeout) << result.error().describe();
    EXPECT_LT(Clock::now() - started, 4s);
}

}  // namespace
}  // namespace meshorch::injector
