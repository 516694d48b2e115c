#include "openstack/service_catalog.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace meshorch::openstack {
namespace {

ServiceCatalog sample() {
    return parse_catalog(boost::json::parse(R"([
      {"type": "compute", "name": "nova", "endpoints": [
        {"interface": "public", "region_id": "RegionOne", "url": "http://nova-one/v2.1"},
        {"interface": "public", "region_id": "RegionTwo", "url": "http://nova-two/v2.1"},
        {"interface": "internal", "region_id": "RegionTwo", "url": "http://nova-two-int/v2.1"},
        {"interface": "admin", "region": "RegionOne", "url": "http://nova-admin/v2.1"},
        {"interface": "public", "region_id": "RegionThree"}]},
      {"name": "typeless", "endpoints": []},
      "not an object",
      {"type": "nfv-orchestration", "name": "tacker", "endpoints": [
        {"interface": "public", "region_id": "RegionOne", "url": "http://tacker:9890"}]}
    ])")
                             .as_array());
}

TEST(ServiceCatalog, SkipsEntriesWithoutTypeOrUrl) {
    auto c = sample();
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].endpoints.size(), 4u);
}

TEST(ServiceCatalog, SelectsByTypeInterfaceAndRegion) {
    auto c = sample();
    EXPECT_EQ(*select_endpoint(c, "compute", "public", "RegionOne"), "http://nova-one/v2.1");
    EXPECT_EQ(*select_endpoint(c, "compute", "public", "RegionTwo"), "http://nova-two/v2.1");
    EXPECT_EQ(*select_endpoint(c, "compute", "internal", "RegionTwo"), "http://nova-two-int/v2.1");
    EXPECT_EQ(*select_endpoint(c, "compute", "admin", "RegionOne"), "http://nova-admin/v2.1");
    EXPECT_EQ(*select_endpoint(c, "compute", "public", ""), "http://nova-one/v2.1");
    EXPECT_EQ(*select_endpoint(c, "nfv-orchestration", "public", ""), "http://tacker:9890");
}

TEST(ServiceCatalog, MissingEndpointSaysWhatIsOffered) {
    auto c = sample();
    auto r = select_endpoint(c, "compute", "internal", "RegionOne");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_NE(r.error().message.find("internal endpoint of service type \"compute\" in region "
                                     "RegionOne"),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("internal@RegionTwo"), std::string::npos);
    auto none = select_endpoint(c, "image", "public", "");
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("it lists: compute, nfv-orchestration"), std::string::npos)
        << none.error().message;
}

}  // namespace
}  // namespace meshorch::openstack
