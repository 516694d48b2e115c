// The remote scripts, run here by /bin/sh against a directory that plays the VM's root.
#include "injector/remote_scripts.hpp"
#include "injector/remote_layout.hpp"

#include <gtest/gtest.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace meshorch::injector {
namespace {

struct Shell {
    int status = -1;
    std::string out;
};

Shell sh(const std::string& command) {
    Shell r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return r;
    char buf[512];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
    r.status = ::pclose(p);
    return r;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << s;
}

class RemoteScripts : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/meshorch-scripts-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        config_.remote_root = root_.string();
        config_.package_manager = PackageManager::none;
        config_.proxy_user = ::getpwuid(::geteuid())->pw_name;
        config_.proxy_group = ::getgrgid(::getegid())->gr_name;
        layout_ = make_layout(config_);
        bundle_.files = {{"cluster.env", "A='1'\n"},
                         {"mesh.yaml", "defaultConfig: {}\n"},
                         {"root-cert.pem", "CERT\n"},
                         {"istio-token", "TOKEN"},
                         {"hosts", "10.0.0.9 istiod\n"}};
    }
    void TearDown() override { fs::remove_all(root_); }

    // Stages `files` as inject does (through a staging directory) and runs the install script.
    Shell install(const std::vector<ManagedFile>& files) {
        auto staging = sh(make_staging_script(layout_));
        EXPECT_EQ(staging.status, 0) << staging.out;
        std::string dir = staging.out.substr(0, staging.out.find('\n'));
        for (const auto& f : files) spit(fs::path(dir) / f.name, f.content);
        auto r = sh(shell_command_for(install_files_script(config_, layout_, files, dir)));
        sh(remove_staging_script(dir));
        EXPECT_FALSE(fs::exists(dir));
        return r;
    }
    static std::string shell_command_for(const std::string& script) {
        SshInjectorConfig local;
        local.sudo = SshInjectorConfig::Sudo::never;
        return remote_command(local, script);
    }

    fs::path root_;
    SshInjectorConfig config_;
    RemoteLayout layout_;
    VmBundle bundle_;
};

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

TEST_F(RemoteScripts, InstallPutsEveryFileInPlaceWithItsMode) {
    auto files = desired_files(config_, layout_, bundle_, "");
    ASSERT_TRUE(files);
    auto r = install(*files);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(slurp(layout_.token), "TOKEN");
    EXPECT_EQ(mode_of(layout_.token), 0600u);
    EXPECT_EQ(mode_of(layout_.token_dir), 0700u);
    EXPECT_EQ(slurp(layout_.root_cert), "CERT\n");
    EXPECT_EQ(mode_of(layout_.root_cert), 0644u);
    EXPECT_EQ(slurp(layout_.cluster_env), "A='1'\n");
    EXPECT_EQ(slurp(layout_.mesh), "defaultConfig: {}\n");
    ASSERT_TRUE(fs::is_symlink(layout_.token_link));
    EXPECT_EQ(fs::read_symlink(layout_.token_link), layout_.token);
    EXPECT_EQ(slurp(layout_.token_link), "TOKEN");
    EXPECT_TRUE(fs::exists(layout_.tmpfiles_rule));

    // The survey reads back exactly the digests inject compares with.
    auto survey = sh(shell_command_for(survey_script(*files)));
    ASSERT_EQ(survey.status, 0) << survey.out;
    const auto sums = parse_sha256sum(survey.out);
    EXPECT_TRUE(plan_changes(*files, sums, layout_).empty());
}

TEST_F(RemoteScripts, ReplacingTheTokenKeepsItOwnerOnly) {
    auto files = desired_files(config_, layout_, bundle_, "");
    ASSERT_TRUE(files);
    ASSERT_EQ(install(*files).status, 0);
    const auto cert_inode = fs::status(layout_.root_cert).permissions();
    ASSERT_EQ(install({token_file(layout_, "NEW")}).status, 0);
    EXPECT_EQ(slurp(layout_.token), "NEW");
    EXPECT_EQ(mode_of(layout_.token), 0600u);
    EXPECT_EQ(fs::status(layout_.root_cert).permissions(), cert_inode);
    EXPECT_FALSE(fs::exists(layout_.token + ".meshorch-new"));
}

TEST_F(RemoteScripts, HostsAreEditedAndRestored) {
    const std::string original = "127.0.0.1 localhost\n";
    spit(layout_.hosts, original);
    ::chmod(layout_.hosts.c_str(), 0644);
    const std::string staged = (root_ / "hosts.staged").string();
    spit(staged, hosts_with_block(original, bundle_.files["hosts"]));
    auto r = sh(shell_command_for(install_hosts_script(layout_, staged)));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(slurp(layout_.hosts), hosts_with_block(original, bundle_.files["hosts"]));
    EXPECT_EQ(mode_of(layout_.hosts), 0644u);
    spit(staged, hosts_without_block(slurp(layout_.hosts)));
    ASSERT_EQ(sh(shell_command_for(install_hosts_script(layout_, staged))).status, 0);
    EXPECT_EQ(slurp(layout_.hosts), original);
}

TEST_F(RemoteScripts, RemoveLeavesNoFileBehind) {
    auto files = desired_files(config_, layout_, bundle_, "");
    ASSERT_TRUE(files);
    ASSERT_EQ(install(*files).status, 0);
    auto r = sh(shell_command_for(remove_files_script(layout_)));
    ASSERT_EQ(r.status, 0) << r.out;
    for (auto it = fs::recursive_directory_iterator(root_); it != fs::end(it); ++it) {
        EXPECT_TRUE(it->is_directory() && !it->is_symlink()) << it->path();
    }
    // Running it again on a clean VM is fine.
    EXPECT_EQ(sh(shell_command_for(remove_files_script(layout_))).status, 0);
}

TEST_F(RemoteScripts, PackageCommandsUseTheRemoteRoot) {
    SshInjectorConfig c;
    c.remote_root = "/srv/vm";
    c.package_name = "istio-sidecar";
    EXPECT_EQ(install_package_script(c, "/tmp/s/proxy.deb"),
              "dpkg '--root=/srv/vm' --install '/tmp/s/proxy.deb'");
    EXPECT_NE(remove_package_script(c).find(
                  "dpkg '--root=/srv/vm' --force-remove-reinstreq --purge 'istio-sidecar'"),
              std::string::npos);
    c.remote_root = "/";
    c.package_manager = PackageManager::rpm;
    EXPECT_EQ(install_package_script(c, "/tmp/s/proxy.rpm"),
              "rpm -U --replacepkgs '/tmp/s/proxy.rpm'");
    EXPECT_NE(remove_package_script(c).find("rpm -e 'istio-sidecar'"), std::string::npos);
}

// The package is purged in every state dpkg can leave it in, and only when dpkg knows it.
// dpkg-query and dpkg are stand-ins on PATH: the first answers a status, the second notes what
// it was asked.
TEST_F(RemoteScripts, PackageRemovalPurgesWhateverStateItWasLeftIn) {
    SshInjectorConfig c;
    c.package_name = "istio-sidecar";
    const fs::path bin = root_ / "bin";
    spit(bin / "dpkg-query", "#!/bin/sh\n[ -n \"$STATUS\" ] || exit 1\nprintf '%s' \"$STATUS\"\n");
    spit(bin / "dpkg", "#!/bin/sh\necho \"$*\" > \"$(dirname \"$0\")/asked\"\n");
    fs::permissions(bin / "dpkg-query", fs::perms::owner_all);
    fs::permissions(bin / "dpkg", fs::perms::owner_all);
    const std::string script = remove_package_script(c);
    auto asked_for = [&](const std::string& status) {
        fs::remove(bin / "asked");
        const Shell r = sh("STATUS='" + status + "' PATH='" + bin.string() + ":/usr/bin:/bin' " +
                           shell_command_for(script));
        EXPECT_EQ(r.status, 0) << status << ": " << r.out;
        return fs::exists(bin / "asked") ? slurp(bin / "asked") : std::string("nothing");
    };
    const std::string purge = "--force-remove-reinstreq --purge istio-sidecar\n";
    EXPECT_EQ(asked_for("install ok installed"), purge);
    EXPECT_EQ(asked_for("install ok half-configured"), purge);
    EXPECT_EQ(asked_for("install reinstreq half-installed"), purge);
    EXPECT_EQ(asked_for("deinstall ok config-files"), purge);
    EXPECT_EQ(asked_for("purge ok not-installed"), "nothing");
    EXPECT_EQ(asked_for(""), "nothing");  // dpkg-query fails: dpkg never heard of it
}

}  // namespace
}  // namespace meshorch::injector
