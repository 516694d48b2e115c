// The durable StateStore: every ServiceRecord in one SQLite file, so the services an
// orchestrator made survive a restart of its process (Core reads the records on start).
//
// The file: WAL journal, one row per service (name, the record as JSON, when it was written),
// and a schema version (PRAGMA user_version) that open() brings up to date with migrations
// applied in order, in one transaction. open() refuses, with Errc::io and the file's path in
// the message, a file that is not a SQLite database, is corrupt (PRAGMA quick_check), belongs to
// something else, was written by a newer meshorch (a schema version this library does not
// know), or cannot be opened or written. It never recreates a file or drops data.
//
// Durability: with SqliteSync::full (the default) a record is on disk when save() or erase()
// returns; a crash of the process or the machine at any moment leaves every row whole (the old
// record or the new one, never half of one).
//
// Thread safety: every member function may be called from any thread. One connection, guarded
// by a mutex: the calls are short local writes, and one writer at a time is what SQLite does
// anyway. Several stores (several processes) may open the same file; a writer waits up to
// busy_timeout for another one's transaction, then gets Errc::transient.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/store.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

enum class SqliteSync {
    full,    // fsync on every commit: a saved record survives a power loss
    normal,  // fsync at checkpoints only: a power loss may lose the last saves (never corrupts)
};

struct SqliteOptions {
    SqliteSync sync = SqliteSync::full;
    // How long a write waits for another connection's transaction on the same file.
    std::chrono::milliseconds busy_timeout{std::chrono::seconds(5)};
};

class SqliteStateStore final : public StateStore {
public:
    // The schema version this library writes (one per migration in src/store/schema.cpp);
    // open() migrates older files up to it.
    static constexpr int schema_version = 1;

    // Opens the store in `path`, creating the file when it does not exist.
    static Result<std::shared_ptr<SqliteStateStore>> open(const std::string& path,
                                                          SqliteOptions options = {});
    ~SqliteStateStore() override;
    SqliteStateStore(const SqliteStateStore&) = delete;
    SqliteStateStore& operator=(const SqliteStateStore&) = delete;

    // A stored row that does not decode is an Errc::io error that names the service.
    Result<std::optional<ServiceRecord>> load(const std::string& service) override;
    Status save(const ServiceRecord& record) override;  // insert or replace, atomically
    Status erase(const std::string& service) override;  // absent: Ok
    Result<std::vector<std::string>> list() override;   // sorted by name

    const std::string& path() const noexcept;

    struct Impl;  // the connection; sqlite3.h stays out of this header

private:
    explicit SqliteStateStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch
