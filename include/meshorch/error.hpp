// Errors as values: every fallible call in meshorch returns Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace meshorch {

// What went wrong, coarse enough to decide what to do about it.
// Values are only ever appended (the C ABI mirrors them).
enum class Errc {
    invalid_spec = 1,  // the spec failed validation; see Error::fields
    parse_error,       // the text is not well-formed YAML/JSON; see line/column
    not_found,         // a named thing does not exist
    conflict,          // 409: someone else changed it, or it already exists differently
    busy,              // another operation is running on the same service
    transient,         // 429 / 5xx / connection trouble: worth retrying
    timeout,           // a deadline passed
    cancelled,         // the caller cancelled
    backend,           // a backend refused the request (terminal 4xx)
    invalid_argument,  // a bad argument to an API call (not a spec)
    internal,          // a bug in meshorch
    io,                // a file could not be read or written
};

const char* to_string(Errc code) noexcept;

// One problem with one field of a spec, e.g. path "spec.links[3].routes[0].split".
struct FieldError {
    std::string path;
    std::string reason;
    int line = 0;  // 1-based position in the source text, 0 when unknown
    int column = 0;
    friend bool operator==(const FieldError&, const FieldError&) = default;
};

struct Error {
    Errc code = Errc::internal;
    std::string message;             // plain sentence, already says what and where
    std::vector<FieldError> fields;  // validation errors, all of them
    int line = 0;                    // parse errors: where the text went wrong
    int column = 0;
    int http_status = 0;  // backend errors: the status and an excerpt of the body
    std::string body_excerpt;

    // True for errors the engine retries with backoff.
    bool retryable() const noexcept {
        return code == Errc::transient || code == Errc::conflict || code == Errc::timeout;
    }
    // "invalid_spec: spec.links[0].to: unknown microservice \"x\"" and so on, one line per field.
    std::string describe() const;
};

inline Error make_error(Errc code, std::string message) {
    Error e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

// A value or an Error. Small on purpose: std::expected is C++23 and not in clang 14.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(v_);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(v_));
    }

private:
    std::variant<T, Error> v_;
};

// Result for calls that return nothing on success.
struct Ok {
    friend bool operator==(Ok, Ok) = default;
};
using Status = Result<Ok>;

}  // namespace meshorch
