// ServiceRecord <-> JSON: an exact round trip, and errors that name the field.
#include "store/record_codec.hpp"
#include "unit/store/store_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace meshorch::store_test {
namespace {

using store_detail::decode_record;
using store_detail::decode_record_text;
using store_detail::encode_record;
using store_detail::encode_record_text;

void expect_same_record(const ServiceRecord& a, const ServiceRecord& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.applied_spec, b.applied_spec);
    EXPECT_EQ(a.applied_objects, b.applied_objects);
    EXPECT_EQ(a.vnfs, b.vnfs);
    EXPECT_EQ(a.observed, b.observed);
    EXPECT_EQ(a.namespace_created, b.namespace_created);
    EXPECT_EQ(a.token_expiry, b.token_expiry);
}

TEST(RecordCodec, ARenderedBookinfoRecordRoundTripsExactly) {
    const ServiceRecord r = rich_record();
    ASSERT_TRUE(r.applied_spec);
    ASSERT_GT(r.applied_objects.size(), 20u);
    ASSERT_EQ(r.observed.vms.size(), 3u);  // details v1, reviews v1 (two VMs), ratings v1
    ASSERT_EQ(r.token_expiry.size(), 4u);

    auto back = decode_record_text(encode_record_text(r));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    expect_same_record(r, *back);
    // And the text is stable: what was read writes out the same.
    EXPECT_EQ(encode_record_text(*back), encode_record_text(r));
}

Result<ServiceRecord> decode_damaged(const ServiceRecord& r,
                                     const std::function<void(boost::json::object&)>& damage) {
    boost::json::value doc = encode_record(r);
    damage(doc.as_object());
    return decode_record(doc);
}

OperationJournal sample_journal(const ServiceSpec& target) {
    OperationJournal j;
    j.id = "op-000042-beef";
    j.kind = OperationKind::reconfigure;
    j.state = OperationState::injecting;
    j.started = std::chrono::system_clock::time_point(1'717'171'717'000'000'001ns);
    j.target = target;
    j.workload = {"reviews", "v1", 1};
    j.rolling_back = true;
    j.error_code = Errc::backend;
    j.error_message = "inject \"10.0.0.7\" rejected";
    j.touched_vnfs = {"bookinfo-reviews-v1", "bookinfo-reviews-v3"};
    j.creating_vnfs = {"bookinfo-reviews-v3"};
    j.lcm_operations = {{"bookinfo-reviews-v1", "op-occ-17"}};
    j.injecting = {"server-reviews-v1-1"};
    return j;
}

TEST(RecordCodec, TheJournalOfAnOperationInFlightRoundTrips) {
    ServiceRecord r = rich_record();
    r.operation = sample_journal(*r.applied_spec);
    auto back = decode_record_text(encode_record_text(r));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    expect_same_record(r, *back);
    ASSERT_TRUE(back->operation);
    const OperationJournal& j = *back->operation;
    const OperationJournal& want = *r.operation;
    EXPECT_EQ(j.id, want.id);
    EXPECT_EQ(j.kind, want.kind);
    EXPECT_EQ(j.state, want.state);
    EXPECT_EQ(j.started, want.started);
    EXPECT_EQ(j.target, want.target);
    EXPECT_EQ(j.workload, want.workload);
    EXPECT_EQ(j.rolling_back, want.rolling_back);
    EXPECT_EQ(j.error_code, want.error_code);
    EXPECT_EQ(j.error_message, want.error_message);
    EXPECT_EQ(j.touched_vnfs, want.touched_vnfs);
    EXPECT_EQ(j.creating_vnfs, want.creating_vnfs);
    EXPECT_EQ(j.lcm_operations, want.lcm_operations);
    EXPECT_EQ(j.injecting, want.injecting);
    EXPECT_EQ(encode_record_text(*back), encode_record_text(r));
}

TEST(RecordCodec, ARecordWithoutAJournalFieldReadsAsNoOperation) {
    const ServiceRecord r = rich_record();
    auto back = decode_damaged(r, [](auto& d) { d.erase("operation"); });
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_FALSE(back->operation);
}

TEST(RecordCodec, AWrongJournalFieldIsAnIoErrorThatNamesIt) {
    ServiceRecord r = rich_record();
    r.operation = sample_journal(*r.applied_spec);
    const std::vector<std::pair<std::function<void(boost::json::object&)>, std::string>> cases = {
        {[](auto& d) { d["operation"].as_object()["kind"] = "upgrade"; },
         "operation.kind: unknown value \"upgrade\""},
        {[](auto& d) { d["operation"].as_object()["state"] = 3; }, "operation.state: not a string"},
        {[](auto& d) { d["operation"].as_object()["injecting"].as_array().push_back(1); },
         "operation.injecting[1]: not a string"},
        {[](auto& d) { d["operation"].as_object().erase("rolling_back"); },
         "operation.rolling_back: missing"},
    };
    for (const auto& [damage, names] : cases) {
        auto back = decode_damaged(r, damage);
        ASSERT_FALSE(back.ok()) << names;
        EXPECT_EQ(back.error().code, Errc::io);
        EXPECT_NE(back.error().message.find(names), std::string::npos) << back.error().message;
    }
}

TEST(RecordCodec, TokenExpiriesKeepEveryNanosecond) {
    ServiceRecord r;
    r.name = "clock";
    using std::chrono::system_clock;
    r.token_expiry["epoch"] = system_clock::time_point{};
    r.token_expiry["odd"] = system_clock::time_point(1'999'999'999'999'999'999ns);
    r.token_expiry["before-epoch"] = system_clock::time_point(-123'456'789ns);
    r.token_expiry["now"] = system_clock::now();
    auto back = decode_record_text(encode_record_text(r));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(back->token_expiry, r.token_expiry);
}

TEST(RecordCodec, AnEmptyRecordRoundTrips) {
    ServiceRecord r;
    r.name = "empty";
    auto back = decode_record_text(encode_record_text(r));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    expect_same_record(r, *back);
    EXPECT_FALSE(back->applied_spec);
}

TEST(RecordCodec, ObjectKeysAreKeptAsStored) {
    ServiceRecord r;
    r.name = "keys";
    Object o;
    o.key = {"v1", "Namespace", "", "shop"};
    o.manifest = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "shop"}}}};
    r.applied_objects.put(o);
    auto back = decode_record(encode_record(r));
    ASSERT_TRUE(back.ok()) << back.error().describe();
    ASSERT_EQ(back->applied_objects.size(), 1u);
    EXPECT_EQ(back->applied_objects.begin()->first, o.key);
}

// Decodes `r` encoded, after `damage` changed the document.

TEST(RecordCodec, AWrongFieldIsAnIoErrorThatNamesIt) {
    const ServiceRecord r = rich_record();
    struct Case {
        std::function<void(boost::json::object&)> damage;
        std::string names;
    };
    const std::vector<Case> cases = {
        {[](auto& d) { d.erase("vnfs"); }, "vnfs: missing"},
        {[](auto& d) { d["namespace_created"] = "yes"; }, "namespace_created: not a boolean"},
        {[](auto& d) { d["token_expiry"].as_object()["x"] = 1.5; },
         "token_expiry.x: not an integer"},
        {[](auto& d) {
             d["observed"].as_array()[1].as_object()["vms"].as_array()[0].as_object()["address"] =
                 7;
         },
         "observed[1].vms[0].address: not a string"},
        {[](auto& d) { d["applied_objects"].as_array()[2].as_object().erase("manifest"); },
         "applied_objects[2].manifest: missing"},
        {[](auto& d) { d["applied_spec"].as_object()["kind"] = "Nope"; }, "applied_spec: "},
        {[](auto& d) { d["name"] = ""; }, "name: empty"},
    };
    for (const auto& c : cases) {
        auto back = decode_damaged(r, c.damage);
        ASSERT_FALSE(back.ok()) << c.names;
        EXPECT_EQ(back.error().code, Errc::io);
        EXPECT_NE(back.error().message.find(c.names), std::string::npos) << back.error().message;
    }
}

TEST(RecordCodec, TextThatIsNotJsonIsAnIoError) {
    for (const char* text : {"", "{", "[1,2]", "null", "{\"name\": \"x\""}) {
        auto back = decode_record_text(text);
        ASSERT_FALSE(back.ok()) << text;
        EXPECT_EQ(back.error().code, Errc::io) << text;
    }
}

}  // namespace
}  // namespace meshorch::store_test
