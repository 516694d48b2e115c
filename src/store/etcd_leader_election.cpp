#include <meshorch/etcd_store.hpp>

#include "store/etcd_client.hpp"
#include "store/etcd_options.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

namespace meshorch {

using store_detail::Compare;
using store_detail::EtcdClient;
using store_detail::TxnOp;
using Millis = std::chrono::milliseconds;

struct EtcdLeaderElection::Impl {
    EtcdOptions options;
    std::string id;
    std::string key;  // <prefix>leader
    std::shared_ptr<EtcdClient> client;
    Millis keepalive_interval;
    Millis retry_interval;

    std::mutex campaign_mutex;  // one campaign at a time
    mutable std::mutex mutex;   // guards what follows
    std::condition_variable wake;
    std::int64_t lease = 0;  // 0: none
    Clock::time_point renewed;
    bool leading = false;
    std::int64_t won_revision = 0;  // the leader key's create revision when this candidate won
    std::string why_not_leading;
    bool ever_led = false;
    std::function<void(const Error&)> on_lost;
    bool stopping = false;
    std::thread renewer;

    std::int64_t ttl_seconds() const {
        return std::chrono::duration_cast<std::chrono::seconds>(options.lease_ttl).count();
    }

    void start_renewer_locked() {
        if (!renewer.joinable()) renewer = std::thread([this] { renew_loop(); });
    }

    // Renews the lease every keepalive_interval, and decides when leadership is lost.
    void renew_loop() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            wake.wait_for(lock, keepalive_interval, [&] { return stopping; });
            if (stopping) break;
            const std::int64_t renewing = lease;
            if (renewing == 0) continue;
            const bool was_leading = leading;
            const std::int64_t won = won_revision;
            lock.unlock();
            auto ttl = client->keep_alive(renewing);
            std::string why;
            if (ttl && *ttl > 0 && was_leading) why = check_leader_key(won);
            lock.lock();
            if (lease != renewing) continue;  // resigned or replaced meanwhile
            if (ttl && *ttl > 0 && why.empty()) {
                renewed = Clock::now();
                continue;
            }
            if (ttl && *ttl <= 0) {
                why = "lease " + std::to_string(renewing) + " is gone (it expired or was revoked)";
            } else if (!ttl) {
                if (Clock::now() - renewed < options.lease_ttl) continue;  // try again next round
                why = "the lease could not be renewed for " +
                      std::to_string(options.lease_ttl.count()) + " ms: " + ttl.error().message;
            }
            lease = 0;  // a fresh campaign takes a fresh lease
            if (!leading) continue;
            leading = false;
            why_not_leading = why;
            auto callback = on_lost;
            lock.unlock();
            if (callback) callback(make_error(Errc::conflict, "leadership lost: " + why));
            lock.lock();
        }
    }

    // "" while the leader key is still the one this candidate created at `won`.
    std::string check_leader_key(std::int64_t won) {
        store_detail::RangeRequest request;
        request.key = key;
        auto current = client->range(request);
        if (!current) return {};  // unknown: the lease renewal decides
        if (current->kvs.empty()) return "the leader key " + key + " was deleted";
        const auto& kv = current->kvs.front();
        if (kv.create_revision != won || kv.value != id) {
            return "the leader key " + key + " now belongs to \"" + kv.value + "\"";
        }
        return {};
    }

    void stop_renewer() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        if (renewer.joinable()) renewer.join();
    }
};

EtcdLeaderElection::EtcdLeaderElection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdLeaderElection::~EtcdLeaderElection() {
    impl_->stop_renewer();
    (void)resign();
}

Result<std::shared_ptr<EtcdLeaderElection>> EtcdLeaderElection::create(EtcdOptions options,
                                                                       std::string candidate_id) {
    if (candidate_id.empty()) {
        return make_error(Errc::invalid_argument,
                          "etcd leader election: the candidate id is empty");
    }
    auto client = store_detail::make_etcd_client(options);
    if (!client) return std::move(client).error();
    auto impl = std::make_unique<Impl>();
    impl->keepalive_interval =
        options.keepalive_interval > Millis(0) ? options.keepalive_interval : options.lease_ttl / 3;
    impl->retry_interval = options.retry_interval > Millis(0)
                               ? options.retry_interval
                               : std::clamp(options.lease_ttl / 10, Millis(50), Millis(1000));
    impl->key = options.prefix + "leader";
    impl->options = std::move(options);
    impl->id = std::move(candidate_id);
    impl->client = std::move(*client);
    impl->why_not_leading = "candidate \"" + impl->id + "\" has not won the election";
    return std::shared_ptr<EtcdLeaderElection>(new EtcdLeaderElection(std::move(impl)));
}

Status EtcdLeaderElection::campaign(const CallContext& ctx) {
    Impl& m = *impl_;
    std::lock_guard one_campaign(m.campaign_mutex);
    std::string holder;      // who leads, as last seen
    std::string last_error;  // the last transient trouble, for the timeout message
    for (;;) {
        if (ctx.cancel.cancelled()) {
            return make_error(Errc::cancelled, "etcd leader election: campaign cancelled");
        }
        std::int64_t lease = 0;
        {
            std::lock_guard lock(m.mutex);
            if (m.leading) return Ok{};
            lease = m.lease;
        }
        if (lease == 0) {
            auto granted = m.client->grant_lease(m.ttl_seconds());
            if (granted) {
                std::lock_guard lock(m.mutex);
                m.lease = lease = granted->id;
                m.renewed = Clock::now();
                m.start_renewer_locked();
            } else if (granted.error().code != Errc::transient) {
                return std::move(granted).error();
            } else {
                last_error = granted.error().message;
            }
        }
        if (lease != 0) {
            // Create the leader key on my lease, unless someone holds it; either way read it.
            auto t = m.client->txn({Compare{m.key, Compare::Target::create_revision, 0, {}}},
                                   {TxnOp{TxnOp::Kind::put, m.key, m.id, lease}},
                                   {TxnOp{TxnOp::Kind::get, m.key, {}, 0}});
            if (!t && t.error().code != Errc::transient) return std::move(t).error();
            if (!t) last_error = t.error().message;
            std::int64_t won = 0;
            if (t && t->succeeded) {
                won = t->revision;
            } else if (t && !t->gets.empty() && !t->gets.front().kvs.empty()) {
                const auto& kv = t->gets.front().kvs.front();
                holder = kv.value;
                // A retried transaction whose first try did win (its answer was lost).
                if (kv.value == m.id && kv.lease == lease) won = kv.create_revision;
            }
            if (won != 0) {
                std::lock_guard lock(m.mutex);
                if (m.lease == lease) {
                    m.leading = true;
                    m.ever_led = true;
                    m.won_revision = won;
                    return Ok{};
                }
            }
        }
        const auto now = Clock::now();
        if (now >= ctx.deadline) {
            std::string why =
                "etcd leader election: candidate \"" + m.id + "\" did not win before the deadline";
            if (!holder.empty()) why += " (\"" + holder + "\" leads)";
            if (!last_error.empty()) why += "; last trouble: " + last_error;
            return make_error(Errc::timeout, why);
        }
        std::unique_lock lock(m.mutex);
        const auto pause = std::min<Clock::duration>(m.retry_interval, ctx.deadline - now);
        m.wake.wait_for(lock, pause, [&] { return m.stopping; });
        if (m.stopping) {
            return make_error(Errc::cancelled, "etcd leader election: shutting down");
        }
    }
}

Status EtcdLeaderElection::resign() {
    std::int64_t lease = 0;
    {
        std::lock_guard lock(impl_->mutex);
        lease = impl_->lease;
        impl_->lease = 0;
        if (impl_->leading) impl_->why_not_leading = "candidate \"" + impl_->id + "\" resigned";
        impl_->leading = false;
    }
    if (lease == 0) return Ok{};
    return impl_->client->revoke_lease(lease);
}

bool EtcdLeaderElection::is_leader() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->leading;
}

void EtcdLeaderElection::on_lost(std::function<void(const Error&)> callback) {
    std::lock_guard lock(impl_->mutex);
    impl_->on_lost = std::move(callback);
}

Result<std::optional<std::string>> EtcdLeaderElection::leader() {
    store_detail::RangeRequest request;
    request.key = impl_->key;
    auto current = impl_->client->range(request);
    if (!current) return std::move(current).error();
    if (current->kvs.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{current->kvs.front().value};
}

const std::string& EtcdLeaderElection::candidate_id() const noexcept {
    return impl_->id;
}

std::string EtcdLeaderElection::leader_key() const {
    return impl_->key;
}

std::int64_t EtcdLeaderElection::lease_id() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->lease;
}

Result<std::int64_t> EtcdLeaderElection::fencing_revision() const {
    std::lock_guard lock(impl_->mutex);
    if (impl_->leading) return impl_->won_revision;
    return make_error(Errc::conflict, std::string(impl_->ever_led ? "not the leader any more: "
                                                                  : "not the leader: ") +
                                          impl_->why_not_leading);
}

}  // namespace meshorch
