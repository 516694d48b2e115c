// The host-key policy: pinned keys, known_hosts, accept-new; never a silent acceptance.
#include "injector/host_key.hpp"

#include <gtest/gtest.h>

namespace meshorch::injector {
namespace {

ServerKey server_key() {
    ServerKey k;
    k.type = "ssh-ed25519";
    k.base64 = "AAAAC3NzaC1lZDI1NTE5AAAAIEmHxfh7mQ0k4z6mS3JqRk3qKxZbW3o5h0v8Fq1Jt5aB";
    k.fingerprint = "SHA256:LvxS6Lv1UowYS9Hnsr+0FD3lcpnkA8/G4ylaOZytcdI";
    return k;
}

HostKeyPolicy pinned(std::string key) {
    HostKeyPolicy p;
    p.mode = HostKeyMode::pinned;
    p.pinned_key = std::move(key);
    return p;
}

TEST(HostKey, PinnedFingerprintMatchesOnlyThatKey) {
    const auto k = server_key();
    EXPECT_EQ(decide_host_key(pinned(k.fingerprint), k, KnownHostsState::error, "vm").verdict,
              HostKeyVerdict::accept);
    EXPECT_EQ(decide_host_key(pinned(k.fingerprint + "="), k, KnownHostsState::error, "vm").verdict,
              HostKeyVerdict::accept);
    auto other = pinned("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const auto d = decide_host_key(other, k, KnownHostsState::match, "[127.0.0.1]:2222");
    EXPECT_EQ(d.verdict, HostKeyVerdict::reject);  // known_hosts is not consulted when pinned
    EXPECT_NE(d.reason.find("[127.0.0.1]:2222"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("does not match the pinned key"), std::string::npos) << d.reason;
}

TEST(HostKey, PinnedPublicKeyLineComparesTypeAndBlob) {
    const auto k = server_key();
    EXPECT_TRUE(pinned_key_matches("ssh-ed25519 " + k.base64 + " root@vm", k));
    EXPECT_TRUE(pinned_key_matches("ssh-ed25519 " + k.base64 + "\n", k));
    EXPECT_FALSE(pinned_key_matches("ssh-rsa " + k.base64, k));
    EXPECT_FALSE(pinned_key_matches("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther", k));
    EXPECT_FALSE(pinned_key_matches("", k));
}

TEST(HostKey, PinnedKeySyntax) {
    EXPECT_TRUE(is_valid_pinned_key("SHA256:LvxS6Lv1UowYS9Hnsr+0FD3lcpnkA8/G4ylaOZytcdI"));
    EXPECT_TRUE(is_valid_pinned_key("ssh-ed25519 AAAAC3Nza root@x"));
    EXPECT_FALSE(is_valid_pinned_key("SHA256:"));
    EXPECT_FALSE(is_valid_pinned_key("SHA256:not base64!"));
    EXPECT_FALSE(is_valid_pinned_key("ssh-ed25519"));
    EXPECT_FALSE(is_valid_pinned_key("MD5:aa:bb"));
}

TEST(HostKey, KnownHostsModeAcceptsOnlyListedKeys) {
    HostKeyPolicy p;
    p.mode = HostKeyMode::known_hosts;
    p.known_hosts_file = "/etc/meshorch/known_hosts";
    const auto k = server_key();
    EXPECT_EQ(decide_host_key(p, k, KnownHostsState::match, "vm").verdict, HostKeyVerdict::accept);
    for (auto state : {KnownHostsState::unknown, KnownHostsState::no_file, KnownHostsState::changed,
                       KnownHostsState::other_type, KnownHostsState::error}) {
        const auto d = decide_host_key(p, k, state, "vm");
        EXPECT_EQ(d.verdict, HostKeyVerdict::reject) << static_cast<int>(state);
        EXPECT_NE(d.reason.find("/etc/meshorch/known_hosts"), std::string::npos) << d.reason;
    }
}

TEST(HostKey, AcceptNewRecordsUnknownHostsButRefusesChangedKeys) {
    HostKeyPolicy p;
    p.mode = HostKeyMode::accept_new;
    p.known_hosts_file = "/tmp/kh";
    const auto k = server_key();
    EXPECT_EQ(decide_host_key(p, k, KnownHostsState::match, "vm").verdict, HostKeyVerdict::accept);
    EXPECT_EQ(decide_host_key(p, k, KnownHostsState::unknown, "vm").verdict,
              HostKeyVerdict::accept_and_record);
    EXPECT_EQ(decide_host_key(p, k, KnownHostsState::no_file, "vm").verdict,
              HostKeyVerdict::accept_and_record);
    const auto changed = decide_host_key(p, k, KnownHostsState::changed, "vm");
    EXPECT_EQ(changed.verdict, HostKeyVerdict::reject);
    EXPECT_NE(changed.reason.find("differs"), std::string::npos) << changed.reason;
    EXPECT_EQ(decide_host_key(p, k, KnownHostsState::other_type, "vm").verdict,
              HostKeyVerdict::reject);
    EXPECT_EQ(decide_host_key(p, k, KnownHostsState::error, "vm").verdict, HostKeyVerdict::reject);
}

TEST(HostKey, KnownHostsNamesFollowOpenSsh) {
    EXPECT_EQ(known_hosts_name("10.0.0.5", 22), "10.0.0.5");
    EXPECT_EQ(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
}

}  // namespace
}  // namespace meshorch::injector
