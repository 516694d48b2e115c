#include <meshorch/etcd_store.hpp>

#include "store/etcd_client.hpp"
#include "store/etcd_options.hpp"
#include "store/record_codec.hpp"

#include <utility>

namespace meshorch {

using store_detail::Compare;
using store_detail::EtcdClient;
using store_detail::RangeRequest;
using store_detail::TxnOp;

struct EtcdStateStore::Impl {
    EtcdOptions options;
    std::shared_ptr<EtcdClient> client;
    std::shared_ptr<EtcdLeaderElection> leadership;  // null: unfenced writes
    std::string services;                            // <prefix>services/

    Error stored_value_error(const std::string& key, const std::string& why) const {
        return make_error(Errc::io, "etcd store: key \"" + key + "\": " + why);
    }

    // Runs `op` (a put or a delete of a service's key); fenced by the leadership when bound.
    Status write(const TxnOp& op, const std::string& what) {
        if (!leadership) {
            auto done = op.kind == TxnOp::Kind::put ? client->put(op.key, op.value)
                                                    : client->delete_key(op.key);
            if (!done) return std::move(done).error();
            return Ok{};
        }
        auto won = leadership->fencing_revision();
        if (!won) {
            Error e = std::move(won).error();
            e.message += "; " + what + " refused";
            return e;
        }
        const std::string leader_key = leadership->leader_key();
        const std::string& id = leadership->candidate_id();
        auto t = client->txn({Compare{leader_key, Compare::Target::create_revision, *won, {}},
                              Compare{leader_key, Compare::Target::value, 0, id}},
                             {op}, {TxnOp{TxnOp::Kind::get, leader_key, {}, 0}});
        if (!t) return std::move(t).error();
        if (t->succeeded) return Ok{};
        std::string now;
        if (!t->gets.empty() && !t->gets.front().kvs.empty()) {
            now = "the leader key " + leader_key + " now belongs to \"" +
                  t->gets.front().kvs.front().value + "\"";
        } else {
            now = "the leader key " + leader_key + " is gone (the lease expired or was revoked)";
        }
        return make_error(Errc::conflict, "not the leader any more: candidate \"" + id +
                                              "\" won at revision " + std::to_string(*won) +
                                              ", but " + now + "; " + what +
                                              " refused, nothing written");
    }
};

EtcdStateStore::EtcdStateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EtcdStateStore::~EtcdStateStore() = default;

Result<std::shared_ptr<EtcdStateStore>> EtcdStateStore::open(
    EtcdOptions options, std::shared_ptr<EtcdLeaderElection> leadership) {
    auto client = store_detail::make_etcd_client(options);
    if (!client) return std::move(client).error();
    if (leadership && leadership->leader_key() != options.prefix + "leader") {
        return make_error(Errc::invalid_argument, "etcd store: the leader election uses the key " +
                                                      leadership->leader_key() +
                                                      ", outside the prefix " + options.prefix);
    }
    auto impl = std::make_unique<Impl>();
    impl->services = options.prefix + "services/";
    impl->options = std::move(options);
    impl->client = std::move(*client);
    impl->leadership = std::move(leadership);
    return std::shared_ptr<EtcdStateStore>(new EtcdStateStore(std::move(impl)));
}

std::string EtcdStateStore::key_of(const std::string& service) const {
    return impl_->services + service;
}

Result<std::optional<ServiceRecord>> EtcdStateStore::load(const std::string& service) {
    RangeRequest request;
    request.key = key_of(service);
    auto found = impl_->client->range(request);
    if (!found) return std::move(found).error();
    if (found->kvs.empty()) return std::optional<ServiceRecord>{};
    auto record = store_detail::decode_record_text(found->kvs.front().value);
    if (!record) return impl_->stored_value_error(request.key, record.error().message);
    if (record->name != service) {
        return impl_->stored_value_error(request.key,
                                         "the stored record is named \"" + record->name + "\"");
    }
    return std::optional<ServiceRecord>{std::move(record).value()};
}

Status EtcdStateStore::save(const ServiceRecord& record) {
    if (record.name.empty()) return make_error(Errc::invalid_argument, "a record needs a name");
    TxnOp put{TxnOp::Kind::put, key_of(record.name), store_detail::encode_record_text(record), 0};
    return impl_->write(put, "saving service \"" + record.name + "\"");
}

Status EtcdStateStore::erase(const std::string& service) {
    TxnOp remove{TxnOp::Kind::delete_key, key_of(service), {}, 0};
    return impl_->write(remove, "erasing service \"" + service + "\"");
}

Result<std::vector<std::string>> EtcdStateStore::list() {
    std::vector<std::string> names;
    RangeRequest page;
    page.key = impl_->services;
    page.range_end = store_detail::prefix_end(impl_->services);
    page.limit = static_cast<std::int64_t>(impl_->options.page_size);
    page.keys_only = true;
    for (;;) {
        auto got = impl_->client->range(page);
        if (!got) return std::move(got).error();
        // Every page at the first page's revision: one consistent list.
        if (page.revision == 0) page.revision = got->revision;
        for (const auto& kv : got->kvs) names.push_back(kv.key.substr(impl_->services.size()));
        if (!got->more || got->kvs.empty()) break;
        page.key = got->kvs.back().key + '\0';  // the first key after the last one read
    }
    return names;
}

}  // namespace meshorch
