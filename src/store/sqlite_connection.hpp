// A SQLite connection and its prepared statements as RAII values, and SQLite failures as
// meshorch errors that say which file and which step.
#pragma once

#include <meshorch/error.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace meshorch::store_detail {

class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
        other.stmt_ = nullptr;
    }
    Statement& operator=(Statement&&) = delete;
    ~Statement() { sqlite3_finalize(stmt_); }

    void bind(int index, std::string_view text);  // copied by SQLite
    void bind(int index, std::int64_t number);
    // SQLITE_ROW, SQLITE_DONE or an error code (the connection's message says more).
    int step() { return sqlite3_step(stmt_); }
    std::string_view text(int column) const;
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

class Connection {
public:
    // Opens (creating when `create`) the database file `path`. SQLite reads the file lazily:
    // a file that is not a database fails on the first statement, not here.
    static Result<Connection> open(const std::string& path, bool create);

    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;

    Result<Statement> prepare(std::string_view sql);
    // Runs statements that return no rows.
    Status exec(const char* sql, std::string_view what);
    // Runs a statement that returns one integer (a PRAGMA that reads a setting).
    Result<std::int64_t> query_integer(std::string_view sql, std::string_view what);

    // "state store /var/lib/x.db: <what>: <SQLite's message>"; busy and locked are transient,
    // the rest Errc::io.
    Error error(int rc, std::string_view what) const;

    sqlite3* handle() const noexcept { return db_.get(); }
    const std::string& path() const noexcept { return path_; }

private:
    struct Close {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    Connection(std::unique_ptr<sqlite3, Close> db, std::string path)
        : db_(std::move(db)), path_(std::move(path)) {}

    std::unique_ptr<sqlite3, Close> db_;
    std::string path_;
};

// "state store <path>: <message>" with Errc::io.
Error store_error(const std::string& path, std::string_view message);

}  // namespace meshorch::store_detail
