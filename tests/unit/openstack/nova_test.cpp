#include "openstack/nova.hpp"

#include <gtest/gtest.h>

namespace meshorch::openstack {
namespace {

const char* server_body = R"({"server": {
  "id": "s-1", "name": "vdu1", "status": "ACTIVE",
  "addresses": {
    "mgmt": [{"version": 4, "addr": "192.168.0.5", "OS-EXT-IPS:type": "fixed"}],
    "data": [
      {"version": 6, "addr": "fd00::5", "OS-EXT-IPS:type": "fixed"},
      {"version": 4, "addr": "203.0.113.9", "OS-EXT-IPS:type": "floating"},
      {"version": 4, "addr": "10.0.0.5", "OS-EXT-IPS:type": "fixed"}]}}})";

TEST(NovaServer, ParsesAddressesInOrder) {
    auto s = parse_server(server_body);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->id, "s-1");
    EXPECT_EQ(s->status, "ACTIVE");
    ASSERT_EQ(s->addresses.size(), 4u);
    EXPECT_EQ(s->addresses[0].network, "mgmt");
    EXPECT_EQ(s->addresses[1].ip_version, 6);
    EXPECT_EQ(s->addresses[2].type, "floating");
}

TEST(NovaServer, PicksTheAddressOnTheConfiguredNetworkElseFirstFixedIpv4) {
    auto s = *parse_server(server_body);
    EXPECT_EQ(pick_address(s, ""), "192.168.0.5");
    EXPECT_EQ(pick_address(s, "data"), "10.0.0.5");  // fixed IPv4 before floating and IPv6
    EXPECT_EQ(pick_address(s, "mgmt"), "192.168.0.5");
    EXPECT_EQ(pick_address(s, "other"), "");
    auto building = *parse_server(R"({"server": {"id": "s-2", "status": "BUILD",
                                                 "addresses": {}}})");
    EXPECT_EQ(pick_address(building, ""), "");
    auto v6only = *parse_server(R"({"server": {"id": "s-3", "addresses":
        {"n": [{"version": 6, "addr": "fd00::7"}]}}})");
    EXPECT_EQ(pick_address(v6only, ""), "");
    EXPECT_EQ(pick_address(v6only, "n"), "fd00::7");
}

TEST(NovaServer, MalformedBodies) {
    for (const char* bad : {"", "{", "[]", R"({"servers": []})", R"({"server": {"name": "x"}})",
                            R"({"server": {"id": 7}})"}) {
        auto s = parse_server(bad);
        ASSERT_FALSE(s) << bad;
        EXPECT_EQ(s.error().code, Errc::backend);
        EXPECT_NE(s.error().message.find("malformed response from Nova"), std::string::npos);
    }
    // Odd entries inside addresses are skipped, not fatal.
    auto odd = parse_server(R"({"server": {"id": "s", "addresses": {"n": "x", "m": [1, {}]}}})");
    ASSERT_TRUE(odd);
    EXPECT_TRUE(odd->addresses.empty());
}

TEST(NovaServer, ComputeUrlAddsTheApiVersionOnlyWhenMissing) {
    EXPECT_EQ(compute_url("http://nova:8774/v2.1", "/servers/x"),
              "http://nova:8774/v2.1/servers/x");
    EXPECT_EQ(compute_url("http://nova:8774/v2.1/", "/servers/x"),
              "http://nova:8774/v2.1/servers/x");
    EXPECT_EQ(compute_url("http://nova:8774/v2.1/p-1", "/servers/x"),
              "http://nova:8774/v2.1/p-1/servers/x");
    EXPECT_EQ(compute_url("http://nova:8774", "/servers/x"), "http://nova:8774/v2.1/servers/x");
    EXPECT_EQ(compute_url("http://h/compute/", "/servers/x"), "http://h/compute/v2.1/servers/x");
}

}  // namespace
}  // namespace meshorch::openstack
