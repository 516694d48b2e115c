// Server-Sent Events, slow clients and stopping with streams open.
#include "api_support.hpp"

#include <future>

namespace meshorch::api::test {
namespace {

namespace json = boost::json;

json::object data_of(const SseEvent& e) {
    return json::parse(e.data).as_object();
}

bool has_final_operation_event(const std::vector<SseEvent>& events, std::string_view state) {
    for (const auto& e : events) {
        if (e.event == "operation" &&
            e.data.find("\"operationState\":\"" + std::string(state) + "\"") != std::string::npos)
            return true;
    }
    return false;
}

TEST(ApiEvents, AStreamCarriesTheEventsOfADeployInOrderUntilSucceeded) {
    ApiHarness h;
    SseReader reader(h.client, h.server->url() + "/v1/events", admin_token);
    ASSERT_TRUE(reader.wait_head());
    auto head = reader.head();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("Content-Type"), "text/event-stream");

    auto r = h.call("POST", "/v1/services", shop_spec());
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string id(body_of(r).at("id").as_string());
    ASSERT_TRUE(reader.wait([&] {
        return has_final_operation_event(reader.events_locked(), "Succeeded");
    })) << reader.events().size()
        << " events";

    const auto events = reader.events();
    // Ids count up by one; every event is the deploy's; the operation goes through its phases in
    // the order DESIGN.md gives, and Succeeded comes last.
    const std::vector<std::string> order = {"Pending",       "Validating", "Preparing",
                                            "Instantiating", "Injecting",  "Configuring",
                                            "Verifying",     "Succeeded"};
    std::vector<std::string> phases;
    long long previous_id = 0;
    for (const auto& e : events) {
        const long long event_id = std::stoll(e.id);
        EXPECT_EQ(event_id, previous_id + 1);
        previous_id = event_id;
        const auto d = data_of(e);
        EXPECT_EQ(d.at("type").as_string(), e.event);
        EXPECT_EQ(d.at("operationId").as_string(), id);
        EXPECT_EQ(d.at("service").as_string(), "shop");
        EXPECT_EQ(d.at("operationKind").as_string(), "deploy");
        if (e.event == "operation") phases.emplace_back(d.at("operationState").as_string());
        if (e.event == "workload") {
            EXPECT_TRUE(d.at("workload").at("id").is_string());
            EXPECT_TRUE(d.at("workloadState").is_string());
        }
    }
    ASSERT_FALSE(phases.empty());
    EXPECT_EQ(phases.back(), "Succeeded");
    std::size_t at = 0;
    for (const auto& p : phases) {
        auto it = std::find(order.begin() + static_cast<long>(at), order.end(), p);
        ASSERT_NE(it, order.end()) << "phase " << p << " out of order";
        at = static_cast<std::size_t>(it - order.begin());
    }
    EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                            [](const SseEvent& e) { return e.event == "workload"; }));
}

TEST(ApiEvents, AServiceStreamCarriesThatServiceOnly) {
    ApiHarness h;
    h.deploy(shop_spec("first"));
    SseReader only_first(h.client, h.server->url() + "/v1/services/first/events", admin_token);
    SseReader only_second(h.client, h.server->url() + "/v1/events?service=second", reader_token);
    ASSERT_TRUE(only_first.wait_head());
    ASSERT_TRUE(only_second.wait_head());
    h.deploy(shop_spec("second"));
    auto terminate = h.call("DELETE", "/v1/services/first");
    ASSERT_EQ(terminate.status, 202);
    h.wait_done(std::string(body_of(terminate).at("id").as_string()));
    ASSERT_TRUE(only_first.wait(
        [&] { return has_final_operation_event(only_first.events_locked(), "Succeeded"); }));
    ASSERT_TRUE(only_second.wait(
        [&] { return has_final_operation_event(only_second.events_locked(), "Succeeded"); }));
    for (const auto& e : only_first.events()) {
        EXPECT_EQ(data_of(e).at("service").as_string(), "first");
        EXPECT_EQ(data_of(e).at("operationKind").as_string(), "terminate");
    }
    for (const auto& e : only_second.events()) {
        EXPECT_EQ(data_of(e).at("service").as_string(), "second");
    }
}

TEST(ApiEvents, AQuietStreamGetsKeepAliveComments) {
    ApiHarness h;  // keep-alive every 200 ms
    SseReader reader(h.client, h.server->url() + "/v1/events", admin_token);
    ASSERT_TRUE(reader.wait_head());
    // ": connected", then keep-alives.
    EXPECT_TRUE(reader.wait([&] { return reader.comments_locked() >= 3; }, 3s))
        << reader.comments();
    EXPECT_TRUE(reader.events().empty());
}

TEST(ApiEvents, StoppingTheServerEndsOpenStreamsPromptly) {
    ApiServerOptions o = default_api_options();
    o.keep_alive_interval = 60s;  // nothing but the stop may end the streams
    ApiHarness h(o);
    SseReader a(h.client, h.server->url() + "/v1/events", admin_token);
    SseReader c(h.client, h.server->url() + "/v1/events?service=shop", reader_token);
    ASSERT_TRUE(a.wait_head());
    ASSERT_TRUE(c.wait_head());
    ASSERT_TRUE(a.wait([&] { return a.comments_locked() >= 1; }));  // ": connected"
    EXPECT_FALSE(a.ended());
    const auto start = Clock::now();
    h.server->stop();
    EXPECT_LT(ms_since(start), 2000);
    EXPECT_TRUE(a.wait_ended(2s));
    EXPECT_TRUE(c.wait_ended(2s));
    EXPECT_LT(raw_connect(port_of(h.server->url())), 0);  // no longer listening
}

TEST(ApiEvents, AClientThatGoesAwayIsDropped) {
    ApiHarness h;
    {
        SseReader reader(h.client, h.server->url() + "/v1/events", admin_token);
        ASSERT_TRUE(reader.wait([&] { return reader.comments_locked() >= 1; }));
    }  // cancels: the client closes its connection
    // The next keep-alive finds it gone; the server has no connection left open for it.
    auto r = h.call("GET", "/healthz");
    EXPECT_EQ(r.status, 200);
    h.deploy(shop_spec());  // events with no listener go nowhere, and nothing breaks
}

TEST(ApiEvents, AStalledClientDoesNotDelayAnotherClientsGet) {
    ApiServerOptions o = default_api_options();
    o.threads = 1;  // even with one server thread
    o.read_timeout = 5000ms;
    ApiHarness h(o);
    const int stalled = raw_connect(port_of(h.server->url()));
    ASSERT_GE(stalled, 0);
    const std::string half = "POST /v1/services HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             admin_token +
                             "\r\nContent-Type: application/yaml\r\nContent-Length: 500\r\n\r\n"
                             "apiVersion: meshorch.io/v1alpha1\n";
    ASSERT_EQ(::send(stalled, half.data(), half.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(half.size()));
    std::this_thread::sleep_for(50ms);
    const auto start = Clock::now();
    auto r = h.call("GET", "/v1/services");
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(ms_since(start), 1000);  // not the 5 s the stalled request may take
    ::close(stalled);
}

}  // namespace
}  // namespace meshorch::api::test
