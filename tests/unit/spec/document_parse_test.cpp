// parse_document / parse_documents: YAML 1.2 core-schema typing, JSON, positions, errors.

#include "spec_test_support.hpp"

#include <cmath>
#include <limits>

namespace meshorch::test {
namespace {

namespace json = boost::json;

json::value parse_ok(std::string_view text) {
    auto doc = parse_document(text);
    EXPECT_TRUE(doc.ok()) << doc.error().describe();
    return doc.ok() ? doc->value : json::value();
}

TEST(ParseYaml, TypesPlainScalarsByTheCoreSchema) {
    const json::value v = parse_ok(R"(
int: 9080
negative: -12
plus: +12
leading_zeros: 007
hex: 0x1F
octal: 0o17
float: 1.5
exponent: 1e3
dot_float: .5
inf: .inf
minus_inf: -.Inf
bool_true: true
bool_title: True
bool_false: FALSE
null_word: null
tilde: ~
empty:
yes_is_a_string: yes
on_is_a_string: on
underscore_int_is_a_string: 1_000
sexagesimal_is_a_string: 12:30
version_is_a_string: 1.20.1
quantity: 100m
big: 18446744073709551615
bigger: 99999999999999999999
)");
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("int"), json::value(9080));
    EXPECT_TRUE(o.at("int").is_int64());
    EXPECT_EQ(o.at("negative").as_int64(), -12);
    EXPECT_EQ(o.at("plus").as_int64(), 12);
    EXPECT_EQ(o.at("leading_zeros").as_int64(), 7);
    EXPECT_EQ(o.at("hex").as_int64(), 31);
    EXPECT_EQ(o.at("octal").as_int64(), 15);
    EXPECT_EQ(o.at("float").as_double(), 1.5);
    EXPECT_EQ(o.at("exponent").as_double(), 1000.0);
    EXPECT_EQ(o.at("dot_float").as_double(), 0.5);
    EXPECT_EQ(o.at("inf").as_double(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(o.at("minus_inf").as_double(), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(o.at("bool_true"), json::value(true));
    EXPECT_EQ(o.at("bool_title"), json::value(true));
    EXPECT_EQ(o.at("bool_false"), json::value(false));
    EXPECT_TRUE(o.at("null_word").is_null());
    EXPECT_TRUE(o.at("tilde").is_null());
    EXPECT_TRUE(o.at("empty").is_null());
    EXPECT_EQ(o.at("yes_is_a_string"), json::value("yes"));
    EXPECT_EQ(o.at("on_is_a_string"), json::value("on"));
    EXPECT_EQ(o.at("underscore_int_is_a_string"), json::value("1_000"));
    EXPECT_EQ(o.at("sexagesimal_is_a_string"), json::value("12:30"));
    EXPECT_EQ(o.at("version_is_a_string"), json::value("1.20.1"));
    EXPECT_EQ(o.at("quantity"), json::value("100m"));
    EXPECT_TRUE(o.at("big").is_uint64());
    EXPECT_EQ(o.at("big").as_uint64(), 18446744073709551615ULL);
    EXPECT_TRUE(o.at("bigger").is_double());
    EXPECT_EQ(o.at("bigger").as_double(), 1e20);
}

TEST(ParseYaml, NanIsAFloat) {
    const json::value v = parse_ok("x: .nan\n");
    EXPECT_TRUE(std::isnan(v.at("x").as_double()));
}

TEST(ParseYaml, QuotedAndTaggedScalarsKeepTheirType) {
    const json::value v = parse_ok(R"(
double_quoted: "9080"
single_quoted: 'true'
quoted_null: "null"
quoted_empty: ""
str_tag: !!str 1.5
int_tag: !!int "42"
float_tag: !!float 3
bool_tag: !!bool "false"
non_specific: ! 12
literal: |
  line one
  line two
folded: >-
  one
  two
)");
    EXPECT_EQ(v.at("double_quoted"), json::value("9080"));
    EXPECT_EQ(v.at("single_quoted"), json::value("true"));
    EXPECT_EQ(v.at("quoted_null"), json::value("null"));
    EXPECT_EQ(v.at("quoted_empty"), json::value(""));
    EXPECT_EQ(v.at("str_tag"), json::value("1.5"));
    EXPECT_EQ(v.at("int_tag"), json::value(42));
    EXPECT_TRUE(v.at("float_tag").is_double());
    EXPECT_EQ(v.at("float_tag").as_double(), 3.0);
    EXPECT_EQ(v.at("bool_tag"), json::value(false));
    EXPECT_EQ(v.at("non_specific"), json::value("12"));
    EXPECT_EQ(v.at("literal"), json::value("line one\nline two\n"));
    EXPECT_EQ(v.at("folded"), json::value("one two"));
}

TEST(ParseYaml, KeepsKeyOrderAndNesting) {
    const json::value v = parse_ok("zeta: 1\nalpha:\n  - b: 2\n    a: [x, {c: 3}]\nmid: {}\n");
    const auto& o = v.as_object();
    std::vector<std::string> keys;
    for (const auto& kv : o) keys.emplace_back(kv.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"zeta", "alpha", "mid"}));
    EXPECT_EQ(v.at("alpha"), json_of(R"([{"b": 2, "a": ["x", {"c": 3}]}])"));
    EXPECT_EQ(v.at("mid"), json::value(json::object{}));
}

TEST(ParseYaml, ExpandsAliases) {
    const json::value v = parse_ok("base: &b {cpu: 100m}\ncopy: *b\n");
    EXPECT_EQ(v.at("copy"), v.at("base"));
}

TEST(ParseYaml, RecordsPositionsOfKeysAndItems) {
    auto doc = parse_document("a: 1\nlist:\n  - x\n  - {y: 2}\n");
    ASSERT_TRUE(doc.ok());
    const SourceMap& p = doc->positions;
    EXPECT_EQ(p.at(""), std::pair(1, 1));
    EXPECT_EQ(p.at("a"), std::pair(1, 1));
    EXPECT_EQ(p.at("list"), std::pair(2, 1));
    EXPECT_EQ(p.at("list[0]"), std::pair(3, 5));
    EXPECT_EQ(p.at("list[1]"), std::pair(4, 5));
    EXPECT_EQ(p.at("list[1].y"), std::pair(4, 6));
}

TEST(ParseYaml, SyntaxErrorHasLineAndColumn) {
    auto doc = parse_document("a: 1\nb: [1, 2\nc: 3\n");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
    EXPECT_GT(doc.error().line, 1);
    EXPECT_GT(doc.error().column, 0);
    EXPECT_NE(doc.error().message.find("invalid YAML"), std::string::npos);
}

TEST(ParseYaml, BadIndentationIsAnError) {
    auto doc = parse_document("a:\n  b: 1\n c: 2\n");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
    EXPECT_EQ(doc.error().line, 3);
}

TEST(ParseYaml, DuplicateKeyIsAnError) {
    auto doc = parse_document("name: a\nports: []\nname: b\n");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
    EXPECT_EQ(doc.error().line, 3);
    EXPECT_EQ(doc.error().column, 1);
    EXPECT_NE(doc.error().message.find("duplicate key \"name\""), std::string::npos);
}

TEST(ParseYaml, RefusesUnknownTagsAndNonStringKeys) {
    auto tagged = parse_document("a: !secret xyz\n");
    ASSERT_FALSE(tagged.ok());
    EXPECT_NE(tagged.error().message.find("unsupported tag"), std::string::npos);
    auto complex_key = parse_document("? [a, b]\n: 1\n");
    ASSERT_FALSE(complex_key.ok());
    EXPECT_NE(complex_key.error().message.find("mapping key"), std::string::npos);
    auto bad_int = parse_document("a: !!int abc\n");
    ASSERT_FALSE(bad_int.ok());
    EXPECT_NE(bad_int.error().message.find("\"abc\" is not a valid int"), std::string::npos);
}

TEST(ParseYaml, RecursiveAliasIsRefused) {
    auto doc = parse_document("a: &x [*x]\n");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
}

TEST(ParseYaml, AliasBombIsRefused) {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c) {
        text += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) text += std::string(i ? ", *" : "*") + prev;
        text += "]\n";
        prev = c;
    }
    auto doc = parse_document(text);  // 10^10 strings once expanded
    ASSERT_FALSE(doc.ok());
    EXPECT_NE(doc.error().message.find("too large"), std::string::npos);
}

// yaml-cpp 0.7 alone loops forever on these (a ',' outside a flow collection).
TEST(ParseYaml, StrayFlowEntryIsAnErrorNotAHang) {
    for (const char* text : {",", "# comment\n[a],", "a: b\n---\n,\n"}) {
        auto docs = parse_documents(text);
        ASSERT_FALSE(docs.ok()) << text;
        EXPECT_EQ(docs.error().code, Errc::parse_error);
        EXPECT_NE(docs.error().message.find("unexpected ','"), std::string::npos)
            << docs.error().message;
        EXPECT_GT(docs.error().line, 0);
    }
}

TEST(ParseYaml, OneDocumentOnly) {
    auto doc = parse_document("a: 1\n---\nb: 2\n");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
    EXPECT_NE(doc.error().message.find("expected one document, found 2"), std::string::npos);
    EXPECT_EQ(doc.error().line, 3);
    // A leading or trailing separator does not make a second document.
    EXPECT_TRUE(parse_document("---\na: 1\n---\n").ok());
    EXPECT_TRUE(parse_ok("").is_null());
}

TEST(ParseYaml, StreamOfDocuments) {
    auto docs = parse_documents("a: 1\n---\n---\n# only a comment\n---\n- b\n...\n---\nc: true\n");
    ASSERT_TRUE(docs.ok()) << docs.error().describe();
    ASSERT_EQ(docs->size(), 3u);
    EXPECT_EQ((*docs)[0].value, json_of(R"({"a": 1})"));
    EXPECT_EQ((*docs)[1].value, json_of(R"(["b"])"));
    EXPECT_EQ((*docs)[2].value, json_of(R"({"c": true})"));
    EXPECT_EQ((*docs)[2].positions.at("c").first, 9);
}

TEST(ParseJson, ParsesWithPositions) {
    auto doc =
        parse_document("{\n  \"a\": [1, 2.5, \"x\"],\n  \"b\": {\"c\": null, \"d\": true}\n}\n");
    ASSERT_TRUE(doc.ok()) << doc.error().describe();
    EXPECT_EQ(doc->value, json_of(R"({"a": [1, 2.5, "x"], "b": {"c": null, "d": true}})"));
    EXPECT_TRUE(doc->value.at("a").at(0).is_int64());
    EXPECT_EQ(doc->positions.at("a"), std::pair(2, 3));
    EXPECT_EQ(doc->positions.at("a[2]"), std::pair(2, 17));
    EXPECT_EQ(doc->positions.at("b.d"), std::pair(3, 20));
}

TEST(ParseJson, DecodesEscapesAndKeepsKeyOrder) {
    const json::value v = parse_ok(R"({"z": "a\"b\\c\n\u00e9\ud83d\ude00", "a": 1})");
    EXPECT_EQ(v.at("z"), json::value("a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80"));
    EXPECT_EQ(v.as_object().begin()->key(), "z");
}

TEST(ParseJson, NumbersAreExact) {
    const json::value v = parse_ok(
        R"([0.1, 1e300, 5e-324, -0.0, 9007199254740993, 18446744073709551615, 1e400, 2.2250738585072011e-308])");
    EXPECT_EQ(v.at(0).as_double(), 0.1);
    EXPECT_EQ(v.at(1).as_double(), 1e300);
    EXPECT_EQ(v.at(2).as_double(), 5e-324);
    EXPECT_TRUE(std::signbit(v.at(3).as_double()));
    EXPECT_EQ(v.at(4).as_int64(), 9007199254740993LL);
    EXPECT_EQ(v.at(5).as_uint64(), 18446744073709551615ULL);
    EXPECT_TRUE(std::isinf(v.at(6).as_double()));
    EXPECT_EQ(v.at(7).as_double(), 2.2250738585072011e-308);
}

TEST(ParseJson, SyntaxErrorHasLineAndColumn) {
    auto doc = parse_document("{\n  \"a\": [1, 2}\n}");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
    EXPECT_EQ(doc.error().line, 2);
    EXPECT_EQ(doc.error().column, 13);
    EXPECT_NE(doc.error().message.find("invalid JSON"), std::string::npos);
    EXPECT_NE(doc.error().message.find("'}'"), std::string::npos);
}

TEST(ParseJson, TruncatedInputPointsAtTheEnd) {
    auto doc = parse_document("{\"a\": {\"b\": 1}\n");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().line, 2);
    EXPECT_EQ(doc.error().column, 1);
    EXPECT_NE(doc.error().message.find("end of input"), std::string::npos);
}

TEST(ParseJson, TrailingContentAndDuplicateKeysAreErrors) {
    auto trailing = parse_document("{\"a\": 1} {\"b\": 2}");
    ASSERT_FALSE(trailing.ok());
    EXPECT_EQ(trailing.error().column, 10);
    auto dup = parse_document("{\"a\": 1,\n \"a\": 2}");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().line, 2);
    EXPECT_EQ(dup.error().column, 2);
    EXPECT_NE(dup.error().message.find("duplicate key \"a\""), std::string::npos);
}

TEST(ParseJson, TrailingCommaAndCommentsAreErrors) {
    EXPECT_FALSE(parse_document("{\"a\": 1,}").ok());
    EXPECT_FALSE(parse_document("{\"a\": 1 // c\n}").ok());
}

TEST(ParseJson, ColumnsCountCharactersNotBytes) {
    auto doc = parse_document("{\"\xC3\xA9\xC3\xA9\": x}");
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().column, 8);
}

TEST(ParseJson, DeepNestingIsRefused) {
    std::string text(200, '[');
    text += std::string(200, ']');
    auto doc = parse_document(text);
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.error().code, Errc::parse_error);
}

TEST(ParseDocument, ByteOrderMarkIsSkipped) {
    EXPECT_EQ(parse_ok("\xEF\xBB\xBF{\"a\": 1}"), json_of(R"({"a": 1})"));
    EXPECT_EQ(parse_ok("\xEF\xBB\xBF"
                       "a: 1\n"),
              json_of(R"({"a": 1})"));
}

}  // namespace
}  // namespace meshorch::test
