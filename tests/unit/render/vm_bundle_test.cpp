// The VM bootstrap bundle (include/meshorch/vm_bundle.hpp) against Istio's own goldens for
// `istioctl x workload entry configure` (../shared/data/istio/vmconfig-golden, copied from
// istio/istio istioctl/pkg/workload/testdata), against meshorch's goldens for a VM flavour of
// bookinfo (tests/golden/vm_bundle), and through a real bash sourcing cluster.env the way the
// proxy's start script does (`set -a; . cluster.env`).
//
// MESHORCH_UPDATE_GOLDEN=1 rewrites meshorch's goldens instead of comparing them.
#include <meshorch/model.hpp>
#include <meshorch/render.hpp>
#include <meshorch/vm_bundle.hpp>

#include "render/shell_quote.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace meshorch {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path istio_golden_dir = fs::path(MESHORCH_SHARED_DIR) / "data/istio/vmconfig-golden";
const fs::path our_golden_dir = fs::path(MESHORCH_SOURCE_DIR) / "tests/golden/vm_bundle";

// ---- helpers ----------------------------------------------------------------------------------

std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

class TempDir {
public:
    TempDir() {
        std::string t = (fs::temp_directory_path() / "meshorch-vmbundle-XXXXXX").string();
        if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
        path_ = t;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Runs a command (no user data in it: only temp paths), returns stdout; `status` gets pclose's.
std::string run(const std::string& command, int& status) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    status = pclose(p);
    return out;
}

// What the proxy's start script sees: a clean bash sources cluster.env with `set -a` (as
// istio-start.sh does) and prints every variable the file defined, NUL-separated.
std::map<std::string, std::string> source_cluster_env(const std::string& cluster_env) {
    TempDir dir;
    write_text(dir.path() / "cluster.env", cluster_env);
    write_text(dir.path() / "probe.sh", R"(cd "$1" || exit 99
declare -A __seen
for __k in $(compgen -v); do __seen[$__k]=1; done
set -a
. ./cluster.env
set +a
for __k in $(compgen -v); do
  [[ -n ${__seen[$__k]-} || $__k == __* ]] && continue
  printf '%s\0%s\0' "$__k" "${!__k}"
done
)");
    int status = 0;
    std::string out =
        run("env -i /bin/bash --noprofile --norc '" + (dir.path() / "probe.sh").string() + "' '" +
                dir.path().string() + "' 2>'" + (dir.path() / "stderr").string() + "'",
            status);
    std::string err = read_text(dir.path() / "stderr");
    EXPECT_EQ(status, 0) << err;
    EXPECT_EQ(err, "") << "bash complained while sourcing cluster.env";
    std::map<std::string, std::string> vars;
    std::size_t pos = 0;
    while (pos < out.size()) {
        auto k_end = out.find('\0', pos);
        auto v_end = out.find('\0', k_end + 1);
        if (k_end == std::string::npos || v_end == std::string::npos) break;
        vars[out.substr(pos, k_end - pos)] = out.substr(k_end + 1, v_end - k_end - 1);
        pos = v_end + 1;
    }
    return vars;
}

// YAML -> JSON the way Go's sigs.k8s.io/yaml reads it: quoted scalars are strings, plain ones
// may be numbers, booleans or null.
json::value to_json(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            json::object o;
            for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
            return o;
        }
        case YAML::NodeType::Sequence: {
            json::array a;
            for (const auto& item : n) a.push_back(to_json(item));
            return a;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            if (n.Tag() == "!") return json::string(s);
            if (s == "true") return true;
            if (s == "false") return false;
            if (s == "null" || s == "~") return nullptr;
            std::int64_t i = 0;
            auto r = std::from_chars(s.data(), s.data() + s.size(), i);
            if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) return i;
            return json::string(s);
        }
        default: return nullptr;
    }
}

json::object parse_yaml_object(const std::string& text) {
    auto v = to_json(YAML::Load(text));
    if (!v.is_object()) throw std::runtime_error("not a YAML mapping: " + text);
    return v.get_object();
}

std::string str(const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

// ---- Istio's cases ----------------------------------------------------------------------------

// From istio/istio istioctl/pkg/workload/workload_test.go: the flags of each golden run.
struct IstioCase {
    std::string dir;
    std::string revision;     // --revision
    std::string internal_ip;  // --internalIP
    std::string ingress_ip;   // --ingressIP
};

const IstioCase istio_cases[] = {
    {"vmconfig/ipv4", "rev-1", "10.10.10.10", "10.10.10.11"},
    {"vmconfig/ipv6", "rev-1", "fd00:10:96::1", "fd00:10:96::2"},
    {"vmconfig-nil-proxy-metadata", "", "10.10.10.10", ""},
};

std::string case_name(const testing::TestParamInfo<IstioCase>& info) {
    std::string n = info.param.dir;
    for (char& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return n;
}

json::object istio_workload_group(const IstioCase& c) {
    return parse_yaml_object(read_text(istio_golden_dir / c.dir / "workloadgroup.yaml"));
}

// What istioctl merges before adding its own keys: the mesh config's defaultConfig.proxyMetadata
// (ConfigMap istio[-<rev>], key mesh; the nil case serves "defaultConfig: {}"), then the
// proxy.istio.io/config annotation of the WorkloadGroup (metadata, then spec.metadata).
std::map<std::string, std::string> istio_proxy_metadata(const IstioCase& c) {
    std::map<std::string, std::string> md;
    auto merge = [&](const YAML::Node& pc) {
        if (pc && pc["proxyMetadata"]) {
            for (const auto& kv : pc["proxyMetadata"]) {
                md[kv.first.as<std::string>()] = kv.second.as<std::string>();
            }
        }
    };
    fs::path mesh = istio_golden_dir / c.dir / "meshconfig.yaml";
    YAML::Node mesh_config = YAML::Load(fs::exists(mesh) ? read_text(mesh) : "defaultConfig: {}");
    merge(mesh_config["defaultConfig"]);
    YAML::Node wg = YAML::Load(read_text(istio_golden_dir / c.dir / "workloadgroup.yaml"));
    for (const YAML::Node& annotations :
         {wg["metadata"]["annotations"], wg["spec"]["metadata"]["annotations"]}) {
        if (annotations && annotations["proxy.istio.io/config"]) {
            merge(YAML::Load(annotations["proxy.istio.io/config"].as<std::string>()));
        }
    }
    return md;
}

VmBundleInputs istio_inputs(const IstioCase& c) {
    VmBundleInputs in;
    in.cluster_id = "Kubernetes";  // --clusterID constants.DefaultClusterName
    in.vm_address = c.internal_ip;
    in.istiod_ip = c.ingress_ip;
    in.proxy_metadata = istio_proxy_metadata(c);
    in.root_cert = "fake-CA-cert";  // fakeCACert, served as ConfigMap istio-ca-root-cert
    in.token = "";                  // the fake client's TokenRequest answer
    return in;
}

std::string golden(const IstioCase& c, const std::string& file) {
    return read_text(istio_golden_dir / c.dir / (file + ".golden"));
}

class IstioGolden : public testing::TestWithParam<IstioCase> {};

// Istio's own WorkloadGroup through configure_workload_entry: the files istioctl wrote, byte for
// byte. The one difference: meshorch always writes discoveryAddress; istioctl leaves it out for
// the default control plane, whose ProxyConfig default is the same address
// (pkg/config/mesh DefaultProxyConfig: istiod.istio-system.svc:15012).
TEST_P(IstioGolden, ConfigureWorkloadEntryReproducesIstioctlByteForByte) {
    const IstioCase& c = GetParam();
    auto bundle =
        configure_workload_entry(istio_workload_group(c), c.revision, "", istio_inputs(c));
    ASSERT_TRUE(bundle.ok()) << bundle.error().describe();
    const auto& files = bundle->files;
    ASSERT_EQ(files.size(), 5u);
    EXPECT_EQ(files.at("cluster.env"), golden(c, "cluster.env"));
    EXPECT_EQ(files.at("hosts"), golden(c, "hosts"));
    EXPECT_EQ(files.at("istio-token"), golden(c, "istio-token"));
    EXPECT_EQ(files.at("root-cert.pem"), golden(c, "root-cert.pem"));
    std::string expected_mesh = golden(c, "mesh.yaml");
    if (c.revision.empty()) {
        ASSERT_EQ(expected_mesh.find("discoveryAddress"), std::string::npos);
        expected_mesh.insert(expected_mesh.find('\n') + 1,
                             "  discoveryAddress: istiod.istio-system.svc:15012\n");
    }
    EXPECT_EQ(files.at("mesh.yaml"), expected_mesh);
}

// ---- meshorch's equivalent of Istio's inputs, key by key --------------------------------------

// The meshorch spec closest to Istio's workloadgroup.yaml: namespace bar, microservice foo (no
// ports: "ports: {}"), the probe httpGet :8080, one VM version, the same revision.
ServiceSpec istio_like_spec(const IstioCase& c) {
    ServiceSpec spec;
    spec.name = "bar";
    spec.namespace_ = "bar";
    spec.mesh.revision = c.revision;
    Microservice foo;
    foo.name = "foo";
    HealthCheck hc;
    hc.probe = HttpGetCheck{"/", 8080};
    foo.health_check = hc;
    Version v1;
    v1.name = "v1";
    v1.workload = VmWorkload{"foo-image", "m1.small", "net0", 1};
    foo.versions.push_back(v1);
    spec.microservices.push_back(foo);
    return spec;
}

json::object meshorch_workload_group(const ServiceSpec& spec, const Microservice& ms,
                                     const Version& v) {
    for (const auto& [key, object] : render_cluster_prerequisites(spec)) {
        if (key.kind == "WorkloadGroup" && key.name == workload_name(ms.name, v.name)) {
            return object.manifest;
        }
    }
    throw std::runtime_error("no WorkloadGroup rendered for " + ms.name + "-" + v.name);
}

// What each side's WorkloadGroup says, for explaining the values that follow from it.
struct Side {
    std::string wg_name;
    std::string namespace_;
    std::string service_account;
    std::map<std::string, std::string> labels;
    std::string trust_domain;
};

Side side_of(const json::object& wg, const std::string& trust_domain) {
    Side s;
    s.wg_name = str(wg.at("metadata").at("name"));
    s.namespace_ = str(wg.at("metadata").at("namespace"));
    const auto& spec = wg.at("spec").get_object();
    s.service_account = str(spec.at("template").at("serviceAccount"));
    if (const auto* md = spec.at("metadata").if_object(); md && md->contains("labels")) {
        for (const auto& kv : md->at("labels").get_object()) s.labels[kv.key()] = str(kv.value());
    }
    s.trust_domain = trust_domain;
    return s;
}

struct Comparison {
    std::string file;
    std::string key;
    std::string istio;
    std::string ours;
    std::string verdict;  // "same", or the reason for the difference
};

std::vector<Comparison>& comparison_table() {
    static std::vector<Comparison> table;
    return table;
}

// labels.CanonicalService's revision rule, applied to a side's labels.
std::string istio_canonical_revision(const std::map<std::string, std::string>& labels) {
    for (const char* k :
         {"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"}) {
        if (auto it = labels.find(k); it != labels.end()) return it->second;
    }
    return "latest";
}

// "same" when equal; otherwise asserts the documented reason for the key and returns it.
std::string explain(const std::string& key, const std::string& istio, const std::string& ours,
                    const Side& is, const Side& os) {
    if (istio == ours) return "same";
    if (key == "CANONICAL_REVISION") {
        EXPECT_EQ(istio, istio_canonical_revision(is.labels));
        EXPECT_EQ(ours, istio_canonical_revision(os.labels));
        EXPECT_EQ(ours, os.labels.at("version"));
        return "Istio's rule (labels.CanonicalService): the `version` label of meshorch's "
               "WorkloadGroup; Istio's golden group has no labels, so 'latest'";
    }
    if (key == "ISTIO_METAJSON_LABELS") {
        auto il = json::parse(istio).as_object();
        auto ol = json::parse(ours).as_object();
        for (const auto& kv : il) {
            EXPECT_TRUE(ol.contains(kv.key())) << kv.key();
            if (kv.key() == "service.istio.io/canonical-revision") {
                EXPECT_EQ(str(ol.at(kv.key())), istio_canonical_revision(os.labels));
            } else if (ol.contains(kv.key())) {
                EXPECT_EQ(ol.at(kv.key()), kv.value()) << kv.key();
            }
        }
        for (const auto& kv : ol) {
            if (!il.contains(kv.key())) {
                EXPECT_EQ(str(kv.value()), os.labels.at(kv.key()));
            }
        }
        return "every Istio label present; plus meshorch's WorkloadGroup labels app/version "
               "(DESIGN.md section 4), and the canonical revision they imply";
    }
    if (key == "ISTIO_META_WORKLOAD_NAME") {
        EXPECT_EQ(istio, is.wg_name);
        EXPECT_EQ(ours, os.wg_name);
        return "the WorkloadGroup's name, both; meshorch names it <microservice>-<version>";
    }
    if (key == "ISTIO_SERVICE") {
        EXPECT_EQ(istio, is.wg_name + "." + is.namespace_);
        EXPECT_EQ(ours, os.wg_name + "." + os.namespace_);
        return "<WorkloadGroup name>.<namespace>, both";
    }
    if (key == "SERVICE_ACCOUNT") {
        EXPECT_EQ(istio, is.service_account);
        EXPECT_EQ(ours, os.service_account);
        return "the WorkloadGroup's serviceAccount, both; meshorch's is the microservice's "
               "ServiceAccount (one identity per microservice)";
    }
    if (key == "TRUST_DOMAIN") {
        EXPECT_EQ(istio, is.trust_domain);
        EXPECT_EQ(ours, os.trust_domain);
        return "the mesh's trust domain, both: Istio's test mesh config sets none (''); "
               "meshorch's is spec.mesh.trust_domain, the one its SPIFFE principals use";
    }
    ADD_FAILURE() << key << ": Istio '" << istio << "', meshorch '" << ours
                  << "': an unexplained difference";
    return "UNEXPLAINED";
}

class IstioEquivalent : public testing::TestWithParam<IstioCase> {};

TEST_P(IstioEquivalent, EveryKeyIstioSetsHasTheSameMeaning) {
    const IstioCase& c = GetParam();
    ServiceSpec spec = istio_like_spec(c);
    const Microservice& ms = spec.microservices[0];
    const Version& v = ms.versions[0];
    VmBundle ours = render_vm_bundle(spec, ms, v, istio_inputs(c));

    const Side is = side_of(istio_workload_group(c), "");
    const Side os = side_of(meshorch_workload_group(spec, ms, v), spec.mesh.trust_domain);
    auto record = [&](const std::string& file, const std::string& key, const std::string& i,
                      const std::string& o, const std::string& verdict) {
        comparison_table().push_back({c.dir + " " + file, key, i, o, verdict});
    };

    // cluster.env, as bash reads it.
    auto istio_env = source_cluster_env(golden(c, "cluster.env"));
    auto our_env = source_cluster_env(ours.files.at("cluster.env"));
    ASSERT_FALSE(istio_env.empty());
    for (const auto& [key, value] : istio_env) {
        auto it = our_env.find(key);
        if (it == our_env.end()) {
            ADD_FAILURE() << "cluster.env: meshorch does not set " << key;
            continue;
        }
        record("cluster.env", key, value, it->second, explain(key, value, it->second, is, os));
    }
    for (const auto& [key, value] : our_env) {
        EXPECT_TRUE(istio_env.contains(key)) << "cluster.env: meshorch adds " << key;
    }

    // mesh.yaml, both parsed.
    auto istio_dc = parse_yaml_object(golden(c, "mesh.yaml")).at("defaultConfig").as_object();
    auto our_dc = parse_yaml_object(ours.files.at("mesh.yaml")).at("defaultConfig").as_object();
    for (const auto& kv : istio_dc) {
        std::string key(kv.key());
        ASSERT_TRUE(our_dc.contains(key)) << "mesh.yaml: meshorch does not set " << key;
        const auto& mine = our_dc.at(key);
        if (key == "proxyMetadata") {
            const auto& im = kv.value().as_object();
            const auto& om = mine.as_object();
            for (const auto& m : im) {
                std::string k(m.key());
                if (!om.contains(k)) {
                    ADD_FAILURE() << "mesh.yaml proxyMetadata: meshorch does not set " << k;
                    continue;
                }
                std::string i = str(m.value()), o = str(om.at(k));
                record("mesh.yaml proxyMetadata", k, i, o, explain(k, i, o, is, os));
            }
            for (const auto& m : om) {
                EXPECT_TRUE(im.contains(m.key())) << "proxyMetadata: meshorch adds " << m.key();
            }
        } else if (key == "readinessProbe") {
            // Istio copies the WorkloadGroup's probe; so does meshorch. Istio's fields are all
            // there with the same values; meshorch's group also carries the health check's path
            // and timings (path "/", period 10, timeout 1, success 1 are also the agent's
            // defaults, pkg/istio-agent/health fillInDefaults; failureThreshold 3 is the spec's).
            const auto& ip = kv.value().as_object();
            const auto& op = mine.as_object();
            EXPECT_EQ(op.at("httpGet").at("port"), ip.at("httpGet").at("port"));
            for (const auto& f : ip) EXPECT_TRUE(op.contains(f.key())) << f.key();
            const auto& hc = *ms.health_check;
            EXPECT_EQ(str(op.at("httpGet").at("path")), std::get<HttpGetCheck>(hc.probe).path);
            EXPECT_EQ(op.at("periodSeconds").as_int64(), 10);
            EXPECT_EQ(op.at("timeoutSeconds").as_int64(), 1);
            EXPECT_EQ(op.at("successThreshold").as_int64(), hc.success_threshold);
            EXPECT_EQ(op.at("failureThreshold").as_int64(), hc.failure_threshold);
            EXPECT_FALSE(op.contains("initialDelaySeconds")) << "0 is left out, as protojson";
            // And it is the probe of the WorkloadGroup meshorch applies.
            auto wg_probe = meshorch_workload_group(spec, ms, v).at("spec").at("probe");
            for (const auto& f : op) EXPECT_EQ(f.value(), wg_probe.at(f.key())) << f.key();
            record("mesh.yaml", key, json::serialize(kv.value()), json::serialize(mine),
                   "Istio's fields, same values; plus the health check's path and timings");
        } else {
            EXPECT_EQ(mine, kv.value()) << key;
            record("mesh.yaml", key, str(kv.value()), str(mine), "same");
        }
    }
    for (const auto& kv : our_dc) {
        if (istio_dc.contains(kv.key())) continue;
        ASSERT_EQ(kv.key(), "discoveryAddress") << "mesh.yaml: meshorch adds " << kv.key();
        ASSERT_TRUE(c.revision.empty());
        EXPECT_EQ(str(kv.value()), "istiod.istio-system.svc:15012");
        record("mesh.yaml", "discoveryAddress", "(unset)", str(kv.value()),
               "explicit; Istio's ProxyConfig default is the same address");
    }

    // hosts, the token and the root certificate.
    for (const char* file : {"hosts", "istio-token", "root-cert.pem"}) {
        EXPECT_EQ(ours.files.at(file), golden(c, file)) << file;
        record(file, "(content)", golden(c, file), ours.files.at(file), "same");
    }
}

// The excluded ports hold Istio's whatever meshorch's ssh port.
TEST(IstioEquivalentPorts, ExcludedPortsContainIstiosAndTheSshPort) {
    const IstioCase& c = istio_cases[0];
    ServiceSpec spec = istio_like_spec(c);
    VmBundleInputs in = istio_inputs(c);
    in.ssh_port = 2222;
    auto env = source_cluster_env(
        render_vm_bundle(spec, spec.microservices[0], spec.microservices[0].versions[0], in)
            .files.at("cluster.env"));
    auto istio_env = source_cluster_env(golden(c, "cluster.env"));
    auto split = [](const std::string& s) {
        std::set<std::string> out;
        std::stringstream ss(s);
        for (std::string p; std::getline(ss, p, ',');) out.insert(p);
        return out;
    };
    auto ours = split(env.at("ISTIO_LOCAL_EXCLUDE_PORTS"));
    for (const auto& p : split(istio_env.at("ISTIO_LOCAL_EXCLUDE_PORTS"))) {
        EXPECT_TRUE(ours.contains(p)) << p;
    }
    EXPECT_TRUE(ours.contains("2222"));
    EXPECT_EQ(env.at("ISTIO_LOCAL_EXCLUDE_PORTS"), "22,15090,15021,15020,2222");
}

INSTANTIATE_TEST_SUITE_P(Istio, IstioGolden, testing::ValuesIn(istio_cases), case_name);
INSTANTIATE_TEST_SUITE_P(Istio, IstioEquivalent, testing::ValuesIn(istio_cases), case_name);

// Prints the key-by-key table after the suite (for reviews).
class ComparisonPrinter : public testing::Environment {
public:
    void TearDown() override {
        if (comparison_table().empty() || !std::getenv("MESHORCH_PRINT_COMPARISON")) return;
        std::cout << "\nfile | key | Istio | meshorch | verdict\n";
        for (const auto& r : comparison_table()) {
            std::cout << r.file << " | " << r.key << " | " << r.istio << " | " << r.ours << " | "
                      << r.verdict << "\n";
        }
    }
};
const auto* const printer = testing::AddGlobalTestEnvironment(new ComparisonPrinter);

// ---- bookinfo with VMs: meshorch's goldens ----------------------------------------------------

Version vm_version(const std::string& name, int instances) {
    Version v;
    v.name = name;
    v.workload = VmWorkload{"bookinfo-" + name + ".qcow2", "m1.small", "mesh-net", instances};
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

Version container_version(const std::string& name) {
    Version v;
    v.name = name;
    ContainerWorkload c;
    c.image = "docker.io/istio/examples-bookinfo:" + name;
    v.workload = c;
    v.vnf.vnfd_id = "vnfd-container-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

// Bookinfo with details v1, reviews v1 and ratings v1 on VMs; the rest in containers.
ServiceSpec bookinfo_vm_spec() {
    ServiceSpec spec;
    spec.name = "bookinfo";
    spec.namespace_ = "bookinfo";

    Microservice productpage{"productpage", {{"http", 9080, Protocol::http}}, {}, {}, {}};
    productpage.versions.push_back(container_version("v1"));

    Microservice details{"details", {{"http", 9080, Protocol::http}}, {}, {}, {}};
    HealthCheck details_check;
    details_check.probe = HttpGetCheck{"/health", 9080};
    details_check.initial_delay = std::chrono::seconds(5);
    details.health_check = details_check;
    details.versions.push_back(vm_version("v1", 1));

    Microservice reviews{"reviews", {{"http", 9080, Protocol::http}}, {}, {}, {}};
    HealthCheck reviews_check;
    reviews_check.probe =
        ExecCheck{{"/bin/sh", "-c", "curl -fsS http://localhost:9080/health | grep -q ok"}};
    reviews_check.period = std::chrono::seconds(15);
    reviews.health_check = reviews_check;
    reviews.versions.push_back(vm_version("v1", 1));
    reviews.versions.push_back(container_version("v2"));
    reviews.versions.push_back(container_version("v3"));

    Microservice ratings{"ratings",
                         {{"http", 9080, Protocol::http}, {"tcp-admin", 9000, Protocol::tcp}},
                         {},
                         {},
                         {}};
    HealthCheck ratings_check;
    ratings_check.probe = TcpCheck{9080};
    ratings.health_check = ratings_check;
    ratings.versions.push_back(vm_version("v1", 2));

    spec.microservices = {productpage, details, reviews, ratings};
    spec.links = {{"productpage", "details", "http", {}, {}, {}, {}, {}},
                  {"productpage", "reviews", "http", {}, {}, {}, {}, {}},
                  {"reviews", "ratings", "http", {}, {}, {}, {}, {}}};
    return spec;
}

const char* const fake_root_cert =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfakeRootCertificateForMeshorchGoldenTestsOnlyAAAAAAAAAAAAAAAAAAAA\n"
    "-----END CERTIFICATE-----\n";

VmBundleInputs bookinfo_inputs(const std::string& microservice, int vm_index) {
    VmBundleInputs in;
    in.istiod_ip = "192.0.2.10";
    in.cluster_id = "Kubernetes";
    in.mesh_id = "mesh1";
    in.vm_address = "10.0.0." + std::to_string(10 + vm_index);
    in.token = "eyJhbGciOiJSUzI1NiJ9.fake-token-" + microservice + ".signature";
    in.root_cert = fake_root_cert;
    return in;
}

// Compares (or, with MESHORCH_UPDATE_GOLDEN, writes) one bundle against a golden directory.
void check_golden(const VmBundle& bundle, const fs::path& dir) {
    if (std::getenv("MESHORCH_UPDATE_GOLDEN")) {
        fs::remove_all(dir);
        for (const auto& [name, content] : bundle.files) write_text(dir / name, content);
        return;
    }
    ASSERT_TRUE(fs::is_directory(dir)) << dir << " (run with MESHORCH_UPDATE_GOLDEN=1)";
    std::set<std::string> on_disk;
    for (const auto& entry : fs::directory_iterator(dir)) {
        on_disk.insert(entry.path().filename().string());
    }
    std::set<std::string> rendered;
    for (const auto& [name, content] : bundle.files) {
        rendered.insert(name);
        if (on_disk.contains(name)) {
            EXPECT_EQ(content, read_text(dir / name)) << dir / name;
        }
    }
    EXPECT_EQ(rendered, on_disk) << dir;
}

TEST(BookinfoVmBundle, MatchesGoldens) {
    ServiceSpec spec = bookinfo_vm_spec();
    int vms = 0;
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() != Substrate::vm) continue;
            ++vms;
            check_golden(render_vm_bundle(spec, ms, v, bookinfo_inputs(ms.name, vms)),
                         our_golden_dir / "bookinfo" / workload_name(ms.name, v.name));
        }
    }
    EXPECT_EQ(vms, 3);
}

// The same spec on a revisioned control plane with meshorch's injector on ssh port 2222, a
// non-default status port, and metadata from the mesh config.
TEST(BookinfoVmBundle, RevisionedMatchesGolden) {
    ServiceSpec spec = bookinfo_vm_spec();
    spec.mesh.revision = "canary";
    const Microservice& reviews = spec.microservices[2];
    VmBundleInputs in = bookinfo_inputs("reviews", 1);
    in.istiod_address = "istiod.istio-system.svc:15012";  // OrchestratorOptions' default
    in.ssh_port = 2222;
    in.status_port = 15030;
    in.proxy_metadata = {{"ISTIO_META_DNS_AUTO_ALLOCATE", "true"}, {"PROXY_XDS_VIA_AGENT", "true"}};
    check_golden(render_vm_bundle(spec, reviews, reviews.versions[0], in),
                 our_golden_dir / "bookinfo-canary" / "reviews-v1");
}

// Properties every bookinfo bundle has, independent of the goldens' bytes.
TEST(BookinfoVmBundle, FilesAgreeWithEachOtherAndWithTheWorkloadGroup) {
    ServiceSpec spec = bookinfo_vm_spec();
    const Microservice& ratings = spec.microservices[3];
    const Version& v = ratings.versions[0];
    VmBundleInputs in = bookinfo_inputs("ratings", 3);
    VmBundle b = render_vm_bundle(spec, ratings, v, in);
    auto env = source_cluster_env(b.files.at("cluster.env"));
    auto dc = parse_yaml_object(b.files.at("mesh.yaml")).at("defaultConfig").as_object();

    // cluster.env carries every proxyMetadata key with the same value (istioctl: metadata, then
    // overrides that only add keys or repeat SERVICE_ACCOUNT).
    for (const auto& kv : dc.at("proxyMetadata").as_object()) {
        ASSERT_TRUE(env.contains(kv.key())) << kv.key();
        EXPECT_EQ(env.at(kv.key()), str(kv.value())) << kv.key();
    }
    EXPECT_EQ(env.at("ISTIO_INBOUND_PORTS"), "9000,9080");
    EXPECT_EQ(env.at("ISTIO_META_POD_PORTS"),
              R"([{"name":"http","containerPort":9080,"protocol":""},)"
              R"({"name":"tcp-admin","containerPort":9000,"protocol":""}])");
    EXPECT_EQ(env.at("ISTIO_METAJSON_LABELS"),
              R"({"app":"ratings","service.istio.io/canonical-name":"ratings",)"
              R"("service.istio.io/canonical-revision":"v1","version":"v1"})");
    EXPECT_EQ(env.at("CANONICAL_SERVICE"), "ratings");
    EXPECT_EQ(env.at("CANONICAL_REVISION"), "v1");
    EXPECT_EQ(env.at("SERVICE_ACCOUNT"), "ratings");
    EXPECT_EQ(env.at("ISTIO_NAMESPACE"), "bookinfo");
    EXPECT_EQ(env.at("POD_NAMESPACE"), "bookinfo");
    EXPECT_EQ(env.at("ISTIO_SERVICE"), "ratings-v1.bookinfo");
    EXPECT_EQ(env.at("ISTIO_SERVICE_CIDR"), "*");
    EXPECT_EQ(env.at("ISTIO_SVC_IP"), "10.0.0.13");
    EXPECT_EQ(env.at("TRUST_DOMAIN"), "cluster.local");
    EXPECT_EQ(env.at("ISTIO_META_MESH_ID"), "mesh1");
    EXPECT_FALSE(env.contains("CA_ADDR")) << "default control plane: the start script's default";
    EXPECT_EQ(str(dc.at("discoveryAddress")), "istiod.istio-system.svc:15012");
    EXPECT_EQ(b.files.at("hosts"), "192.0.2.10 istiod.istio-system.svc\n");
    EXPECT_EQ(b.files.at("istio-token"), in.token);
    EXPECT_EQ(b.files.at("root-cert.pem"), in.root_cert);

    // The probe is the WorkloadGroup's.
    auto wg = meshorch_workload_group(spec, ratings, v);
    const auto& probe = dc.at("readinessProbe").as_object();
    for (const auto& f : probe) EXPECT_EQ(f.value(), wg.at("spec").at("probe").at(f.key()));
    EXPECT_EQ(probe.at("tcpSocket").at("port").as_int64(), 9080);

    // And the bundle is what istioctl's rendering of that WorkloadGroup gives.
    auto configured = configure_workload_entry(wg, spec.mesh.revision, spec.mesh.trust_domain, in);
    ASSERT_TRUE(configured.ok()) << configured.error().describe();
    EXPECT_EQ(*configured, b);
}

TEST(BookinfoVmBundle, Deterministic) {
    ServiceSpec spec = bookinfo_vm_spec();
    Microservice ratings = spec.microservices[3];
    VmBundleInputs in = bookinfo_inputs("ratings", 3);
    in.proxy_metadata = {{"B_KEY", "2"}, {"A_KEY", "1"}};
    VmBundle first = render_vm_bundle(spec, ratings, ratings.versions[0], in);
    EXPECT_EQ(first, render_vm_bundle(spec, ratings, ratings.versions[0], in));
    // Port order in the spec does not matter.
    std::reverse(ratings.ports.begin(), ratings.ports.end());
    EXPECT_EQ(first, render_vm_bundle(spec, ratings, ratings.versions[0], in));
}

// ---- control plane addressing -----------------------------------------------------------------

TEST(VmBundleAddressing, RevisionPicksTheRevisionsIstiod) {
    ServiceSpec spec = bookinfo_vm_spec();
    spec.mesh.revision = "1-22";
    const Microservice& details = spec.microservices[1];
    for (std::string address : {"", "istiod.istio-system.svc:15012"}) {
        VmBundleInputs in = bookinfo_inputs("details", 1);
        in.istiod_address = address;
        VmBundle b = render_vm_bundle(spec, details, details.versions[0], in);
        auto env = source_cluster_env(b.files.at("cluster.env"));
        EXPECT_EQ(env.at("CA_ADDR"), "istiod-1-22.istio-system.svc:15012") << address;
        auto dc = parse_yaml_object(b.files.at("mesh.yaml")).at("defaultConfig");
        EXPECT_EQ(str(dc.at("discoveryAddress")), "istiod-1-22.istio-system.svc:15012");
        EXPECT_EQ(b.files.at("hosts"), "192.0.2.10 istiod-1-22.istio-system.svc\n");
    }
    // "default" is no revision (istioctl's isRevisioned).
    spec.mesh.revision = "default";
    VmBundle b =
        render_vm_bundle(spec, details, details.versions[0], bookinfo_inputs("details", 1));
    EXPECT_FALSE(source_cluster_env(b.files.at("cluster.env")).contains("CA_ADDR"));
    EXPECT_EQ(b.files.at("hosts"), "192.0.2.10 istiod.istio-system.svc\n");
}

TEST(VmBundleAddressing, CustomAddressesAndNamespace) {
    ServiceSpec spec = bookinfo_vm_spec();
    const Microservice& details = spec.microservices[1];
    VmBundleInputs in = bookinfo_inputs("details", 1);
    in.istiod_address = "istiod.mesh.example.com:15012";
    VmBundle b = render_vm_bundle(spec, details, details.versions[0], in);
    auto env = source_cluster_env(b.files.at("cluster.env"));
    EXPECT_EQ(env.at("CA_ADDR"), "istiod.mesh.example.com:15012");
    EXPECT_EQ(b.files.at("hosts"), "192.0.2.10 istiod.mesh.example.com\n");

    in.ca_address = "cert-manager-istio-csr.cert-manager.svc:443";
    env = source_cluster_env(
        render_vm_bundle(spec, details, details.versions[0], in).files.at("cluster.env"));
    EXPECT_EQ(env.at("CA_ADDR"), "cert-manager-istio-csr.cert-manager.svc:443");

    in = bookinfo_inputs("details", 1);
    in.istio_namespace = "mesh-system";
    b = render_vm_bundle(spec, details, details.versions[0], in);
    env = source_cluster_env(b.files.at("cluster.env"));
    EXPECT_EQ(env.at("CA_ADDR"), "istiod.mesh-system.svc:15012");
    EXPECT_EQ(b.files.at("hosts"), "192.0.2.10 istiod.mesh-system.svc\n");

    // No IP for istiod: an empty hosts file, as istioctl writes.
    in.istiod_ip.clear();
    EXPECT_EQ(render_vm_bundle(spec, details, details.versions[0], in).files.at("hosts"), "");
}

TEST(VmBundleAddressing, StatusPortExternalAddressAndAutoRegister) {
    ServiceSpec spec = bookinfo_vm_spec();
    const Microservice& details = spec.microservices[1];
    VmBundleInputs in = bookinfo_inputs("details", 1);
    in.status_port = 15021;  // istioctl: already excluded, nothing added
    in.vm_address = "203.0.113.7";
    in.vm_address_external = true;
    in.auto_register = true;
    in.dns_capture = false;
    in.service_cidr = "10.96.0.0/12";
    VmBundle b = render_vm_bundle(spec, details, details.versions[0], in);
    auto env = source_cluster_env(b.files.at("cluster.env"));
    EXPECT_EQ(env.at("ISTIO_LOCAL_EXCLUDE_PORTS"), "22,15090,15021");
    EXPECT_EQ(env.at("ISTIO_SVC_IP"), "203.0.113.7");
    EXPECT_EQ(env.at("REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION"), "true");
    EXPECT_EQ(env.at("ISTIO_META_AUTO_REGISTER_GROUP"), "details-v1");
    EXPECT_FALSE(env.contains("ISTIO_META_DNS_CAPTURE"));
    EXPECT_EQ(env.at("ISTIO_SERVICE_CIDR"), "10.96.0.0/12");
    auto dc = parse_yaml_object(b.files.at("mesh.yaml")).at("defaultConfig");
    EXPECT_EQ(dc.at("statusPort").as_int64(), 15021);
}

// ---- quoting -----------------------------------------------------------------------------------

const std::vector<std::string>& nasty_values() {
    static const std::vector<std::string> values = {
        "",
        "plain",
        "with spaces",
        "  leading and trailing  ",
        "it's",
        "''",
        "'",
        "\"double\" quotes",
        "$(touch SENTINEL)",
        "`touch SENTINEL`",
        "'; touch SENTINEL; '",
        "${HOME} $HOME $0 $$ $@",
        "back\\slash\\",
        "line one\nline two\n",
        "\n",
        "\r\n",
        "tab\there",
        "semi; echo injected",
        "a && b || c | d > e < f &",
        "!bang !! !$",
        "*?[glob]",
        "~",
        "#not a comment",
        "key: value",
        "- item",
        "true",
        "null",
        "0123",
        "1e3",
        "=",
        "a=b",
        "--flag",
        "unicode \xc3\xbc \xe2\x98\x83 \xf0\x9f\x9a\x80",
        "\x1b[31mescape\x1b[0m",
        "{\"json\": [1, 2]}",
        "\\'\\\"",
    };
    return values;
}

TEST(VmBundleQuoting, ShellQuoteSurvivesBashAndSh) {
    TempDir dir;
    const std::string sentinel = (dir.path() / "SENTINEL").string();
    for (const char* shell : {"/bin/bash", "/bin/sh"}) {
        std::size_t i = 0;
        for (std::string value : nasty_values()) {
            for (auto p = value.find("SENTINEL"); p != std::string::npos;
                 p = value.find("SENTINEL", p + sentinel.size())) {
                value.replace(p, 8, sentinel);
            }
            fs::path script = dir.path() / ("s" + std::to_string(i++) + ".sh");
            write_text(script, "printf %s " + shell_quote(value) + "\n");
            int status = 0;
            std::string out = run(std::string(shell) + " '" + script.string() + "'", status);
            EXPECT_EQ(status, 0) << shell << " " << value;
            EXPECT_EQ(out, value) << shell;
        }
    }
    EXPECT_FALSE(fs::exists(sentinel)) << "a quoted value was executed";
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("it's"), "'it'\"'\"'s'");
}

// Every value reaches the start script unchanged, and mesh.yaml holds the same values.
TEST(VmBundleQuoting, ClusterEnvAndMeshYamlRoundTrip) {
    TempDir dir;
    const std::string sentinel = (dir.path() / "SENTINEL").string();
    ServiceSpec spec = bookinfo_vm_spec();
    const Microservice& details = spec.microservices[1];
    VmBundleInputs in = bookinfo_inputs("details", 1);
    std::map<std::string, std::string> expected;
    std::size_t i = 0;
    for (std::string value : nasty_values()) {
        for (auto p = value.find("SENTINEL"); p != std::string::npos;
             p = value.find("SENTINEL", p + sentinel.size())) {
            value.replace(p, 8, sentinel);
        }
        std::string key = "NASTY_" + std::to_string(i++);
        in.proxy_metadata[key] = value;
        expected[key] = value;
    }
    in.mesh_id = "mesh 'one' $(touch " + sentinel + ")";
    in.network = "net\nwork";
    ASSERT_TRUE(validate_vm_bundle_inputs(in).ok());
    VmBundle b = render_vm_bundle(spec, details, details.versions[0], in);

    auto env = source_cluster_env(b.files.at("cluster.env"));
    auto pm = parse_yaml_object(b.files.at("mesh.yaml"))
                  .at("defaultConfig")
                  .at("proxyMetadata")
                  .as_object();
    for (const auto& [key, value] : expected) {
        ASSERT_TRUE(env.contains(key)) << key;
        EXPECT_EQ(env.at(key), value) << key << " through bash";
        ASSERT_TRUE(pm.contains(key)) << key;
        ASSERT_TRUE(pm.at(key).is_string()) << key << " is not a string in mesh.yaml";
        EXPECT_EQ(pm.at(key).get_string(), value) << key << " through YAML";
    }
    EXPECT_EQ(env.at("ISTIO_META_MESH_ID"), in.mesh_id);
    EXPECT_EQ(env.at("ISTIO_META_NETWORK"), in.network);
    EXPECT_EQ(pm.at("ISTIO_META_MESH_ID").get_string(), in.mesh_id);
    EXPECT_EQ(pm.at("ISTIO_META_NETWORK").get_string(), in.network);
    EXPECT_FALSE(fs::exists(sentinel)) << "sourcing cluster.env executed a value";
}

// Labels that need JSON escaping come out as Go's json.Marshal writes them.
TEST(VmBundleQuoting, LabelsJsonIsGoCompatible) {
    json::object wg = {{"metadata", {{"name", "w"}, {"namespace", "n"}}},
                       {"spec",
                        {{"metadata",
                          {{"labels",
                            {{"app", "a<b>&c"},
                             {"quote", "say \"hi\"\\"},
                             {"ctl", "x\ty\n\x01"},
                             {"u", "\xe2\x80\xa8"}}}}},
                         {"template", json::object{}}}}};
    auto b = configure_workload_entry(wg, "", "td", VmBundleInputs{});
    ASSERT_TRUE(b.ok()) << b.error().describe();
    auto env = source_cluster_env(b->files.at("cluster.env"));
    EXPECT_EQ(env.at("ISTIO_METAJSON_LABELS"),
              R"({"app":"a\u003cb\u003e\u0026c","ctl":"x\ty\n\u0001",)"
              R"("quote":"say \"hi\"\\","service.istio.io/canonical-name":"a\u003cb\u003e\u0026c",)"
              R"("service.istio.io/canonical-revision":"latest","u":"\u2028"})");
    EXPECT_EQ(env.at("CANONICAL_SERVICE"), "a<b>&c");
    EXPECT_EQ(env.at("SERVICE_ACCOUNT"), "default") << "istioctl's default service account";
    EXPECT_EQ(env.at("ISTIO_INBOUND_PORTS"), "*");
}

// ---- validation --------------------------------------------------------------------------------

TEST(VmBundleValidation, RejectsWhatCannotBeWrittenSafely) {
    EXPECT_TRUE(validate_vm_bundle_inputs(VmBundleInputs{}).ok());
    VmBundleInputs in;
    in.proxy_metadata = {{"GOOD_KEY_1", "x"},
                         {"BAD KEY", "x"},
                         {"1BAD", "x"},
                         {"A=1;touch /tmp/x;B", "x"},
                         {"NUL_VALUE", std::string("a\0b", 3)},
                         {"BAD_UTF8", "\xff"}};
    in.istiod_ip = "10.0.0.300";
    in.vm_address = "vm.example.com";
    in.istiod_address = "istiod.istio-system.svc";  // no port
    in.ca_address = "bad host:15012";
    in.ssh_port = 0;
    in.istio_namespace = "istio.system";
    auto s = validate_vm_bundle_inputs(in);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
    std::set<std::string> paths;
    for (const auto& f : s.error().fields) paths.insert(f.path);
    EXPECT_EQ(paths, (std::set<std::string>{"proxy_metadata.BAD KEY", "proxy_metadata.1BAD",
                                            "proxy_metadata.A=1;touch /tmp/x;B",
                                            "proxy_metadata.NUL_VALUE", "proxy_metadata.BAD_UTF8",
                                            "istiod_ip", "vm_address", "istiod_address",
                                            "ca_address", "ssh_port", "istio_namespace"}));

    // configure_workload_entry refuses; render_vm_bundle leaves the unsafe parts out.
    ServiceSpec spec = bookinfo_vm_spec();
    const Microservice& details = spec.microservices[1];
    auto wg = meshorch_workload_group(spec, details, details.versions[0]);
    EXPECT_FALSE(configure_workload_entry(wg, "", "cluster.local", in).ok());
    in.istiod_address.clear();
    in.ca_address.clear();
    in.ssh_port = 22;
    in.istio_namespace = "istio-system";
    VmBundle b = render_vm_bundle(spec, details, details.versions[0], in);
    const std::string& ce = b.files.at("cluster.env");
    EXPECT_EQ(ce.find("BAD KEY"), std::string::npos);
    EXPECT_EQ(ce.find("touch"), std::string::npos);
    EXPECT_EQ(ce.find("1BAD"), std::string::npos);
    EXPECT_EQ(ce.find('\0'), std::string::npos);
    EXPECT_EQ(b.files.at("hosts"), "");
    auto env = source_cluster_env(ce);
    EXPECT_EQ(env.at("GOOD_KEY_1"), "x");
    EXPECT_EQ(env.at("NUL_VALUE"), "ab") << "NUL dropped, as bash would";
    EXPECT_EQ(env.at("BAD_UTF8"), "\xef\xbf\xbd");
    EXPECT_FALSE(env.contains("ISTIO_SVC_IP"));
    EXPECT_NO_THROW(parse_yaml_object(b.files.at("mesh.yaml")));
}

TEST(VmBundleValidation, MalformedWorkloadGroups) {
    VmBundleInputs in;
    auto bad = [&](json::object wg, const std::string& path) {
        auto r = configure_workload_entry(wg, "", "", in);
        ASSERT_FALSE(r.ok()) << path;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        ASSERT_EQ(r.error().fields.size(), 1u);
        EXPECT_EQ(r.error().fields[0].path, path);
    };
    bad(json::object{}, "metadata");
    bad({{"metadata", {{"name", "w"}}}}, "metadata.namespace");
    bad({{"metadata", {{"name", "w"}, {"namespace", "n"}}},
         {"spec", {{"template", {{"ports", {{"http", 70000}}}}}}}},
        "spec.template.ports.http");
    bad({{"metadata", {{"name", "w"}, {"namespace", "n"}}},
         {"spec", {{"template", {{"ports", {{"http", "80"}}}}}}}},
        "spec.template.ports.http");
    bad({{"metadata", {{"name", "w"}, {"namespace", "n"}}},
         {"spec", {{"metadata", {{"labels", {{"app", 1}}}}}}}},
        "spec.metadata.labels.app");
}

}  // namespace
}  // namespace meshorch
