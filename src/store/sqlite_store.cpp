#include <meshorch/sqlite_store.hpp>

#include "store/record_codec.hpp"
#include "store/schema.hpp"
#include "store/sqlite_connection.hpp"

#include <mutex>
#include <utility>

namespace meshorch {

using store_detail::Connection;
using store_detail::store_error;

struct SqliteStateStore::Impl {
    explicit Impl(Connection c) : connection(std::move(c)) {}
    std::mutex mutex;  // one call at a time on the connection
    Connection connection;
};

namespace {

// The first read of the file: where a file that is not a database, or a damaged header, shows.
Status check_readable(Connection& c) {
    // Preparing reads the schema, so the failure can come from either step: exec does both.
    const int rc = sqlite3_exec(c.handle(), "PRAGMA user_version", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Ok{};
    if ((rc & 0xff) == SQLITE_NOTADB) {
        return store_error(c.path(), "is not a SQLite database (refusing to touch it)");
    }
    if ((rc & 0xff) == SQLITE_CORRUPT) {
        return store_error(c.path(), "is a corrupt SQLite database (refusing to touch it)");
    }
    return c.error(rc, "reading the file");
}

// PRAGMA quick_check: every page and index in order, in time linear in the file's size (a
// state store is small). Its first messages go in the error.
Status check_integrity(Connection& c) {
    const char* sql = "PRAGMA quick_check(5)";
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(c.handle(), sql, -1, &raw, nullptr);
    store_detail::Statement stmt(c.handle(), raw);
    std::string problems;
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = stmt.step();
        if (rc != SQLITE_ROW) break;
        const std::string_view line = stmt.text(0);
        if (line == "ok") return Ok{};
        if (!problems.empty()) problems += "; ";
        problems += line;
    }
    if (rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
            return store_error(c.path(), "is a corrupt SQLite database (refusing to touch it): " +
                                             std::string(sqlite3_errmsg(c.handle())));
        }
        return c.error(rc, "checking the file's integrity");
    }
    return store_error(c.path(),
                       "is a corrupt SQLite database (refusing to touch it): " + problems);
}

Status configure(Connection& c, const SqliteOptions& options) {
    sqlite3_busy_timeout(c.handle(), static_cast<int>(options.busy_timeout.count()));
    if (sqlite3_db_readonly(c.handle(), "main") == 1) {
        return store_error(c.path(), "cannot be written (the file or its directory is read-only)");
    }
    // The journal mode is kept in the file; this changes it once and confirms it after.
    auto stmt = c.prepare("PRAGMA journal_mode = WAL");
    if (!stmt) return std::move(stmt).error();
    const int rc = stmt->step();
    if (rc != SQLITE_ROW) return c.error(rc, "switching to the WAL journal");
    if (stmt->text(0) != "wal") {
        return store_error(c.path(), "cannot use a write-ahead log here (journal mode stays " +
                                         std::string(stmt->text(0)) + ")");
    }
    const char* sync = options.sync == SqliteSync::full ? "PRAGMA synchronous = FULL"
                                                        : "PRAGMA synchronous = NORMAL";
    return c.exec(sync, "setting the synchronous mode");
}

}  // namespace

SqliteStateStore::SqliteStateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStateStore::~SqliteStateStore() = default;

Result<std::shared_ptr<SqliteStateStore>> SqliteStateStore::open(const std::string& path,
                                                                 SqliteOptions options) {
    if (path.empty()) return make_error(Errc::invalid_argument, "the state store needs a path");
    auto connection = Connection::open(path, /*create=*/true);
    if (!connection) return std::move(connection).error();
    Connection& c = *connection;
    if (Status s = check_readable(c); !s) return std::move(s).error();
    if (Status s = check_integrity(c); !s) return std::move(s).error();
    if (Status s = configure(c, options); !s) return std::move(s).error();
    if (Status s = store_detail::migrate(c); !s) return std::move(s).error();
    auto impl = std::make_unique<Impl>(std::move(c));
    return std::shared_ptr<SqliteStateStore>(new SqliteStateStore(std::move(impl)));
}

const std::string& SqliteStateStore::path() const noexcept {
    return impl_->connection.path();
}

Result<std::optional<ServiceRecord>> SqliteStateStore::load(const std::string& service) {
    std::string text;
    {
        std::lock_guard lock(impl_->mutex);
        Connection& c = impl_->connection;
        auto stmt = c.prepare("SELECT record FROM services WHERE name = ?1");
        if (!stmt) return std::move(stmt).error();
        stmt->bind(1, service);
        const int rc = stmt->step();
        if (rc == SQLITE_DONE) return std::optional<ServiceRecord>{};
        if (rc != SQLITE_ROW) return c.error(rc, "reading service \"" + service + "\"");
        text = stmt->text(0);
    }
    auto record = store_detail::decode_record_text(text);
    if (!record) {
        return store_error(path(), "service \"" + service + "\": " + record.error().message);
    }
    if (record->name != service) {
        return store_error(path(), "service \"" + service + "\": the stored record is named \"" +
                                       record->name + "\"");
    }
    return std::optional<ServiceRecord>{std::move(record).value()};
}

Status SqliteStateStore::save(const ServiceRecord& record) {
    if (record.name.empty()) return make_error(Errc::invalid_argument, "a record needs a name");
    const std::string text = store_detail::encode_record_text(record);
    std::lock_guard lock(impl_->mutex);
    Connection& c = impl_->connection;
    // One statement, so one implicit transaction: the old row or the new one, never half.
    auto stmt = c.prepare(
        "INSERT INTO services (name, record, updated_at)"
        " VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
        " ON CONFLICT (name) DO UPDATE SET record = excluded.record,"
        " updated_at = excluded.updated_at");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, record.name);
    stmt->bind(2, text);
    if (const int rc = stmt->step(); rc != SQLITE_DONE) {
        return c.error(rc, "saving service \"" + record.name + "\"");
    }
    return Ok{};
}

Status SqliteStateStore::erase(const std::string& service) {
    std::lock_guard lock(impl_->mutex);
    Connection& c = impl_->connection;
    auto stmt = c.prepare("DELETE FROM services WHERE name = ?1");
    if (!stmt) return std::move(stmt).error();
    stmt->bind(1, service);
    if (const int rc = stmt->step(); rc != SQLITE_DONE) {
        return c.error(rc, "erasing service \"" + service + "\"");
    }
    return Ok{};
}

Result<std::vector<std::string>> SqliteStateStore::list() {
    std::lock_guard lock(impl_->mutex);
    Connection& c = impl_->connection;
    auto stmt = c.prepare("SELECT name FROM services ORDER BY name");
    if (!stmt) return std::move(stmt).error();
    std::vector<std::string> names;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) names.emplace_back(stmt->text(0));
    if (rc != SQLITE_DONE) return c.error(rc, "listing the services");
    return names;
}

}  // namespace meshorch
