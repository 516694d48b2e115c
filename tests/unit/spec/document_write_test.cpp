// to_yaml, to_yaml_stream, to_pretty_json: exact layout, quoting, and lossless round trips.

#include "spec_test_support.hpp"

#include <chrono>
#include <cmath>
#include <limits>

namespace meshorch::test {
namespace {

namespace json = boost::json;

json::value reparse(const std::string& text) {
    auto doc = parse_document(text);
    EXPECT_TRUE(doc.ok()) << doc.error().describe() << "\n" << text;
    return doc.ok() ? doc->value : json::value();
}

TEST(ToYaml, BlockLayoutLikeKubectl) {
    const json::value v = json_of(R"({
      "apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "reviews", "labels": {"app": "reviews"}},
      "spec": {"ports": [{"name": "http", "port": 9080}], "selector": {"app": "reviews"},
               "empty": {}, "none": [], "nested": [[1, 2], []]}})");
    EXPECT_EQ(to_yaml(v),
              "apiVersion: v1\n"
              "kind: Service\n"
              "metadata:\n"
              "  name: reviews\n"
              "  labels:\n"
              "    app: reviews\n"
              "spec:\n"
              "  ports:\n"
              "  - name: http\n"
              "    port: 9080\n"
              "  selector:\n"
              "    app: reviews\n"
              "  empty: {}\n"
              "  none: []\n"
              "  nested:\n"
              "  - - 1\n"
              "    - 2\n"
              "  - []\n");
}

TEST(ToYaml, KeepsKeyOrder) {
    json::object o;
    o["zeta"] = 1;
    o["alpha"] = 2;
    o["mid"] = 3;
    EXPECT_EQ(to_yaml(o), "zeta: 1\nalpha: 2\nmid: 3\n");
}

TEST(ToYaml, ScalarsAtTheTopLevel) {
    EXPECT_EQ(to_yaml(json::value("x")), "x\n");
    EXPECT_EQ(to_yaml(json::value(nullptr)), "null\n");
    EXPECT_EQ(to_yaml(json::object{}), "{}\n");
    EXPECT_EQ(to_yaml(json::array{}), "[]\n");
}

TEST(ToYaml, QuotesStringsThatWouldReadAsSomethingElse) {
    // clang-format off
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"9080", "\"9080\""},   {"true", "\"true\""},     {"False", "\"False\""},
        {"null", "\"null\""},   {"~", "\"~\""},           {"", "\"\""},
        {"1.5", "\"1.5\""},     {"1e3", "\"1e3\""},       {".inf", "\".inf\""},
        {"0x1F", "\"0x1F\""},   {"yes", "\"yes\""},       {"off", "\"off\""},
        {"y", "\"y\""},         {"1_000", "\"1_000\""},   {"12:30", "\"12:30\""},
        {"2024-01-31", "\"2024-01-31\""},                 {"1.20.1", "\"1.20.1\""},
        {"-", "\"-\""},         {"- a", "\"- a\""},       {"a: b", "\"a: b\""},
        {"key:", "\"key:\""},   {"#c", "\"#c\""},         {"a #c", "\"a #c\""},
        {"*ref", "\"*ref\""},   {"&anchor", "\"&anchor\""}, {"!tag", "\"!tag\""},
        {"{a}", "\"{a}\""},     {"[a]", "\"[a]\""},       {"'q'", "\"'q'\""},
        {" lead", "\" lead\""}, {"trail ", "\"trail \""}, {"@at", "\"@at\""},
        {"%dir", "\"%dir\""},   {"|", "\"|\""},           {">", "\">\""},
        {"tab\there", "\"tab\\there\""},                  {"q\"uote", "\"q\\\"uote\""},
        {"back\\slash", "\"back\\\\slash\""},             {"\x01", "\"\\x01\""},
        {"caf\xC3\xA9", "\"caf\xC3\xA9\""},               {"line\xE2\x80\xA8sep", "\"line\\u2028sep\""},
    };
    // clang-format on
    for (const auto& [in, out] : cases) {
        EXPECT_EQ(to_yaml(json::object{{"k", in}}), "k: " + out + "\n") << in;
    }
}

TEST(ToYaml, LeavesOrdinaryStringsPlain) {
    for (std::string s :
         {"reviews", "docker.io/istio/examples-bookinfo-reviews-v2:1.20.1", "100m", "128Mi",
          "5xx,connect-failure", "/health", "hello world", "v1",
          "spiffe://cluster.local/ns/bookinfo/sa/reviews", "a-b_c.d", "nan", "e5"}) {
        EXPECT_EQ(to_yaml(json::object{{"k", s}}), "k: " + s + "\n") << s;
    }
}

TEST(ToYaml, QuotesKeysThatNeedIt) {
    const json::value v =
        json::object{{"9080", 1}, {"true", 2}, {"app.kubernetes.io/name", 3}, {"", 4}, {"a: b", 5}};
    EXPECT_EQ(to_yaml(v),
              "\"9080\": 1\n\"true\": 2\napp.kubernetes.io/name: 3\n\"\": 4\n\"a: b\": 5\n");
    EXPECT_EQ(reparse(to_yaml(v)), v);
}

TEST(ToYaml, LongKeysUseTheExplicitForm) {
    const std::string long_key(1500, 'k');
    const json::value v = json::object{
        {long_key, json::object{{"a", 1}}},
        {"list", json::array{json::object{{long_key, json::array{1, 2}}, {"b", long_key}}}},
        {"short", 1}};
    const std::string text = to_yaml(v);
    EXPECT_EQ(text.rfind("? " + long_key + "\n:\n  a: 1\n", 0), 0u) << text.substr(0, 40);
    EXPECT_NE(text.find("- ? " + long_key + "\n  :\n    - 1\n    - 2\n  b: " + long_key),
              std::string::npos);
    EXPECT_EQ(reparse(text), v);
}

TEST(ToYaml, MultiLineStringsAreLiteralBlocks) {
    const json::value v = json::object{
        {"data", json::object{{"cluster.env", "ISTIO_NAMESPACE=bookinfo\nPROXY_CONFIG={}\n"},
                              {"no_newline", "a\nb"}}},
        {"list", json::array{"x\ny\n"}}};
    const std::string text = to_yaml(v);
    EXPECT_EQ(text,
              "data:\n"
              "  cluster.env: |\n"
              "    ISTIO_NAMESPACE=bookinfo\n"
              "    PROXY_CONFIG={}\n"
              "  no_newline: |-\n"
              "    a\n"
              "    b\n"
              "list:\n"
              "- |\n"
              "  x\n"
              "  y\n");
    EXPECT_EQ(reparse(text), v);
}

TEST(ToYaml, AwkwardMultiLineStringsFallBackToQuotes) {
    for (std::string s : {" leading space\nx", "two trailing\n\n", "blank\n   \nline",
                          "carriage\r\nreturn", "\nleading newline", "tab\tand\nnewline"}) {
        const json::value v = json::object{{"k", s}};
        const std::string text = to_yaml(v);
        EXPECT_EQ(text.rfind("k: \"", 0), 0u) << text;
        EXPECT_EQ(reparse(text), v) << text;
    }
}

TEST(ToYaml, NumbersReadBackWithTheirType) {
    const json::value v = json::array{0,
                                      -1,
                                      std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::uint64_t>::max(),
                                      1.0,
                                      0.1,
                                      -0.0,
                                      1e300,
                                      5e-324,
                                      123456.789,
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      true,
                                      false,
                                      nullptr};
    const std::string text = to_yaml(v);
    EXPECT_NE(text.find("- 1.0\n"), std::string::npos) << text;
    EXPECT_NE(text.find("- .inf\n"), std::string::npos) << text;
    const json::value back = reparse(text);
    ASSERT_EQ(back.as_array().size(), v.as_array().size());
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
        EXPECT_EQ(back.at(i).kind(), v.at(i).kind()) << i;
        EXPECT_EQ(back.at(i), v.at(i)) << i;
    }
    EXPECT_TRUE(std::signbit(back.at(6).as_double()));
    EXPECT_EQ(to_yaml(json::value(std::nan(""))), ".nan\n");
}

TEST(ToYaml, RoundTripsTrickyStrings) {
    json::array strings;
    // clang-format off
    const std::vector<std::string> tricky = {
        "", " ", "-1", "+1", "0o17", "0b101", ".5", "1.", "NULL", "Yes", "ON", "~x", "x~", "a:b",
        "a:", ":a", "a,b", "[", "]", "{", "}", "?", "? x", "---", "...", "--- x", "\"", "'", "\\",
        "#", "a#b", "=", "<<", "\xC3\xA9", "\xEF\xBB\xBF" "bom", "nel\xC2\x85", "nbsp\xC2\xA0",
        "ls\xE2\x80\xA8", "\x7f", std::string("nul\0byte", 8), "a\nb", "a\n", "\n", "\n\n",
        "1:2:3", "1e", "e1", "0x", "0xG", ".", "..", "12e", "1_0.5", "2001-12-14t21:59:43.10-05:00"};
    // clang-format on
    for (const std::string& s : tricky) strings.emplace_back(s);
    json::object keys;
    for (const auto& s : strings) keys[s.as_string()] = 1;
    const json::value v = json::object{{"strings", strings}, {"keys", keys}};
    EXPECT_EQ(reparse(to_yaml(v)), v) << to_yaml(v);
}

TEST(ToYamlStream, JoinsDocumentsWithSeparators) {
    const std::vector<json::value> docs = {json_of(R"({"kind": "Namespace"})"),
                                           json_of(R"({"kind": "Service", "items": [1]})")};
    const std::string text = to_yaml_stream(docs);
    EXPECT_EQ(text, "kind: Namespace\n---\nkind: Service\nitems:\n- 1\n");
    auto back = parse_documents(text);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[0].value, docs[0]);
    EXPECT_EQ((*back)[1].value, docs[1]);
    EXPECT_EQ(to_yaml_stream({}), "");
}

TEST(ToYamlStream, StreamStartingWithAnEmptyCollectionStaysYaml) {
    const std::vector<json::value> docs = {json::array{}, json::value("x")};
    const std::string text = to_yaml_stream(docs);
    EXPECT_EQ(text, "---\n[]\n---\nx\n");
    auto back = parse_documents(text);
    ASSERT_TRUE(back.ok()) << back.error().describe();
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[0].value, docs[0]);
    EXPECT_EQ((*back)[1].value, docs[1]);
    EXPECT_EQ(to_yaml_stream({json::object{}}), "{}\n");
}

TEST(ToPrettyJson, IndentsAndKeepsOrder) {
    const json::value v =
        json_of(R"({"b": [1, {"x": "y\n\"z\""}], "a": {}, "c": [], "d": 1.0, "e": null})");
    EXPECT_EQ(to_pretty_json(v),
              "{\n"
              "  \"b\": [\n"
              "    1,\n"
              "    {\n"
              "      \"x\": \"y\\n\\\"z\\\"\"\n"
              "    }\n"
              "  ],\n"
              "  \"a\": {},\n"
              "  \"c\": [],\n"
              "  \"d\": 1.0,\n"
              "  \"e\": null\n"
              "}\n");
    EXPECT_EQ(reparse(to_pretty_json(v)), v);
}

TEST(ToPrettyJson, EscapesControlCharactersAndReadsBack) {
    const json::value v = json::object{{"s", std::string("a\x01\tb\x1f\xC3\xA9", 7)}};
    EXPECT_EQ(to_pretty_json(v), "{\n  \"s\": \"a\\u0001\\tb\\u001F\xC3\xA9\"\n}\n");
    EXPECT_EQ(reparse(to_pretty_json(v)), v);
    EXPECT_EQ(to_pretty_json(json::value(std::numeric_limits<double>::infinity())), "null\n");
}

// 30k objects, as a big render produces: the writers must stay linear.
TEST(Writers, LargeOutputsStayFast) {
    std::vector<json::value> docs;
    for (int i = 0; i < 30000; ++i) {
        docs.push_back(json::object{
            {"apiVersion", "networking.istio.io/v1"},
            {"kind", "WorkloadEntry"},
            {"metadata", json::object{{"name", "svc-v1-" + std::to_string(i)},
                                      {"labels", json::object{{"app", "svc"}, {"version", "v1"}}}}},
            {"spec", json::object{{"address", "10.0." + std::to_string(i / 250) + "." +
                                                  std::to_string(i % 250)},
                                  {"ports", json::object{{"http", 9080}}}}}});
    }
    const auto start = std::chrono::steady_clock::now();
    const std::string yaml = to_yaml_stream(docs);
    const std::string pretty = to_pretty_json(json::value(json::array(docs.begin(), docs.end())));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GT(yaml.size(), 30000u * 100);
    EXPECT_GT(pretty.size(), 30000u * 100);
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}

}  // namespace
}  // namespace meshorch::test
