#include "plan/manifest_diff.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace meshorch::plan_detail {
namespace {

namespace json = boost::json;

bool same(std::string_view a, std::string_view b) {
    const auto va = json::parse(a);
    const auto vb = json::parse(b);
    const bool ours = json_equal(va, vb);
    EXPECT_EQ(ours, va == vb) << a << " vs " << b << ": must agree with boost::json";
    EXPECT_EQ(ours, json_equal(vb, va)) << "must be symmetric";
    return ours;
}

TEST(JsonEqual, MeansWhatBoostJsonEqualityMeans) {
    EXPECT_TRUE(
        same(R"({"a":1,"b":{"c":[1,2,{"d":"x"}]}})", R"({"a":1,"b":{"c":[1,2,{"d":"x"}]}})"));
    EXPECT_TRUE(same(R"({"a":1,"b":2,"c":3})", R"({"c":3,"a":1,"b":2})"));  // key order
    EXPECT_TRUE(same(R"({"a":1,"b":2,"c":3})", R"({"a":1,"c":3,"b":2})"));  // order differs late
    EXPECT_FALSE(same(R"({"a":1,"b":2})", R"({"a":1,"c":2})"));
    EXPECT_FALSE(same(R"({"a":1})", R"({"a":1,"b":null})"));
    EXPECT_FALSE(same(R"([1,2])", R"([2,1])"));
    EXPECT_FALSE(same(R"({"a":[1]})", R"({"a":[1,1]})"));
    EXPECT_FALSE(same(R"({"a":"1"})", R"({"a":1})"));
    EXPECT_FALSE(same(R"({"a":1})", R"({"a":1.0})"));
    EXPECT_TRUE(same(R"({"a":18446744073709551615})", R"({"a":18446744073709551615})"));
    EXPECT_FALSE(same(R"({"a":{}})", R"({"a":[]})"));
    EXPECT_TRUE(same(R"(null)", R"(null)"));
    EXPECT_FALSE(same(R"(true)", R"(false)"));
    EXPECT_TRUE(json_equal(json::value(1), json::value(1u)));
    EXPECT_FALSE(json_equal(json::value(-1), json::value(18446744073709551615u)));
}

TEST(ChangedFields, TwoLevelsDeep) {
    const auto a = json::parse(R"({"kind":"X","metadata":{"name":"n","labels":{"a":"1"}},
                                    "spec":{"http":[1],"hosts":["h"]}})")
                       .as_object();
    const auto b = json::parse(R"({"kind":"X","metadata":{"name":"n","labels":{"a":"2"}},
                                    "spec":{"http":[2],"hosts":["h"],"gateways":[]},
                                    "status":{}})")
                       .as_object();
    EXPECT_EQ(changed_fields(a, b), (std::vector<std::string>{"metadata.labels", "spec.http",
                                                              "spec.gateways", "status"}));
    EXPECT_TRUE(changed_fields(a, a).empty());
}

TEST(JoinLimited, CountsWhatItLeavesOut) {
    EXPECT_EQ(join_limited({"a", "b"}), "a, b");
    EXPECT_EQ(join_limited({"a", "b", "c", "d", "e", "f"}), "a, b, c, d +2 more");
}

TEST(SubsetChanges, AddedRemovedChanged) {
    const auto before = json::parse(R"([{"name":"v1","labels":{"version":"v1"}},
                                         {"name":"v2","labels":{"version":"v2"}}])")
                            .as_array();
    const auto after = json::parse(R"([{"name":"v3","labels":{"version":"v3"}},
                                        {"name":"v2","labels":{"version":"v2b"}}])")
                           .as_array();
    const auto c = subset_changes(&before, &after);
    EXPECT_EQ(c.added, std::vector<std::string>{"v3"});
    EXPECT_EQ(c.removed, std::vector<std::string>{"v1"});
    EXPECT_EQ(c.changed, std::vector<std::string>{"v2"});
    EXPECT_EQ(subset_changes(nullptr, &after).added, (std::vector<std::string>{"v3", "v2"}));
}

}  // namespace
}  // namespace meshorch::plan_detail
