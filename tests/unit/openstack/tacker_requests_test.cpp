// The request bodies against Tacker's own API reference and documentation samples
// (../shared/data/tacker, see SOURCE.md).
#include "tacker/lcm_requests.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

namespace meshorch::tacker {
namespace {

boost::json::object sample(const std::string& relative) {
    std::ifstream in(std::string(MESHORCH_SHARED_DIR) + "/data/tacker/" + relative);
    EXPECT_TRUE(in) << relative;
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str()).as_object();
}

VnfRequest vm_request() {
    VnfRequest r;
    r.name = "bookinfo-ratings-v1";
    r.service = "bookinfo";
    r.namespace_ = "bookinfo";
    r.microservice = "ratings";
    r.version = "v1";
    r.substrate = Substrate::vm;
    r.package.vnfd_id = "da459819-a2eb-442b-b9a2-0c1c02466baf";
    r.package.flavour_id = "simple";
    r.instances = 2;
    return r;
}

openstack::TackerConfig config() {
    openstack::TackerConfig c;
    c.vim_ids.vm = "03e608b2-e7d4-44fa-bd84-74fb24be3ed5";
    c.vim_ids.container = "290ae639-5b47-42b6-b1b0-c1623f6d856a";
    return c;
}

// The members `ours` and the sample both have must have the same JSON type.
void expect_same_types(const boost::json::object& ours, const boost::json::object& theirs) {
    for (const auto& [key, value] : ours) {
        if (auto it = theirs.find(key); it != theirs.end()) {
            EXPECT_EQ(value.kind(), it->value().kind()) << key;
        }
    }
}

TEST(CreateVnfRequest, MatchesTheApiReferenceShape) {
    auto ours = create_vnf_request(vm_request());
    auto theirs = sample("tacker-api-ref/v2/vnflcm/create-vnf-instance-request.json");
    for (const auto& [key, value] : theirs) EXPECT_TRUE(ours.contains(key)) << key;
    expect_same_types(ours, theirs);
    EXPECT_EQ(ours.at("vnfdId"), "da459819-a2eb-442b-b9a2-0c1c02466baf");
    EXPECT_EQ(ours.at("vnfInstanceName"), "bookinfo-ratings-v1");
    const auto& md = ours.at("metadata").as_object();
    EXPECT_EQ(md.at("meshorch.io/service"), "bookinfo");
    EXPECT_EQ(md.at("meshorch.io/microservice"), "ratings");
    EXPECT_EQ(md.at("meshorch.io/version"), "v1");
}

TEST(InstantiateVnfRequest, OpenStackVimLikeTheApiReference) {
    auto ours = instantiate_vnf_request(vm_request(), config());
    ASSERT_TRUE(ours) << ours.error().message;
    auto theirs = sample("tacker-api-ref/v2/vnflcm/instantiate-vnf-instance-request.json");
    expect_same_types(*ours, theirs);
    EXPECT_EQ(ours->at("flavourId"), theirs.at("flavourId"));
    // Two instances: the level with two VNFCs (Tacker derives the count from the level).
    EXPECT_EQ(ours->at("instantiationLevelId"), "instantiation_level_2");
    const auto& ours_vim = ours->at("vimConnectionInfo").as_object();
    const auto& their_vim = theirs.at("vimConnectionInfo").as_object();
    ASSERT_EQ(ours_vim.size(), 1u);
    const auto& ov = ours_vim.begin()->value().as_object();
    const auto& tv = their_vim.at("vim1").as_object();
    EXPECT_EQ(ov.at("vimId"), tv.at("vimId"));
    EXPECT_EQ(ov.at("vimType"), tv.at("vimType"));
    EXPECT_FALSE(ours->contains("additionalParams"));
}

TEST(InstantiateVnfRequest, PackageLevelAndExtraParamsGoThrough) {
    auto r = vm_request();
    r.package.instantiation_level = "instantiation_level_1";
    r.package.extra_params = {{"lcm-operation-user-data", "./UserData/userdata_default.py"},
                              {"lcm-operation-user-data-class", "DefaultUserData"}};
    auto ours = instantiate_vnf_request(r, config());
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->at("instantiationLevelId"), "instantiation_level_1");
    EXPECT_EQ(ours->at("additionalParams").as_object(), r.package.extra_params);
    auto c = config();
    c.instantiation_level_template.clear();
    auto no_level = instantiate_vnf_request(vm_request(), c);
    ASSERT_TRUE(no_level);
    EXPECT_FALSE(no_level->contains("instantiationLevelId"));
}

TEST(InstantiateVnfRequest, KubernetesVimLikeTheCnfDocs) {
    auto r = vm_request();
    r.substrate = Substrate::container;
    r.package.instantiation_level = "instantiation_level_1";
    r.package.extra_params = {
        {"lcm-kubernetes-def-files", boost::json::array{"Files/kubernetes/deployment.yaml"}}};
    auto ours = instantiate_vnf_request(r, config());
    ASSERT_TRUE(ours) << ours.error().message;
    auto theirs = sample("tacker-docs-extracted/v2_cnf_instantiate_kubernetes_registered_vim.json");
    expect_same_types(*ours, theirs);
    const auto& ov = ours->at("vimConnectionInfo").as_object().begin()->value().as_object();
    const auto& tv = theirs.at("vimConnectionInfo").at("vim1").as_object();
    EXPECT_EQ(ov.at("vimId"), tv.at("vimId"));
    EXPECT_EQ(ov.at("vimType"), tv.at("vimType"));
    const auto& params = ours->at("additionalParams").as_object();
    EXPECT_EQ(params.at("lcm-kubernetes-def-files"),
              theirs.at("additionalParams").at("lcm-kubernetes-def-files"));
    EXPECT_EQ(params.at("namespace"), "bookinfo");
}

TEST(InstantiateVnfRequest, KubernetesDefFilesDefaultFromConfig) {
    auto r = vm_request();
    r.substrate = Substrate::container;
    auto c = config();
    c.default_kubernetes_def_files = {"Files/kubernetes/a.yaml", "Files/kubernetes/b.yaml"};
    auto ours = instantiate_vnf_request(r, c);
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->at("additionalParams").at("lcm-kubernetes-def-files"),
              (boost::json::array{"Files/kubernetes/a.yaml", "Files/kubernetes/b.yaml"}));
}

TEST(InstantiateVnfRequest, RefusesWhatTackerWouldRefuse) {
    auto no_flavour = vm_request();
    no_flavour.package.flavour_id.clear();
    auto r = instantiate_vnf_request(no_flavour, config());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("flavourId"), std::string::npos);
    auto c = config();
    c.vim_ids.container.clear();
    auto container = vm_request();
    container.substrate = Substrate::container;
    auto r2 = instantiate_vnf_request(container, c);
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().message.find("vim_ids.container"), std::string::npos);
}

TEST(TaskRequests, MatchTheApiReferenceShapes) {
    auto terminate = terminate_vnf_request();
    auto their_terminate = sample("tacker-api-ref/v2/vnflcm/terminate-vnf-instance-request.json");
    expect_same_types(terminate, their_terminate);
    EXPECT_EQ(terminate.at("terminationType"), "FORCEFUL");

    auto scale = scale_vnf_request("VDU1_scale", true, 1);
    auto their_scale = sample("tacker-api-ref/v2/vnflcm/scale-vnf-instance-request.json");
    expect_same_types(scale, their_scale);
    for (const char* key : {"type", "aspectId", "numberOfSteps"}) {
        EXPECT_EQ(scale.at(key), their_scale.at(key)) << key;
    }
    EXPECT_EQ(scale_vnf_request("a", false, 3).at("type"), "SCALE_IN");

    auto heal = heal_vnf_request({"c51c98dc-b918-4681-a9eb-4f32a57c4e08"}, "healing");
    auto their_heal = sample("tacker-api-ref/v2/vnflcm/heal-vnf-instance-request.json");
    expect_same_types(heal, their_heal);
    EXPECT_EQ(heal.at("vnfcInstanceId"), their_heal.at("vnfcInstanceId"));
    EXPECT_EQ(heal.at("cause"), their_heal.at("cause"));
    EXPECT_FALSE(heal_vnf_request({}, "").contains("vnfcInstanceId"));

    auto subscription = subscription_request("http://127.0.0.1/");
    auto their_subscription = sample("tacker-api-ref/v2/vnflcm/create-subscription-request.json");
    EXPECT_EQ(subscription.at("callbackUri"), their_subscription.at("callbackUri"));
}

}  // namespace
}  // namespace meshorch::tacker
