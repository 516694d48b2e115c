// Quoting and validation of everything that reaches a remote shell.
#include "injector/remote_command.hpp"
#include "injector/remote_scripts.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <string>

namespace meshorch::injector {
namespace {

const std::vector<std::string> hostile = {
    "x'; rm -rf / #",
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "a b",
    "a\nb",
    "-rf",
    "x\"y",
    "*",
    "~root",
    "a;b",
    "a|b",
    "a&b",
    "a>b",
    "$HOME",
    "''",
    "'",
    "\\",
    "",
};

// Runs `command` with /bin/sh -c and returns what it printed.
std::string sh(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return "<popen failed>";
    char buf[256];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
    return out;
}

TEST(RemoteCommand, HostileArgumentsReachTheProgramVerbatim) {
    const std::string marker = "/tmp/pwned-meshorch-" + std::to_string(::getpid());
    std::vector<std::string> args = hostile;
    args.push_back("$(touch " + marker + ")");
    args.push_back("x'; touch " + marker + " #");
    for (const auto& arg : args) {
        // printf '[%s]' <arg>: the shell must hand the program exactly one argument, unchanged.
        const std::string cmd = command_line({"printf", "[%s]", arg});
        EXPECT_EQ(sh(cmd), "[" + arg + "]") << cmd;
        // And the same through the sh -c wrapper every remote command goes through.
        EXPECT_EQ(sh(shell_command(cmd, false)), "[" + arg + "]") << cmd;
    }
    EXPECT_FALSE(std::filesystem::exists(marker)) << "a quoted argument was executed";
}

TEST(RemoteCommand, EveryElementIsSingleQuoted) {
    EXPECT_EQ(command_line({"systemctl", "enable", "--now", "istio"}),
              "'systemctl' 'enable' '--now' 'istio'");
    EXPECT_EQ(command_line({"x'; rm -rf / #"}), "'x'\"'\"'; rm -rf / #'");
    EXPECT_EQ(shell_command("echo hi", false), "/bin/sh -c 'echo hi'");
    EXPECT_EQ(shell_command("echo hi", true), "sudo -n /bin/sh -c 'echo hi'");
}

TEST(RemoteCommand, NamesWithShellMetacharactersAreRefused) {
    for (const auto& name : hostile) EXPECT_FALSE(is_safe_name(name)) << name;
    EXPECT_FALSE(is_safe_name(std::string(65, 'a')));
    for (const char* ok : {"istio-proxy", "root", "istio_proxy", "svc.user", "user@realm", "a1"}) {
        EXPECT_TRUE(is_safe_name(ok)) << ok;
    }
}

TEST(RemoteCommand, PathsWithShellMetacharactersOrDotsAreRefused) {
    for (const auto& name : hostile) {
        if (name == "-rf") continue;  // harmless inside an absolute path
        EXPECT_FALSE(is_safe_remote_path("/etc/" + name)) << name;
    }
    for (const char* bad : {"", "etc/hosts", "/etc/../root", "/etc/./x", "/etc//x", "/etc/x/",
                            "/tmp/$(id)", "/tmp/a b", "/tmp/*"}) {
        EXPECT_FALSE(is_safe_remote_path(bad)) << bad;
    }
    for (const char* ok : {"/", "/etc/certs/root-cert.pem", "/var/lib/meshorch/tokens",
                           "/tmp/meshorch.AbC123xyz0", "/srv/vm-1/etc/istio/config/mesh"}) {
        EXPECT_TRUE(is_safe_remote_path(ok)) << ok;
    }
}

TEST(RemoteCommand, RemoteRootIsPrependedToEveryPath) {
    EXPECT_EQ(under_root("/", "/etc/hosts"), "/etc/hosts");
    EXPECT_EQ(under_root("/srv/vm", "/etc/hosts"), "/srv/vm/etc/hosts");
    EXPECT_EQ(under_root("/srv/vm/", "/etc/hosts"), "/srv/vm/etc/hosts");
    EXPECT_EQ(parent_directory("/etc/certs/root-cert.pem"), "/etc/certs");
    EXPECT_EQ(parent_directory("/etc"), "/");
}

TEST(RemoteCommand, SudoIsUsedForNonRootUsersUnlessTurnedOff) {
    SshInjectorConfig c;
    c.credentials.user = "root";
    EXPECT_FALSE(uses_sudo(c));
    EXPECT_EQ(remote_command(c, "true"), "/bin/sh -c 'true'");
    c.credentials.user = "cloud-user";
    EXPECT_TRUE(uses_sudo(c));
    EXPECT_EQ(remote_command(c, "true"), "sudo -n /bin/sh -c 'true'");
    c.sudo = SshInjectorConfig::Sudo::never;
    EXPECT_FALSE(uses_sudo(c));
    c.credentials.user = "root";
    c.sudo = SshInjectorConfig::Sudo::always;
    EXPECT_TRUE(uses_sudo(c));
}

}  // namespace
}  // namespace meshorch::injector
