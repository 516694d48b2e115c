// The orchestrator's mesh settings reach the VM bootstrap bundles it installs.
#include "engine_support.hpp"

namespace meshorch::engine_test {
namespace {

TEST(EngineBundle, TheVmsHostsFileMapsIstiodToTheConfiguredGateway) {
    OrchestratorOptions options = fast_options();
    options.istiod_ip = "192.0.2.10";
    options.mesh_id = "mesh-east";
    Harness h(fast_sim(), options);
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    const auto proxies = h.world->snapshot().proxies;
    ASSERT_FALSE(proxies.empty());
    for (const auto& p : proxies) {
        EXPECT_NE(p.bundle.files.at("hosts").find("192.0.2.10 istiod.istio-system.svc"),
                  std::string::npos)
            << p.bundle.files.at("hosts");
        EXPECT_NE(p.bundle.files.at("cluster.env").find("ISTIO_META_MESH_ID='mesh-east'"),
                  std::string::npos);
    }
}

}  // namespace
}  // namespace meshorch::engine_test
