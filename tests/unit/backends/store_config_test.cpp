// The store: section of the backend configuration: each store type, and errors that name the
// setting with its line and column.
#include <meshorch/backends.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace meshorch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A folder with a kubeconfig, and a configuration whose other sections are valid.
class StoreSection : public ::testing::Test {
protected:
    void SetUp() override {
        std::string t = (fs::temp_directory_path() / "meshorch-backends-XXXXXX").string();
        ASSERT_NE(::mkdtemp(t.data()), nullptr);
        dir_ = t;
        std::ofstream(dir_ / "kubeconfig") << R"(apiVersion: v1
kind: Config
current-context: test
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: test, context: {cluster: c, user: u}}]
)";
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    Result<BackendsConfig> parse(const std::string& store_section) {
        const std::string text = R"(kubernetes: {kubeconfig: kubeconfig}
tacker:
  keystone_url: https://keystone.example:5000/v3
  credentials: {username: u, password: p, project_name: p}
  vim_ids: {vm: vim-1}
injector:
  ssh_user: root
  ssh_private_key: id_ed25519
  known_hosts: known_hosts
  package_manager: none
)" + store_section;
        return parse_backends_config(text, dir_.string());
    }

    // The field error at `path`, or a failure.
    static FieldError field(const Result<BackendsConfig>& r, const std::string& path) {
        if (r.ok()) {
            ADD_FAILURE() << "expected an error at " << path;
            return {};
        }
        for (const auto& f : r.error().fields) {
            if (f.path == path) return f;
        }
        ADD_FAILURE() << "no error at " << path << ": " << r.error().describe();
        return {};
    }

    fs::path dir_;
};

TEST_F(StoreSection, WithoutAStoreSectionRecordsStayInMemory) {
    auto config = parse("");
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->store.type, StoreConfig::Type::memory);
}

TEST_F(StoreSection, SqliteTakesAPathRelativeToTheConfiguration) {
    auto config = parse("store: {type: sqlite, path: state/meshorch.db}\n");
    ASSERT_TRUE(config.ok()) << config.error().describe();
    EXPECT_EQ(config->store.type, StoreConfig::Type::sqlite);
    EXPECT_EQ(config->store.path, (dir_ / "state/meshorch.db").string());
}

TEST_F(StoreSection, EtcdTakesEndpointsPrefixLeaseAndTls) {
    auto config = parse(R"(store:
  type: etcd
  endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
  prefix: /team-a/
  lease_ttl: 15s
  call_timeout: 1500ms
  page_size: 100
  ca_file: pki/ca.pem
  client_certificate_file: pki/client.pem
  client_key_file: pki/client-key.pem
  username: meshorch
  password: secret
)");
    ASSERT_TRUE(config.ok()) << config.error().describe();
    const EtcdOptions& etcd = config->store.etcd;
    EXPECT_EQ(config->store.type, StoreConfig::Type::etcd);
    EXPECT_EQ(etcd.endpoints,
              (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
    EXPECT_EQ(etcd.prefix, "/team-a/");
    EXPECT_EQ(etcd.lease_ttl, 15s);
    EXPECT_EQ(etcd.call_timeout, 1500ms);
    EXPECT_EQ(etcd.page_size, 100u);
    EXPECT_EQ(etcd.ca_file, (dir_ / "pki/ca.pem").string());
    EXPECT_EQ(etcd.client_key_file, (dir_ / "pki/client-key.pem").string());
    EXPECT_EQ(etcd.username, "meshorch");
    EXPECT_EQ(etcd.password, "secret");

    auto defaults = parse("store: {type: etcd, endpoints: [http://127.0.0.1:2379]}\n");
    ASSERT_TRUE(defaults.ok()) << defaults.error().describe();
    EXPECT_EQ(defaults->store.etcd.prefix, "/meshorch/");
    EXPECT_EQ(defaults->store.etcd.lease_ttl, 10s);
}

TEST_F(StoreSection, MistakesAreNamedWithLineAndColumn) {
    auto r = parse(R"(store:
  type: etcd
  endpoints: [https://ok:2379, "etcd-2:2379"]
  lease_ttl: 1.5s
  call_timeout: soon
  path: /not/for/etcd
  colour: blue
)");
    const FieldError endpoint = field(r, "store.endpoints[1]");
    EXPECT_NE(endpoint.reason.find("http"), std::string::npos);
    EXPECT_NE(field(r, "store.lease_ttl").reason.find("whole number of seconds"),
              std::string::npos);
    EXPECT_NE(field(r, "store.call_timeout").reason.find("duration"), std::string::npos);
    EXPECT_NE(field(r, "store.path").reason.find("sqlite"), std::string::npos);
    const FieldError unknown = field(r, "store.colour");
    EXPECT_EQ(unknown.reason, "unknown setting");
    EXPECT_EQ(unknown.line, 17);  // the configuration's 11th line is "store:"
    EXPECT_GT(unknown.column, 0);

    EXPECT_NE(field(parse("store: {type: etcd}\n"), "store.endpoints").reason.find("required"),
              std::string::npos);
    EXPECT_NE(field(parse("store: {type: sqlite}\n"), "store.path").reason.find("required"),
              std::string::npos);
    EXPECT_NE(field(parse("store: {type: redis}\n"), "store.type").reason.find("etcd"),
              std::string::npos);
    EXPECT_NE(field(parse("store: {path: x.db}\n"), "store.type").reason.find("required"),
              std::string::npos);
}

}  // namespace
}  // namespace meshorch
