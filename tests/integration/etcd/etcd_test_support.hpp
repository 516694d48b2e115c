// Test support: a real etcd on loopback (etcd_server.py), and records to store in it.
#pragma once

#include "support/child_process.hpp"

#include <meshorch/etcd_store.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace meshorch::test {

// One etcd member, or a cluster, for the life of the object.
class Etcd {
public:
    explicit Etcd(int members = 1, const std::string& tls_dir = {})
        : process_(arguments(members, tls_dir)) {}

    std::string url() const { return process_.get("url"); }
    std::vector<std::string> urls() const {
        std::vector<std::string> out;
        for (const auto& u : process_.info().at("urls").as_array()) {
            out.emplace_back(u.as_string());
        }
        return out;
    }
    pid_t member_pid(std::size_t n) const {
        return static_cast<pid_t>(
            process_.info().at("members").as_array().at(n).at("pid").as_int64());
    }
    // Kills member n (SIGKILL: no goodbye to its peers) and waits until it is gone.
    void kill_member(std::size_t n) const {
        const pid_t pid = member_pid(n);
        ::kill(pid, SIGKILL);
        while (::kill(pid, 0) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Starts again every member that has exited (same ports, same data).
    void restart_exited_members() const { ::kill(process_.pid(), SIGHUP); }

    // Options for a store or an election on this etcd: a 1 s lease, quick retries.
    EtcdOptions options(const std::string& prefix = "/meshorch/") const {
        EtcdOptions o;
        o.endpoints = urls();
        o.prefix = prefix;
        o.lease_ttl = std::chrono::seconds(1);
        o.call_timeout = std::chrono::seconds(2);
        return o;
    }

private:
    static std::vector<std::string> arguments(int members, const std::string& tls_dir) {
        std::vector<std::string> argv{"/usr/bin/python3", MESHORCH_ETCD_SERVER, "--members",
                                      std::to_string(members)};
        if (!tls_dir.empty()) {
            argv.push_back("--tls");
            argv.push_back(tls_dir);
        }
        return argv;
    }
    ChildProcess process_;
};

// A fresh directory under the system's temporary one, removed with the object.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "meshorch-etcd-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Calls `attempt` until it returns true or `limit` passes; returns how long that took.
inline std::chrono::milliseconds wait_until(
    const std::function<bool()>& attempt, std::chrono::milliseconds limit,
    std::chrono::milliseconds pause = std::chrono::milliseconds(20)) {
    const auto start = std::chrono::steady_clock::now();
    while (!attempt()) {
        if (std::chrono::steady_clock::now() - start > limit) {
            ADD_FAILURE() << "gave up waiting after " << limit.count() << " ms";
            break;
        }
        std::this_thread::sleep_for(pause);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

}  // namespace meshorch::test
