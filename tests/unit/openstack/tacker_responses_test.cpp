// Parsing Tacker's responses: the API reference samples (../shared/data/tacker) and a table of
// malformed bodies that must become clear errors.
#include "tacker/lcm_responses.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace meshorch::tacker {
namespace {

std::string sample(const std::string& relative) {
    std::ifstream in(std::string(MESHORCH_SHARED_DIR) + "/data/tacker/" + relative);
    EXPECT_TRUE(in) << relative;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(VnfInstanceResponse, InstantiatedSampleYieldsServersAndHealIds) {
    auto vnf = parse_vnf_instance_body(
        sample("tacker-api-ref/v2/vnflcm/show-vnf-instance-response.json"), "test");
    ASSERT_TRUE(vnf) << vnf.error().message;
    EXPECT_EQ(vnf->id, "99e2bae9-45d3-4ca1-83f4-34d44ca25bee");
    EXPECT_TRUE(vnf->instantiated);
    ASSERT_EQ(vnf->vnfcs.size(), 2u);
    EXPECT_EQ(vnf->vnfcs[0].resource_id, "edda96a2-b4c2-48ca-a06f-31976f9d9653");
    EXPECT_EQ(vnf->vnfcs[0].resource_type, "OS::Nova::Server");
    EXPECT_EQ(vnf->vnfcs[1].resource_id, "66a84389-8234-4394-929f-68e0ea77fde1");
    EXPECT_TRUE(is_vm(*vnf, vnf->vnfcs[0]));
    EXPECT_EQ(vnf->vim_types.at("vim1"), "ETSINFV.OPENSTACK_KEYSTONE.V_3");
    ASSERT_FALSE(vnf->scale_status.empty());
    EXPECT_EQ(vnf->scale_status[0].aspect_id, "VDU1_scale");
    EXPECT_FALSE(vnf->vnfcs[0].vnfc_info_id.empty());  // vnfcInfo links back to the resource
}

TEST(VnfInstanceResponse, CreatedSampleIsNotInstantiated) {
    auto vnf = parse_vnf_instance_body(
        sample("tacker-api-ref/v2/vnflcm/create-vnf-instance-response.json"), "test");
    ASSERT_TRUE(vnf) << vnf.error().message;
    EXPECT_FALSE(vnf->instantiated);
    EXPECT_EQ(vnf->name, "sample1");
    EXPECT_TRUE(vnf->vnfcs.empty());
}

TEST(VnfInstanceResponse, ListSample) {
    auto list = parse_vnf_instance_list(
        sample("tacker-api-ref/v2/vnflcm/list-vnf-instance-response.json"), "test");
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_FALSE(list->empty());
}

TEST(VnfInstanceResponse, KubernetesVnfcsArePods) {
    auto vnf = parse_vnf_instance_body(R"({"id": "v", "instantiationState": "INSTANTIATED",
      "vimConnectionInfo": {"vim1": {"vimId": "k", "vimType": "ETSINFV.KUBERNETES.V_1"}},
      "instantiatedVnfInfo": {"flavourId": "simple", "vnfState": "STARTED",
        "vnfcResourceInfo": [
          {"id": "web-7d4f9c7b5-abcde", "vduId": "VDU1", "computeResource": {
            "resourceId": "web-7d4f9c7b5-abcde", "vimLevelResourceType": "Deployment",
            "vimConnectionId": "vim1"}}]}})",
                                       "test");
    ASSERT_TRUE(vnf) << vnf.error().message;
    ASSERT_EQ(vnf->vnfcs.size(), 1u);
    EXPECT_FALSE(is_vm(*vnf, vnf->vnfcs[0]));
    EXPECT_EQ(vnf->vnfcs[0].resource_id, "web-7d4f9c7b5-abcde");
}

TEST(VnfInstanceResponse, MalformedBodiesAreClearErrors) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "invalid JSON"},
        {R"({"id": "v", "instantiationState": "INSTANTIA)", "invalid JSON"},
        {"[1]", "expected a JSON object"},
        {R"({"instantiationState": "INSTANTIATED"})", "missing string field \"id\""},
        {R"({"id": "v"})", "missing string field \"instantiationState\""},
        {R"({"id": "v", "instantiationState": "HALF"})", "unknown instantiationState"},
        {R"({"id": "v", "instantiationState": "INSTANTIATED",
             "instantiatedVnfInfo": {"vnfcResourceInfo": [{"id": "c"}]}})",
         "has no computeResource"},
        {R"({"id": "v", "instantiationState": "INSTANTIATED",
             "instantiatedVnfInfo": {"vnfcResourceInfo": [{"id": "c", "computeResource": {}}]}})",
         "missing string field \"resourceId\""},
        {R"({"id": "v", "instantiationState": "INSTANTIATED",
             "instantiatedVnfInfo": {"vnfcResourceInfo": [7]}})",
         "not an object"},
    };
    for (const auto& [body, says] : cases) {
        auto vnf = parse_vnf_instance_body(body, "Tacker GET /vnflcm/v2/vnf_instances/v");
        ASSERT_FALSE(vnf) << body;
        EXPECT_EQ(vnf.error().code, Errc::backend);
        EXPECT_NE(vnf.error().message.find(
                      "malformed response from Tacker GET /vnflcm/v2/vnf_instances/v"),
                  std::string::npos);
        EXPECT_NE(vnf.error().message.find(says), std::string::npos) << vnf.error().message;
    }
    EXPECT_FALSE(parse_vnf_instance_list(R"({"id": "v"})", "t"));
    EXPECT_FALSE(parse_vnf_instance_list(R"([{"id": "v"}])", "t"));
}

TEST(LcmOpOccResponse, CompletedSample) {
    auto op = parse_lcm_op_occ(
        sample("tacker-api-ref/v2/vnflcm/show-vnflcm-operation-occurrence-response.json"), "t");
    ASSERT_TRUE(op) << op.error().message;
    EXPECT_EQ(op->state, LcmState::completed);
    EXPECT_EQ(op->operation, "INSTANTIATE");
    EXPECT_EQ(op->vnf_id, "e00f0d64-d7a3-459b-8a51-b402d5344296");
    EXPECT_TRUE(op->error.empty());
}

TEST(LcmOpOccResponse, FailedSampleCarriesTheProblemDetail) {
    auto op = parse_lcm_op_occ(
        sample("tacker-api-ref/v2/vnflcm/fail-vnflcm-operation-occurrence-response.json"), "t");
    ASSERT_TRUE(op) << op.error().message;
    EXPECT_EQ(op->id, "9b475d28-5acb-4c3b-95dd-fec2b2319643");
    EXPECT_EQ(op->state, LcmState::failed);
    EXPECT_EQ(op->error, "instantiate_end failed: b'test instantiate_end error'");
}

TEST(LcmOpOccResponse, EveryStateMaps) {
    const std::vector<std::pair<const char*, LcmState>> states = {
        {"STARTING", LcmState::starting},       {"PROCESSING", LcmState::processing},
        {"COMPLETED", LcmState::completed},     {"FAILED_TEMP", LcmState::failed_temp},
        {"FAILED", LcmState::failed},           {"ROLLING_BACK", LcmState::rolling_back},
        {"ROLLED_BACK", LcmState::rolled_back},
    };
    for (const auto& [text, state] : states) {
        auto s = parse_operation_state(text);
        ASSERT_TRUE(s) << text;
        EXPECT_EQ(*s, state);
        EXPECT_STREQ(to_string(state), text);
    }
    EXPECT_FALSE(parse_operation_state("completed"));
    EXPECT_FALSE(parse_operation_state(""));
}

TEST(LcmOpOccResponse, MalformedBodies) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{", "invalid JSON"},
        {R"({"vnfInstanceId": "v", "operation": "INSTANTIATE", "operationState": "COMPLETED"})",
         "\"id\""},
        {R"({"id": "o", "operation": "INSTANTIATE", "operationState": "COMPLETED"})",
         "\"vnfInstanceId\""},
        {R"({"id": "o", "vnfInstanceId": "v", "operationState": "COMPLETED"})", "\"operation\""},
        {R"({"id": "o", "vnfInstanceId": "v", "operation": "HEAL"})", "\"operationState\""},
        {R"({"id": "o", "vnfInstanceId": "v", "operation": "HEAL", "operationState": "DONE"})",
         "unknown operationState \"DONE\""},
    };
    for (const auto& [body, says] : cases) {
        auto op = parse_lcm_op_occ(body, "Tacker GET /vnflcm/v2/vnf_lcm_op_occs/o");
        ASSERT_FALSE(op) << body;
        EXPECT_EQ(op.error().code, Errc::backend);
        EXPECT_NE(op.error().message.find("malformed response"), std::string::npos);
        EXPECT_NE(op.error().message.find(says), std::string::npos) << op.error().message;
    }
}

TEST(Location, OpOccIdIsTheLastPathSegment) {
    EXPECT_EQ(*op_id_from_location("http://127.0.0.1:9890/vnflcm/v2/vnf_lcm_op_occs/9b47"), "9b47");
    EXPECT_EQ(*op_id_from_location("/vnflcm/v2/vnf_lcm_op_occs/9b47/"), "9b47");
    EXPECT_EQ(*op_id_from_location("https://t/vnflcm/v2/vnf_lcm_op_occs/ab-12?x=1"), "ab-12");
    for (const char* bad : {"", "9b47", "http://t/vnflcm/v2/vnf_instances/abc",
                            "http://t/vnflcm/v2/vnf_lcm_op_occs/"}) {
        auto r = op_id_from_location(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::backend);
    }
}

}  // namespace
}  // namespace meshorch::tacker
