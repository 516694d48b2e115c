// A writer process killed in the middle of its saves: the file opens, every record in it is
// whole, and every save that returned is there.
#include "unit/store/store_support.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdint>
#include <map>

namespace meshorch::store_test {
namespace {

struct Ack {
    std::int32_t service;
    std::int32_t generation;
};

constexpr int services = 20;

std::string service_name(int i) {
    return "svc-" + std::to_string(i);
}

// The child: saves generation after generation of every service and reports each save that
// returned on `ack_fd`, until it is killed. Exits (it is a forked test process) on any failure.
[[noreturn]] void write_until_killed(const std::string& path, int ack_fd) {
    auto store = SqliteStateStore::open(path);  // the default: synchronous = FULL
    if (!store) ::_exit(2);
    for (std::int32_t generation = 1;; ++generation) {
        for (std::int32_t i = 0; i < services; ++i) {
            if (!(*store)->save(generation_record(service_name(i), generation)).ok()) ::_exit(3);
            const Ack ack{i, generation};
            if (::write(ack_fd, &ack, sizeof ack) != sizeof ack) ::_exit(4);
        }
    }
}

TEST(SqliteStoreCrash, AWriterKilledMidSaveLeavesEveryAcknowledgedRecordWhole) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    {
        auto store = SqliteStateStore::open(path);
        ASSERT_TRUE(store.ok()) << store.error().describe();
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        write_until_killed(path, fds[1]);
    }
    ::close(fds[1]);

    // Kill it at some save of its fifth or so generation, with no warning.
    std::map<int, int> acknowledged;  // service -> the last generation whose save returned
    int acks = 0;
    Ack ack{};
    while (acks < services * 4 + 7 && ::read(fds[0], &ack, sizeof ack) == sizeof ack) {
        acknowledged[ack.service] = ack.generation;
        ++acks;
    }
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    while (::read(fds[0], &ack, sizeof ack) == sizeof ack) {  // what it said before it died
        acknowledged[ack.service] = ack.generation;
        ++acks;
    }
    ::close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the writer exited by itself: " << WEXITSTATUS(wstatus);
    ASSERT_GE(acks, services * 4 + 7);

    auto store = SqliteStateStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    auto names = (*store)->list();
    ASSERT_TRUE(names.ok()) << names.error().describe();
    EXPECT_EQ(names->size(), static_cast<std::size_t>(services));
    for (int i = 0; i < services; ++i) {
        auto loaded = (*store)->load(service_name(i));
        ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
        ASSERT_TRUE(*loaded) << service_name(i) << " is missing";
        const int generation = generation_of(**loaded);
        // The last save that returned, or the one after it (written, killed before the ack).
        EXPECT_GE(generation, acknowledged[i]) << service_name(i);
        EXPECT_LE(generation, acknowledged[i] + 1) << service_name(i);
        // Whole: every field is the one that generation wrote.
        const ServiceRecord expected = generation_record(service_name(i), generation);
        EXPECT_EQ((*loaded)->vnfs, expected.vnfs);
        EXPECT_EQ((*loaded)->observed, expected.observed);
        EXPECT_EQ((*loaded)->token_expiry, expected.token_expiry);
        EXPECT_EQ((*loaded)->namespace_created, expected.namespace_created);
        EXPECT_EQ((*loaded)->applied_objects, expected.applied_objects);
    }
}

}  // namespace
}  // namespace meshorch::store_test
