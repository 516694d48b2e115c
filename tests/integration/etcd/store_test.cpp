// The etcd StateStore against a real etcd: what it stores, how it lists, and what its errors say.
#include "etcd_test_support.hpp"
#include "store/etcd_client.hpp"
#include "store/record_codec.hpp"
#include "unit/store/store_support.hpp"

#include <algorithm>
#include <random>

namespace meshorch::test {
namespace {

using namespace std::chrono_literals;
using store_detail::encode_record_text;

std::shared_ptr<EtcdStateStore> open_store(EtcdOptions options) {
    auto store = EtcdStateStore::open(std::move(options));
    if (!store) throw std::runtime_error(store.error().describe());
    return std::move(*store);
}

std::shared_ptr<store_detail::EtcdClient> raw_client(const Etcd& etcd) {
    store_detail::EtcdClientOptions o;
    o.endpoints = etcd.urls();
    auto client = store_detail::EtcdClient::create(o);
    if (!client) throw std::runtime_error(client.error().describe());
    return std::move(*client);
}

TEST(EtcdStore, AFullRecordRoundTripsUnderItsKey) {
    Etcd etcd;
    auto store = open_store(etcd.options());
    const ServiceRecord r = store_test::rich_record();

    ASSERT_TRUE(store->save(r).ok());
    auto back = store->load("bookinfo");
    ASSERT_TRUE(back.ok()) << back.error().describe();
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ(encode_record_text(**back), encode_record_text(r));
    EXPECT_EQ((*back)->applied_objects, r.applied_objects);
    EXPECT_EQ((*back)->token_expiry, r.token_expiry);

    // What etcd holds is the record's JSON text under <prefix>services/<name>.
    EXPECT_EQ(store->key_of("bookinfo"), "/meshorch/services/bookinfo");
    auto raw = raw_client(etcd)->range({"/meshorch/services/bookinfo", {}, 0, 0, false});
    ASSERT_TRUE(raw.ok()) << raw.error().describe();
    ASSERT_EQ(raw->kvs.size(), 1u);
    EXPECT_EQ(raw->kvs[0].value, encode_record_text(r));

    // A save replaces; erase removes; erasing again is fine; a missing record is nullopt.
    ServiceRecord changed = r;
    changed.vnfs["extra"] = "vnf-99";
    ASSERT_TRUE(store->save(changed).ok());
    EXPECT_EQ(store->load("bookinfo")->value().vnfs.at("extra"), "vnf-99");
    ASSERT_TRUE(store->erase("bookinfo").ok());
    EXPECT_TRUE(store->erase("bookinfo").ok());
    auto gone = store->load("bookinfo");
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
    EXPECT_FALSE(store->save(ServiceRecord{}).ok());  // a record needs a name
}

TEST(EtcdStore, ListsManyServicesSortedAcrossPagesAndOnlyItsOwnKeys) {
    Etcd etcd;
    EtcdOptions options = etcd.options("/team-a/");
    options.page_size = 7;  // 60 names: nine pages
    auto store = open_store(options);
    std::vector<std::string> names;
    for (int i = 0; i < 60; ++i) names.push_back("svc-" + std::to_string(1000 + i * 37 % 1000));
    std::vector<std::string> shuffled = names;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
    for (const auto& name : shuffled) {
        ASSERT_TRUE(store->save(store_test::generation_record(name, 1)).ok()) << name;
    }
    // Neighbours that are not this store's services.
    auto raw = raw_client(etcd);
    ASSERT_TRUE(raw->put("/team-a/leader", "someone").ok());
    ASSERT_TRUE(raw->put("/team-a/servicesX", "not a service").ok());
    ASSERT_TRUE(raw->put("/team-b/services/svc-0", "another team's").ok());

    auto listed = store->list();
    ASSERT_TRUE(listed.ok()) << listed.error().describe();
    std::sort(names.begin(), names.end());
    EXPECT_EQ(*listed, names);

    auto empty = open_store(etcd.options("/nobody/"))->list();
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
}

TEST(EtcdStore, AStoredValueThatIsNotARecordIsAnIoErrorNamingTheKey) {
    Etcd etcd;
    auto store = open_store(etcd.options());
    auto raw = raw_client(etcd);
    ASSERT_TRUE(raw->put("/meshorch/services/broken", "{not json").ok());
    ASSERT_TRUE(raw->put("/meshorch/services/renamed",
                         encode_record_text(store_test::generation_record("original", 1)))
                    .ok());

    auto broken = store->load("broken");
    ASSERT_FALSE(broken.ok());
    EXPECT_EQ(broken.error().code, Errc::io);
    EXPECT_NE(broken.error().message.find("\"/meshorch/services/broken\""), std::string::npos)
        << broken.error().message;

    auto renamed = store->load("renamed");
    ASSERT_FALSE(renamed.ok());
    EXPECT_EQ(renamed.error().code, Errc::io);
    EXPECT_NE(renamed.error().message.find("/meshorch/services/renamed"), std::string::npos);
    EXPECT_NE(renamed.error().message.find("\"original\""), std::string::npos)
        << renamed.error().message;
}

TEST(EtcdStore, AStoppedEtcdIsTransientAndTheStoreWorksAgainOnceItIsBack) {
    Etcd etcd;
    auto store = open_store(etcd.options());
    const ServiceRecord r = store_test::generation_record("payments", 3);
    ASSERT_TRUE(store->save(r).ok());

    etcd.kill_member(0);
    const auto before = std::chrono::steady_clock::now();
    auto load = store->load("payments");
    ASSERT_FALSE(load.ok());
    EXPECT_EQ(load.error().code, Errc::transient) << load.error().describe();
    EXPECT_NE(load.error().message.find(etcd.url()), std::string::npos) << load.error().message;
    Status save = store->save(store_test::generation_record("payments", 4));
    ASSERT_FALSE(save.ok());
    EXPECT_EQ(save.error().code, Errc::transient);
    EXPECT_FALSE(store->list().ok());
    // Refused connections fail at once, not after the call timeout.
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);

    etcd.restart_exited_members();
    wait_until([&] { return store->load("payments").ok(); }, 15s, 50ms);
    auto back = store->load("payments");
    ASSERT_TRUE(back.ok()) << back.error().describe();
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ(store_test::generation_of(**back), 3);  // the failed save wrote nothing
    ASSERT_TRUE(store->save(store_test::generation_record("payments", 5)).ok());
    EXPECT_EQ(store_test::generation_of(store->load("payments")->value()), 5);
}

TEST(EtcdStore, SpeaksTlsAndVerifiesTheMembersCertificate) {
    TempDir pki;
    Etcd etcd(1, pki.path());
    ASSERT_EQ(etcd.url().rfind("https://", 0), 0u);
    EtcdOptions options = etcd.options();
    options.ca_file = pki.path() + "/ca.pem";
    auto store = open_store(options);
    const Status saved = store->save(store_test::generation_record("secure", 1));
    ASSERT_TRUE(saved.ok()) << saved.error().describe();
    auto back = store->load("secure");
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_TRUE(back->has_value());

    // A CA that did not sign the member's certificate: refused, and the message says why.
    options.ca_file = pki.path() + "/other-ca.pem";
    auto untrusting = open_store(options)->load("secure");
    ASSERT_FALSE(untrusting.ok());
    EXPECT_EQ(untrusting.error().code, Errc::backend) << untrusting.error().describe();
    EXPECT_NE(untrusting.error().message.find("certificate"), std::string::npos)
        << untrusting.error().message;
}

TEST(EtcdStore, BadOptionsAreRefusedNamingTheOption) {
    EtcdOptions none;
    auto no_endpoint = EtcdStateStore::open(none);
    ASSERT_FALSE(no_endpoint.ok());
    EXPECT_EQ(no_endpoint.error().code, Errc::invalid_argument);
    EXPECT_NE(no_endpoint.error().message.find("endpoints"), std::string::npos);

    EtcdOptions short_lease;
    short_lease.endpoints = {"http://127.0.0.1:2379"};
    short_lease.lease_ttl = 500ms;
    auto refused = EtcdStateStore::open(short_lease);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("lease_ttl"), std::string::npos);

    EtcdOptions not_a_url;
    not_a_url.endpoints = {"127.0.0.1:2379"};
    auto bad_url = EtcdStateStore::open(not_a_url);
    ASSERT_FALSE(bad_url.ok());
    EXPECT_NE(bad_url.error().message.find("127.0.0.1:2379"), std::string::npos);
}

}  // namespace
}  // namespace meshorch::test
