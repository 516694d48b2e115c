// MemoryStateStore keeps exactly what was saved last, however the record changed in between
// (it updates its copy object by object instead of copying every manifest on every save).
#include <meshorch/store.hpp>

#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshorch {
namespace {

Object config_map(const std::string& name, boost::json::object data) {
    return make_object(boost::json::object{
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", boost::json::object{{"name", name}, {"namespace", "shop"}}},
        {"data", std::move(data)}});
}

// Every object, member order and number kinds included.
std::vector<std::string> serialized(const ObjectSet& set) {
    std::vector<std::string> out;
    for (const auto& [key, object] : set) {
        out.push_back(key.to_string() + " " + boost::json::serialize(object.manifest));
    }
    return out;
}

ServiceRecord load(MemoryStateStore& store) {
    auto loaded = store.load("shop");
    EXPECT_TRUE(loaded.ok() && *loaded);
    return loaded.ok() && *loaded ? **loaded : ServiceRecord{};
}

TEST(MemoryStateStore, EverySaveIsLoadedBackExactly) {
    MemoryStateStore store;
    ServiceRecord r;
    r.name = "shop";
    r.applied_objects.put(config_map("a", {{"x", "1"}}));
    r.applied_objects.put(config_map("b", {{"x", "1"}}));
    r.applied_objects.put(config_map("c", {{"x", "1"}}));
    ASSERT_TRUE(store.save(r).ok());
    EXPECT_EQ(serialized(load(store).applied_objects), serialized(r.applied_objects));

    // One changed, one removed, one added, one whose members only changed order, one whose
    // number changed kind (int64 -> uint64): each must come back as saved.
    r.applied_objects.put(config_map("a", {{"x", "2"}}));
    r.applied_objects.erase(config_map("b", {}).key);
    r.applied_objects.put(config_map("d", {{"y", 1}}));
    r.applied_objects.put(make_object(
        boost::json::object{{"kind", "ConfigMap"},
                            {"apiVersion", "v1"},
                            {"metadata", boost::json::object{{"namespace", "shop"}, {"name", "c"}}},
                            {"data", boost::json::object{{"x", "1"}}}}));
    r.vnfs["shop-cart-v1"] = "id-1";
    r.namespace_created = true;
    ASSERT_TRUE(store.save(r).ok());
    auto loaded = load(store);
    EXPECT_EQ(serialized(loaded.applied_objects), serialized(r.applied_objects));
    EXPECT_EQ(loaded.vnfs, r.vnfs);
    EXPECT_TRUE(loaded.namespace_created);

    r.applied_objects.put(config_map("d", {{"y", std::uint64_t{1}}}));
    r.applied_objects.put(config_map("e", {{"z", -0.0}}));
    ASSERT_TRUE(store.save(r).ok());
    r.applied_objects.put(config_map("e", {{"z", 0.0}}));
    ASSERT_TRUE(store.save(r).ok());
    loaded = load(store);
    EXPECT_EQ(serialized(loaded.applied_objects), serialized(r.applied_objects));
    EXPECT_TRUE(loaded.applied_objects.find(config_map("d", {}).key)
                    ->manifest.at("data")
                    .at("y")
                    .is_uint64());

    // Everything removed, then a record that shares nothing with the stored one.
    ServiceRecord fresh;
    fresh.name = "shop";
    fresh.applied_objects.put(config_map("z", {{"k", "v"}}));
    ASSERT_TRUE(store.save(fresh).ok());
    loaded = load(store);
    EXPECT_EQ(serialized(loaded.applied_objects), serialized(fresh.applied_objects));
    EXPECT_TRUE(loaded.vnfs.empty());
    EXPECT_FALSE(loaded.namespace_created);
}

TEST(MemoryStateStore, ALoadedRecordIsACopy) {
    MemoryStateStore store;
    ServiceRecord r;
    r.name = "shop";
    r.applied_objects.put(config_map("a", {{"x", "1"}}));
    ASSERT_TRUE(store.save(r).ok());
    auto first = load(store);
    first.applied_objects.put(config_map("a", {{"x", "changed by the caller"}}));
    r.applied_objects.put(config_map("b", {}));  // the saved record changes after the save
    EXPECT_EQ(
        serialized(load(store).applied_objects),
        std::vector<std::string>{"ConfigMap shop/a " +
                                 boost::json::serialize(config_map("a", {{"x", "1"}}).manifest)});
}

}  // namespace
}  // namespace meshorch
