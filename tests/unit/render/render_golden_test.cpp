// Golden files: the three sample specs of examples/specs, rendered with fixed VM addresses,
// byte for byte. MESHORCH_UPDATE_GOLDEN=1 rewrites them (review the diff like code).
#include "unit/render/crd_schema.hpp"
#include "unit/render/render_checks.hpp"
#include "unit/render/sample_specs.hpp"

#include <meshorch/document.hpp>
#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace meshorch::testing {

namespace {

const std::string source_dir = MESHORCH_SOURCE_DIR;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool update_golden() {
    const char* v = std::getenv("MESHORCH_UPDATE_GOLDEN");
    return v != nullptr && std::string(v) == "1";
}

// The first line where two texts differ, for a readable failure.
std::string first_difference(const std::string& expected, const std::string& actual) {
    std::istringstream a(expected), b(actual);
    std::string la, lb;
    for (int line = 1;; ++line) {
        const bool ga = static_cast<bool>(std::getline(a, la));
        const bool gb = static_cast<bool>(std::getline(b, lb));
        if (!ga && !gb) return "texts differ only in line endings";
        if (!ga || !gb || la != lb) {
            return "line " + std::to_string(line) + ":\n  golden:   " + (ga ? la : "<end>") +
                   "\n  rendered: " + (gb ? lb : "<end>");
        }
    }
}

class RenderGolden : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        const auto path = source_dir + "/examples/specs/" + GetParam() + ".yaml";
        auto loaded = load_spec_file(path);
        ASSERT_TRUE(loaded.ok()) << path << ": " << loaded.error().describe();
        spec_ = *loaded;
    }
    ServiceSpec spec_;
};

TEST_P(RenderGolden, MatchesGoldenFile) {
    const auto set = render(spec_, observed_vms(spec_));
    const std::string rendered = to_yaml_stream(set.manifests());
    const auto golden_path = source_dir + "/tests/golden/render/" + GetParam() + ".yaml";
    if (update_golden()) {
        std::ofstream(golden_path, std::ios::binary) << rendered;
        GTEST_SKIP() << "rewrote " << golden_path;
    }
    const std::string golden = read_file(golden_path);
    ASSERT_FALSE(golden.empty()) << golden_path << " is missing; run with MESHORCH_UPDATE_GOLDEN=1";
    EXPECT_TRUE(golden == rendered)
        << golden_path << " differs at " << first_difference(golden, rendered)
        << "\n(MESHORCH_UPDATE_GOLDEN=1 rewrites it)";
}

// An independent YAML parser reads the golden file as the objects rendered, in apply order.
TEST_P(RenderGolden, GoldenFileParsesAsTheRenderedObjects) {
    const auto set = render(spec_, observed_vms(spec_));
    const auto docs = YAML::LoadAll(to_yaml_stream(set.manifests()));
    ASSERT_EQ(docs.size(), set.size());
    std::size_t i = 0;
    for (const auto& [key, object] : set) {
        const auto& doc = docs[i++];
        EXPECT_EQ(doc["apiVersion"].as<std::string>(), key.api_version);
        EXPECT_EQ(doc["kind"].as<std::string>(), key.kind);
        EXPECT_EQ(doc["metadata"]["name"].as<std::string>(), key.name);
    }
}

// The YAML reads back (with meshorch's own parser) as exactly the JSON that was rendered:
// addresses stay strings, numbers stay numbers.
TEST_P(RenderGolden, YamlRoundTrips) {
    const auto set = render(spec_, observed_vms(spec_));
    for (const auto& manifest : set.manifests()) {
        auto parsed = parse_document(to_yaml(manifest));
        ASSERT_TRUE(parsed.ok()) << parsed.error().describe();
        EXPECT_EQ(parsed->value, manifest) << to_yaml(manifest);
    }
}

TEST_P(RenderGolden, EveryObjectValidates) {
    EXPECT_EQ(validate_objects(render_everything(spec_)), "");
    auto flipped = spec_;
    flipped.mesh.default_deny = !flipped.mesh.default_deny;
    EXPECT_EQ(validate_objects(render_everything(flipped)), "");
    EXPECT_TRUE(CrdCatalog::istio().unevaluated_rules().empty());
}

TEST_P(RenderGolden, Deterministic) {
    EXPECT_EQ(to_yaml_stream(render(spec_, observed_vms(spec_)).manifests()),
              to_yaml_stream(render(spec_, observed_vms(spec_)).manifests()));
}

INSTANTIATE_TEST_SUITE_P(Samples, RenderGolden,
                         ::testing::Values("bookinfo-hybrid", "all-containers", "all-vms"),
                         [](const ::testing::TestParamInfo<std::string>& sample) {
                             std::string name = sample.param;
                             for (auto& c : name) {
                                 if (c == '-') c = '_';
                             }
                             return name;
                         });

}  // namespace
}  // namespace meshorch::testing
