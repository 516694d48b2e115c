// Test support: starts a helper program (an emulator, a real server) as a child process, reads
// the one JSON line it prints on stdout once it listens, and kills it (SIGTERM, then SIGKILL)
// on destruction. The child's stderr goes to the test's stderr.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

namespace meshorch::test {

class ChildProcess {
public:
    // argv[0] is looked up on PATH. Throws std::runtime_error when the child exits or stays
    // silent for `startup` before printing its line.
    ChildProcess(std::vector<std::string> argv,
                 std::chrono::milliseconds startup = std::chrono::seconds(30)) {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::setpgid(0, 0);  // its own group, so its children die with it
            // A test that crashes must not leave its servers running.
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            std::vector<char*> args;
            for (auto& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            ::execvp(args[0], args.data());
            std::perror("execvp");
            ::_exit(127);
        }
        ::close(out[1]);
        out_ = out[0];
        std::string line;
        const auto until = std::chrono::steady_clock::now() + startup;
        while (line.find('\n') == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            pollfd p{out_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                stop();
                throw std::runtime_error("'" + argv[0] + "' printed no startup line in time");
            }
            char buf[512];
            const auto n = ::read(out_, buf, sizeof buf);
            if (n <= 0) {
                stop();
                throw std::runtime_error("'" + argv[0] + "' exited before it was ready");
            }
            line.append(buf, static_cast<std::size_t>(n));
        }
        info_ = boost::json::parse(line.substr(0, line.find('\n'))).as_object();
    }

    ~ChildProcess() { stop(); }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // What the child printed, e.g. {"url": "https://127.0.0.1:41234"}.
    const boost::json::object& info() const { return info_; }
    std::string get(const char* key) const { return std::string(info_.at(key).as_string()); }
    pid_t pid() const { return pid_; }

    void stop() {
        if (pid_ <= 0) return;
        ::kill(-pid_, SIGTERM);
        for (int i = 0; i < 50; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            ::usleep(20'000);
        }
        if (pid_ > 0) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        if (out_ >= 0) ::close(out_);
        out_ = -1;
    }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    boost::json::object info_;
};

}  // namespace meshorch::test
