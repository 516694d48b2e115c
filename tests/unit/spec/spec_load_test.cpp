// load_spec: the model it builds, defaults, positions of errors, parse errors, files; and
// the lossless round trip through dump_spec for the sample specs.

#include "spec_test_support.hpp"

#include "spec/duration.hpp"

#include <cstdio>

namespace meshorch::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const char* const samples[] = {"bookinfo-hybrid.yaml", "all-containers.yaml", "all-vms.yaml"};

TEST(LoadSpec, BuildsTheModel) {
    auto spec = load_spec(base_spec_yaml);
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec->name, "shop");
    EXPECT_EQ(spec->namespace_, "shop");  // defaults to the name
    EXPECT_EQ(spec->labels, (std::map<std::string, std::string>{{"team", "payments"}}));
    EXPECT_EQ(spec->mesh, MeshSettings{});
    ASSERT_EQ(spec->microservices.size(), 3u);

    const Microservice& frontend = spec->microservices[0];
    ASSERT_EQ(frontend.ports.size(), 1u);
    EXPECT_EQ(frontend.ports[0], (Port{"http", 8080, Protocol::http}));  // protocol defaults
    ASSERT_TRUE(frontend.health_check);
    EXPECT_EQ(std::get<HttpGetCheck>(frontend.health_check->probe),
              (HttpGetCheck{"/healthz", 8080}));
    EXPECT_EQ(frontend.health_check->period, 10s);
    const auto& c = std::get<ContainerWorkload>(frontend.versions[0].workload);
    EXPECT_EQ(c.replicas, 2);
    EXPECT_EQ(c.requests, (ResourceList{"100m", "128Mi"}));
    EXPECT_EQ(frontend.versions[0].vnf.vnfd_id, "0c4e6b36-5b0a-4c0e-9a51-1f1a3cc2b001");

    const Microservice& backend = spec->microservices[1];
    EXPECT_EQ(backend.traffic_policy.load_balancer, LoadBalancer::least_request);
    EXPECT_EQ(backend.traffic_policy.connection_pool->max_connections, 100);
    EXPECT_EQ(backend.traffic_policy.connection_pool->connect_timeout, 1s);
    EXPECT_FALSE(backend.traffic_policy.connection_pool->max_retries);
    EXPECT_EQ(backend.traffic_policy.outlier_detection->base_ejection_time, 30s);
    const auto& vm = std::get<VmWorkload>(backend.versions[0].workload);
    EXPECT_EQ(vm, (VmWorkload{"backend-v1.qcow2", "m1.small", "private", 2}));
    EXPECT_EQ(backend.versions[0].vnf.extra_params, (json::object{{"ssh_user", "ubuntu"}}));
    EXPECT_EQ(std::get<ContainerWorkload>(backend.versions[1].workload).replicas, 1);
    EXPECT_EQ(std::get<VmWorkload>(spec->microservices[2].versions[0].workload).instances, 1);

    ASSERT_EQ(spec->links.size(), 2u);
    const Link& l0 = spec->links[0];
    EXPECT_EQ(l0.timeout, 10s);
    EXPECT_EQ(l0.retries, (RetryPolicy{3, 2s, "5xx,connect-failure"}));
    EXPECT_EQ(l0.fault->delay, (DelayFault{5s, 10.0}));
    EXPECT_EQ(l0.fault->abort, (AbortFault{503, 5.0}));
    EXPECT_EQ(l0.mirror, (Mirror{"v2", 10.0}));
    ASSERT_EQ(l0.routes.size(), 2u);
    EXPECT_EQ(l0.routes[0].match->headers.at("end-user"), (StringMatch{MatchKind::exact, "jason"}));
    EXPECT_EQ(l0.routes[0].match->uri, (StringMatch{MatchKind::prefix, "/api"}));
    EXPECT_EQ(l0.routes[1].split, (std::vector<WeightedVersion>{{"v1", 90}, {"v2", 10}}));
    EXPECT_FALSE(l0.routes[1].match);
    EXPECT_EQ(spec->links[1].port, "tcp-db");  // the only port of db
}

TEST(LoadSpec, NullMeansAbsent) {
    json::value doc = base_document();
    set_at(doc, "/spec/links", nullptr);
    set_at(doc, "/spec/microservices/0/healthCheck", nullptr);
    auto spec = load_spec(to_yaml(doc));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_TRUE(spec->links.empty());
    EXPECT_FALSE(spec->microservices[0].health_check);
}

TEST(LoadSpec, ErrorsCarryLineAndColumnInDocumentOrder) {
    const std::string text = R"(apiVersion: meshorch.io/v1alpha1
kind: Service
metadata:
  name: shop
spec:
  microservices:
  - name: web
    ports:
    - name: http
      number: 99999
    versions:
    - name: v1
      container:
        image: web:1
        replica: 2
      vnf: {vnfdId: abc}
)";
    auto spec = load_spec(text);
    ASSERT_FALSE(spec.ok());
    const Error& e = spec.error();
    EXPECT_EQ(e.code, Errc::invalid_spec);
    ASSERT_EQ(e.fields.size(), 3u) << e.describe();
    EXPECT_EQ(e.fields[0], (FieldError{"spec.microservices[0].ports[0].number",
                                       "must be between 1 and 65535 (got 99999)", 10, 7}));
    EXPECT_EQ(e.fields[1],
              (FieldError{"spec.microservices[0].versions[0].container.replica",
                          "unknown field \"replica\" (did you mean \"replicas\"?)", 15, 9}));
    // A missing field is placed at its parent.
    EXPECT_EQ(e.fields[2], (FieldError{"spec.microservices[0].versions[0].vnf.flavourId",
                                       "is required", 16, 7}));
    EXPECT_NE(e.message.find("3 problems"), std::string::npos) << e.message;
    EXPECT_NE(e.describe().find("spec.microservices[0].versions[0].vnf.flavourId: is required "
                                "(line 16, column 7)"),
              std::string::npos)
        << e.describe();
}

TEST(LoadSpec, JsonErrorsCarryPositionsToo) {
    json::value doc = base_document();
    set_at(doc, "/spec/links/0/routes/1/split/0/weight", 80);
    const std::string text = to_pretty_json(doc);
    auto spec = load_spec(text);
    ASSERT_FALSE(spec.ok());
    ASSERT_EQ(spec.error().fields.size(), 1u);
    const FieldError& f = spec.error().fields[0];
    EXPECT_EQ(f.path, "spec.links[0].routes[1].split");
    auto parsed = parse_document(text);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(std::pair(f.line, f.column), parsed->positions.at(f.path));
    EXPECT_GT(f.line, 100);
}

TEST(LoadSpec, MalformedTextIsAParseError) {
    auto yaml = load_spec("apiVersion: meshorch.io/v1alpha1\nkind: [Service\n");
    ASSERT_FALSE(yaml.ok());
    EXPECT_EQ(yaml.error().code, Errc::parse_error);
    EXPECT_GT(yaml.error().line, 0);
    EXPECT_GT(yaml.error().column, 0);

    auto json_text = load_spec("{\"apiVersion\": \"meshorch.io/v1alpha1\",\n \"kind\": Service}");
    ASSERT_FALSE(json_text.ok());
    EXPECT_EQ(json_text.error().code, Errc::parse_error);
    EXPECT_EQ(json_text.error().line, 2);
    EXPECT_EQ(json_text.error().column, 10);
}

TEST(LoadSpec, SeveralDocumentsAreRefused) {
    auto spec = load_spec(std::string(base_spec_yaml) + "---\n" + std::string(base_spec_yaml));
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.error().code, Errc::parse_error);
    EXPECT_NE(spec.error().message.find("expected one document"), std::string::npos);
}

TEST(LoadSpec, EmptyTextIsInvalid) {
    auto spec = load_spec("");
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.error().code, Errc::invalid_spec);
    ASSERT_EQ(spec.error().fields.size(), 1u);
    EXPECT_EQ(spec.error().fields[0].path, "");
    EXPECT_NE(spec.error().fields[0].reason.find("expected a mapping, found null"),
              std::string::npos);
}

TEST(LoadSpec, NumericStringsNeedQuotes) {
    json::value doc = base_document();
    set_at(doc, "/spec/microservices/2/versions/0/name", 1);
    auto spec = load_spec(to_yaml(doc));
    ASSERT_FALSE(spec.ok());
    ASSERT_EQ(spec.error().fields.size(), 1u);
    EXPECT_EQ(spec.error().fields[0].reason,
              "expected a string, found an integer (quote the value to make it a string)");
    // Quoted, the same name is fine.
    set_at(doc, "/spec/microservices/2/versions/0/name", "1");
    EXPECT_TRUE(load_spec(to_yaml(doc)).ok());
}

TEST(LoadSpecFile, ReadsAFileAndNamesItInErrors) {
    auto spec = load_spec_file(sample_path("bookinfo-hybrid.yaml"));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec->name, "bookinfo");

    auto missing = load_spec_file("/nonexistent/spec.yaml");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::io);
    EXPECT_NE(missing.error().message.find("/nonexistent/spec.yaml"), std::string::npos);

    const std::string path = ::testing::TempDir() + "meshorch_bad_spec.yaml";
    {
        std::ofstream out(path);
        out << "apiVersion: meshorch.io/v1alpha1\nkind: Servise\n";
    }
    auto bad = load_spec_file(path);
    std::remove(path.c_str());
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::invalid_spec);
    EXPECT_EQ(bad.error().message.rfind(path + ": ", 0), 0u) << bad.error().message;
}

// ---- the samples ------------------------------------------------------------------------------

class Samples : public ::testing::TestWithParam<const char*> {};

TEST_P(Samples, LoadAndValidate) {
    auto spec = load_spec_file(sample_path(GetParam()));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_TRUE(validate(*spec).empty());
    for (const auto& ms : spec->microservices) {
        for (const auto& v : ms.versions) {
            EXPECT_FALSE(v.vnf.vnfd_id.empty()) << ms.name << "/" << v.name;
        }
    }
}

TEST_P(Samples, RoundTripYamlAndJson) {
    auto spec = load_spec_file(sample_path(GetParam()));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    for (Format format : {Format::yaml, Format::json}) {
        const std::string text = dump_spec(*spec, format);
        auto again = load_spec(text);
        ASSERT_TRUE(again.ok()) << again.error().describe() << "\n" << text;
        EXPECT_EQ(*again, *spec) << text;
        EXPECT_EQ(dump_spec(*again, format), text);  // the dump is canonical
    }
    EXPECT_EQ(spec_to_json(*spec), parse_document(dump_spec(*spec, Format::json))->value);
}

INSTANTIATE_TEST_SUITE_P(ExampleSpecs, Samples, ::testing::ValuesIn(samples), [](const auto& p) {
    std::string name = p.param;
    name = name.substr(0, name.find('.'));
    for (char& c : name) c = c == '-' ? '_' : c;
    return name;
});

TEST(Samples, HybridBookinfoHasTheDocumentedShape) {
    auto spec = load_spec_file(sample_path("bookinfo-hybrid.yaml"));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    const Microservice* reviews = spec->find_microservice("reviews");
    ASSERT_NE(reviews, nullptr);
    ASSERT_EQ(reviews->versions.size(), 3u);
    EXPECT_EQ(reviews->versions[0].substrate(), Substrate::vm);
    EXPECT_EQ(reviews->versions[0].instance_count(), 2);
    EXPECT_EQ(reviews->versions[1].substrate(), Substrate::container);
    EXPECT_EQ(reviews->versions[2].substrate(), Substrate::container);
    EXPECT_EQ(spec->find_microservice("productpage")->versions[0].substrate(),
              Substrate::container);
    EXPECT_EQ(spec->find_microservice("details")->versions[0].substrate(), Substrate::vm);
    EXPECT_EQ(spec->find_microservice("ratings")->versions[0].substrate(), Substrate::vm);
    const Link& to_reviews = spec->links[0];
    EXPECT_EQ(to_reviews.from, "productpage");
    EXPECT_EQ(to_reviews.to, "reviews");
    ASSERT_EQ(to_reviews.routes.size(), 2u);
    EXPECT_EQ(to_reviews.routes[0].match->headers.at("end-user"),
              (StringMatch{MatchKind::exact, "jason"}));
    EXPECT_EQ(to_reviews.routes[0].split, (std::vector<WeightedVersion>{{"v2", 100}}));
    EXPECT_EQ(to_reviews.routes[1].split, (std::vector<WeightedVersion>{{"v1", 90}, {"v3", 10}}));
    EXPECT_TRUE(to_reviews.timeout);
    EXPECT_TRUE(to_reviews.retries);
}

// ---- round trip of specs built in code --------------------------------------------------------

TEST(DumpSpec, RoundTripsEveryField) {
    auto base = load_spec(base_spec_yaml);
    ASSERT_TRUE(base.ok());
    ServiceSpec s = *base;
    s.namespace_ = "shop-prod";
    s.mesh = MeshSettings{MtlsMode::permissive, false, "example.org", "canary"};
    HealthCheck exec;
    exec.probe = ExecCheck{{"/bin/check", "--quick", "9080", "true", ""}};
    exec.initial_delay = 1500ms;
    exec.period = 2min;
    exec.timeout = 250ms;
    exec.success_threshold = 2;
    exec.failure_threshold = 7;
    s.microservices[1].health_check = exec;
    s.microservices[1].traffic_policy.connection_pool = ConnectionPool{1, 1ms, 2, 3, 0, 0};
    s.microservices[1].versions[0].vnf.extra_params =
        json::object{{"n", 1.25},
                     {"list", json::array{1, "2", nullptr, true}},
                     {"nested", json::object{{"k", "null"}}}};
    auto& c = std::get<ContainerWorkload>(s.microservices[0].versions[0].workload);
    c.limits.cpu.clear();
    c.requests.memory.clear();
    Link& l = s.links[0];
    l.fault->delay->percentage = 0.1;
    l.fault->abort->percentage = 33.333333333333336;
    l.mirror->percentage = 100;
    l.retries->per_try_timeout.reset();
    l.routes[0].match->uri = StringMatch{MatchKind::regex, "^/api/v[0-9]+$"};
    l.routes[0].match->headers["x-canary"] = StringMatch{MatchKind::prefix, "yes"};
    l.routes[1].split = {{"v1", 0}, {"v2", 100}};
    ASSERT_TRUE(validate(s).empty())
        << validate(s).front().path << ": " << validate(s).front().reason;
    for (Format format : {Format::yaml, Format::json}) {
        auto again = load_spec(dump_spec(s, format));
        ASSERT_TRUE(again.ok()) << again.error().describe() << dump_spec(s, format);
        EXPECT_EQ(*again, s) << dump_spec(s, format);
    }
}

TEST(DumpSpec, WritesEveryFieldExplicitly) {
    auto spec = load_spec(base_spec_yaml);
    ASSERT_TRUE(spec.ok());
    const json::value doc = spec_to_json(*spec);
    EXPECT_EQ(doc.at_pointer("/metadata/namespace"), json::value("shop"));
    EXPECT_EQ(
        doc.at_pointer("/spec/mesh"),
        json_of(R"({"mtls": "STRICT", "defaultDeny": true, "trustDomain": "cluster.local"})"));
    EXPECT_EQ(doc.at_pointer("/spec/microservices/0/ports/0"),
              json_of(R"({"name": "http", "number": 8080, "protocol": "HTTP"})"));
    EXPECT_EQ(doc.at_pointer("/spec/microservices/0/healthCheck"),
              json_of(R"({"httpGet": {"path": "/healthz", "port": 8080}, "initialDelay": "0s",
                          "period": "10s", "timeout": "1s", "successThreshold": 1,
                          "failureThreshold": 3})"));
    EXPECT_EQ(doc.at_pointer("/spec/links/1/port"), json::value("tcp-db"));
    EXPECT_EQ(doc.at_pointer("/spec/links/0/fault/delay"),
              json_of(R"({"fixedDelay": "5s", "percentage": 10})"));
}

// ---- durations --------------------------------------------------------------------------------

TEST(Duration, ParsesUnitsDecimalsAndSums) {
    struct Case {
        const char* text;
        std::int64_t ms;
    };
    for (const Case& c :
         {Case{"10s", 10000}, Case{"500ms", 500}, Case{"1m", 60000}, Case{"1h", 3600000},
          Case{"1.5s", 1500}, Case{"0.25s", 250}, Case{".5s", 500}, Case{"1m30s", 90000},
          Case{"1h1m1s1ms", 3661001}, Case{"0s", 0}, Case{"0.001s", 1}, Case{"1.5000s", 1500},
          Case{"0.5m", 30000}, Case{"0.0001h", 360}}) {
        Duration d{-1};
        std::string why;
        ASSERT_TRUE(spec_detail::parse_duration(c.text, d, why)) << c.text << ": " << why;
        EXPECT_EQ(d.count(), c.ms) << c.text;
    }
}

TEST(Duration, RefusesBadText) {
    for (const char* text :
         {"", "10", "s", "-1s", "+1s", "1.s", "1.5", "10 s", "10sec", "5us", "1ns", "0.5ms",
          "1.0001s", "1e3s", "99999999999999999999h", "2562047788015216h", "1s-"}) {
        Duration d{0};
        std::string why;
        EXPECT_FALSE(spec_detail::parse_duration(text, d, why)) << text;
        EXPECT_FALSE(why.empty()) << text;
    }
}

TEST(Duration, FormatsCanonically) {
    EXPECT_EQ(spec_detail::format_duration(0ms), "0s");
    EXPECT_EQ(spec_detail::format_duration(250ms), "250ms");
    EXPECT_EQ(spec_detail::format_duration(10s), "10s");
    EXPECT_EQ(spec_detail::format_duration(1500ms), "1.5s");
    EXPECT_EQ(spec_detail::format_duration(1001ms), "1.001s");
    EXPECT_EQ(spec_detail::format_duration(2min), "120s");
    for (std::int64_t ms :
         {0LL, 1LL, 999LL, 1000LL, 1001LL, 1010LL, 59999LL, 3600000LL, 123456789LL}) {
        Duration back{-1};
        std::string why;
        ASSERT_TRUE(
            spec_detail::parse_duration(spec_detail::format_duration(Duration(ms)), back, why));
        EXPECT_EQ(back.count(), ms);
    }
}

}  // namespace
}  // namespace meshorch::test
