// The StateStore on etcd v3, for several meshorch instances that share their services' records,
// and the leader election that decides which instance may write them.
//
// Layout: the record of service S is the JSON text (the same form as the SQLite store's) at key
// `<prefix>services/S`; the leader holds `<prefix>leader` (its candidate id, attached to its
// lease). The store speaks to etcd's JSON gateway (POST /v3/kv/..., /v3/lease/...) over HTTP(S);
// several endpoints may be given, and a call that cannot reach one tries the next.
//
// Errors: etcd unreachable, overloaded (5xx) or too slow is Errc::transient; a stored value that
// is not a record is Errc::io naming the key; a write by an instance that does not lead is
// Errc::conflict with a message that starts "not the leader".
//
// Election: a candidate grants itself a lease of `lease_ttl` and wins when a transaction that
// says "if <prefix>leader does not exist, create it with my id on my lease" succeeds; until
// then it retries every `retry_interval`. The lease is renewed every `keepalive_interval` on a
// background thread. Leadership is LOST (the on_lost callback runs once) when a renewal finds
// the lease gone, when no renewal has succeeded for a whole lease_ttl, or when the leader key
// is no longer the one this candidate created. etcd deletes the leader key when the lease
// expires, so another candidate wins at most about lease_ttl after the leader stops renewing.
//
// Fencing: a store bound to an election writes only through a transaction whose condition is
// "the leader key is still the one this candidate created (same create revision, same id)".
// A deposed leader's save() or erase() is therefore refused by etcd itself, and writes nothing,
// even before the deposed instance has noticed that its lease is gone.
//
// Thread safety: every member function of both classes may be called from any thread.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/store.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

struct EtcdOptions {
    std::vector<std::string> endpoints;  // "http(s)://host:port" of the members, tried in turn
    std::string prefix = "/meshorch/";   // every key meshorch writes starts with it
    // The leader's lease; etcd counts it in whole seconds (at least 1 s).
    std::chrono::milliseconds lease_ttl{std::chrono::seconds(10)};
    std::chrono::milliseconds keepalive_interval{0};  // 0: lease_ttl / 3
    std::chrono::milliseconds retry_interval{0};      // campaign retries; 0: lease_ttl / 10
    std::chrono::milliseconds call_timeout{std::chrono::seconds(5)};  // one request
    std::size_t page_size = 500;  // list() reads the names this many at a time
    // TLS (https endpoints): the CA that signed the members' certificates (empty: the system's),
    // and a client certificate when the members ask for one.
    std::string ca_file;
    std::string client_certificate_file;
    std::string client_key_file;
    bool insecure_skip_verify = false;  // explicit and loud: logs a warning
    // etcd authentication (a token from /v3/auth/authenticate); empty user: none.
    std::string username;
    std::string password;
};

class EtcdLeaderElection {
public:
    // `candidate_id` names this instance in the leader key (unique among the candidates).
    // Contacts nothing yet. Errc::invalid_argument for bad options or unreadable TLS files.
    static Result<std::shared_ptr<EtcdLeaderElection>> create(EtcdOptions options,
                                                              std::string candidate_id);
    // Stops renewing and, when leading, resigns (revokes the lease: the others need not wait).
    ~EtcdLeaderElection();
    EtcdLeaderElection(const EtcdLeaderElection&) = delete;
    EtcdLeaderElection& operator=(const EtcdLeaderElection&) = delete;

    // Blocks until this candidate leads (Ok, at once when it already does), ctx's deadline
    // passes (Errc::timeout, naming the current leader) or ctx is cancelled (Errc::cancelled).
    // etcd being unreachable meanwhile is retried, not returned.
    Status campaign(const CallContext& ctx = {});
    // Gives leadership up at once (the lease is revoked, so the leader key goes with it).
    // The on_lost callback does not run for it.
    Status resign();

    bool is_leader() const;
    // Runs once each time leadership is lost, on the renewal thread, with the reason.
    // Set it before campaign().
    void on_lost(std::function<void(const Error& why)> callback);

    // The candidate id in the leader key now; std::nullopt when no one leads.
    Result<std::optional<std::string>> leader();

    const std::string& candidate_id() const noexcept;
    std::string leader_key() const;
    std::int64_t lease_id() const;  // this candidate's lease, 0 when it has none

    // What a fenced write compares: leading, the leader key's create revision when this
    // candidate won; otherwise an error saying why this candidate does not lead.
    Result<std::int64_t> fencing_revision() const;

    struct Impl;

private:
    explicit EtcdLeaderElection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class EtcdStateStore final : public StateStore {
public:
    // With `leadership`, save() and erase() are fenced by it (see above); without, they write
    // unconditionally (one instance, or instances coordinated otherwise). Contacts nothing yet.
    static Result<std::shared_ptr<EtcdStateStore>> open(
        EtcdOptions options, std::shared_ptr<EtcdLeaderElection> leadership = nullptr);
    ~EtcdStateStore() override;
    EtcdStateStore(const EtcdStateStore&) = delete;
    EtcdStateStore& operator=(const EtcdStateStore&) = delete;

    Result<std::optional<ServiceRecord>> load(const std::string& service) override;
    Status save(const ServiceRecord& record) override;
    Status erase(const std::string& service) override;  // absent: Ok
    Result<std::vector<std::string>> list() override;   // sorted by name, read page by page

    // The key that holds `service`'s record.
    std::string key_of(const std::string& service) const;

    struct Impl;

private:
    explicit EtcdStateStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch
