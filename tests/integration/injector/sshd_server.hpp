// Test support: a real OpenSSH server (/usr/sbin/sshd) on 127.0.0.1, with its own host key,
// client keys and authorized_keys in a temporary directory. Its log (LogLevel VERBOSE: every
// session and subsystem started) is log(). Needs root (sshd's privilege separation).
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

namespace meshorch::test {

inline int run_quiet(const std::string& command) {
    return std::system(command.c_str());
}

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A port nothing listens on right now.
inline std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

inline bool port_open(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

class SshdServer {
public:
    explicit SshdServer(const std::filesystem::path& dir) : dir_(dir) {
        std::filesystem::create_directories(dir_);
        std::filesystem::create_directories("/run/sshd");  // its privilege-separation directory
        for (const char* key : {"host_key", "client_key", "other_client_key", "other_host_key"}) {
            if (run_quiet("ssh-keygen -q -t ed25519 -N '' -C meshorch-test -f " +
                          (dir_ / key).string()) != 0) {
                throw std::runtime_error("ssh-keygen failed");
            }
        }
        std::filesystem::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
        port_ = free_port();
        std::ofstream(dir_ / "sshd_config")
            << "Port " << port_ << "\nListenAddress 127.0.0.1\n"
            << "HostKey " << (dir_ / "host_key").string() << "\n"
            << "AuthorizedKeysFile " << (dir_ / "authorized_keys").string() << "\n"
            << "PidFile " << (dir_ / "sshd.pid").string() << "\n"
            << "UsePAM no\nStrictModes no\nPasswordAuthentication no\n"
            << "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
            << "AllowTcpForwarding yes\nLogLevel VERBOSE\nMaxStartups 50\n"
            << "Subsystem sftp internal-sftp\n";
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::setpgid(0, 0);
            int log = ::open((dir_ / "sshd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(log, STDERR_FILENO);
            const std::string config = (dir_ / "sshd_config").string();
            ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", config.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 250 && !port_open(port_); ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("sshd exited: " + read_text(dir_ / "sshd.log"));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!port_open(port_)) throw std::runtime_error("sshd did not listen");
    }
    ~SshdServer() {
        if (pid_ > 0) {
            ::kill(-pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    SshdServer(const SshdServer&) = delete;
    SshdServer& operator=(const SshdServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::filesystem::path path(const char* name) const { return dir_ / name; }
    std::string log() const { return read_text(dir_ / "sshd.log"); }
    // "ssh-ed25519 AAAA... meshorch-test"
    std::string host_public_key() const { return read_text(dir_ / "host_key.pub"); }
    std::string other_host_public_key() const { return read_text(dir_ / "other_host_key.pub"); }

private:
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace meshorch::test
