// Version, status codes, the thread-local error and memory handed to the caller.
#include "internal.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <cstring>

namespace meshorch::capi {
namespace {

// The C codes mirror meshorch::Errc: code == -(int)Errc. Checked here so that a renumbering on
// either side fails the build instead of silently changing the ABI.
static_assert(MESHORCH_E_INVALID_SPEC == -static_cast<int>(Errc::invalid_spec));
static_assert(MESHORCH_E_PARSE == -static_cast<int>(Errc::parse_error));
static_assert(MESHORCH_E_NOT_FOUND == -static_cast<int>(Errc::not_found));
static_assert(MESHORCH_E_CONFLICT == -static_cast<int>(Errc::conflict));
static_assert(MESHORCH_E_BUSY == -static_cast<int>(Errc::busy));
static_assert(MESHORCH_E_TRANSIENT == -static_cast<int>(Errc::transient));
static_assert(MESHORCH_E_TIMEOUT == -static_cast<int>(Errc::timeout));
static_assert(MESHORCH_E_CANCELLED == -static_cast<int>(Errc::cancelled));
static_assert(MESHORCH_E_BACKEND == -static_cast<int>(Errc::backend));
static_assert(MESHORCH_E_INVALID_ARGUMENT == -static_cast<int>(Errc::invalid_argument));
static_assert(MESHORCH_E_INTERNAL == -static_cast<int>(Errc::internal));
static_assert(MESHORCH_E_IO == -static_cast<int>(Errc::io));

#if defined(MESHORCH_PROJECT_VERSION_MAJOR)
static_assert(MESHORCH_VERSION_MAJOR == MESHORCH_PROJECT_VERSION_MAJOR &&
                  MESHORCH_VERSION_MINOR == MESHORCH_PROJECT_VERSION_MINOR &&
                  MESHORCH_VERSION_PATCH == MESHORCH_PROJECT_VERSION_PATCH,
              "meshorch.h and the project disagree on the version");
#endif

constexpr const char* ok_detail =
    R"({"code":"ok","status":0,"message":"","fields":[],"line":0,"column":0,)"
    R"("http_status":0,"body_excerpt":""})";
constexpr const char* nomem_detail =
    R"({"code":"out_of_memory","status":-101,"message":"out of memory","fields":[],"line":0,)"
    R"("column":0,"http_status":0,"body_excerpt":""})";

// This thread's last outcome. The strings own what the public struct points to.
struct ErrorSlot {
    std::string message;
    std::string detail;
    meshorch_error pub{MESHORCH_OK, "", ok_detail};
};

ErrorSlot& slot() noexcept {
    thread_local ErrorSlot s;
    return s;
}

int record(int status, const std::string& message, const std::vector<FieldError>& fields, int line,
           int column, int http_status, const std::string& body_excerpt) noexcept {
    ErrorSlot& s = slot();
    try {
        boost::json::object d;
        d["code"] = code_name(status);
        d["status"] = status;
        d["message"] = message;
        d["fields"] = field_errors_json(fields);
        d["line"] = line;
        d["column"] = column;
        d["http_status"] = http_status;
        d["body_excerpt"] = body_excerpt;
        std::string detail = boost::json::serialize(d);
        s.message = message;
        s.detail = std::move(detail);
        s.pub = {status, s.message.c_str(), s.detail.c_str()};
    } catch (...) {
        s.pub = {MESHORCH_E_NOMEM, "out of memory", nomem_detail};
        return MESHORCH_E_NOMEM;
    }
    return status;
}

}  // namespace

int status_of(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_spec: return MESHORCH_E_INVALID_SPEC;
        case Errc::parse_error: return MESHORCH_E_PARSE;
        case Errc::not_found: return MESHORCH_E_NOT_FOUND;
        case Errc::conflict: return MESHORCH_E_CONFLICT;
        case Errc::busy: return MESHORCH_E_BUSY;
        case Errc::transient: return MESHORCH_E_TRANSIENT;
        case Errc::timeout: return MESHORCH_E_TIMEOUT;
        case Errc::cancelled: return MESHORCH_E_CANCELLED;
        case Errc::backend: return MESHORCH_E_BACKEND;
        case Errc::invalid_argument: return MESHORCH_E_INVALID_ARGUMENT;
        case Errc::internal: return MESHORCH_E_INTERNAL;
        case Errc::io: return MESHORCH_E_IO;
    }
    return MESHORCH_E_INTERNAL;
}

const char* code_name(int status) noexcept {
    switch (status) {
        case MESHORCH_OK: return "ok";
        case MESHORCH_E_INVALID_SPEC: return "invalid_spec";
        case MESHORCH_E_PARSE: return "parse_error";
        case MESHORCH_E_NOT_FOUND: return "not_found";
        case MESHORCH_E_CONFLICT: return "conflict";
        case MESHORCH_E_BUSY: return "busy";
        case MESHORCH_E_TRANSIENT: return "transient";
        case MESHORCH_E_TIMEOUT: return "timeout";
        case MESHORCH_E_CANCELLED: return "cancelled";
        case MESHORCH_E_BACKEND: return "backend";
        case MESHORCH_E_INVALID_ARGUMENT: return "invalid_argument";
        case MESHORCH_E_INTERNAL: return "internal";
        case MESHORCH_E_IO: return "io";
        case MESHORCH_E_UNSUPPORTED: return "unsupported";
        case MESHORCH_E_NOMEM: return "out_of_memory";
        default: return "unknown";
    }
}

int fail(const Error& error) noexcept {
    const int status = status_of(error.code);
    std::string message = error.message;
    if (message.empty()) message = meshorch_errstr(status);
    return record(status, message, error.fields, error.line, error.column, error.http_status,
                  error.body_excerpt);
}

int fail(int status, const std::string& message) noexcept {
    return record(status, message, {}, 0, 0, 0, {});
}

int fail(int status, const std::string& message, const std::vector<FieldError>& fields) noexcept {
    return record(status, message, fields, 0, 0, 0, {});
}

int succeed() noexcept {
    ErrorSlot& s = slot();
    s.pub = {MESHORCH_OK, "", ok_detail};
    return MESHORCH_OK;
}

int null_argument(const char* function, const char* parameter) noexcept {
    try {
        return fail(MESHORCH_E_INVALID_ARGUMENT,
                    std::string(function) + ": " + parameter + " must not be NULL");
    } catch (...) {
        return fail(MESHORCH_E_NOMEM, "out of memory");
    }
}

char* dup_string(const std::string& s) {
    auto* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

int give_string(char** out, const std::string& text) {
    *out = dup_string(text);
    return succeed();
}

int give_json(char** out, const boost::json::value& value) {
    return give_string(out, boost::json::serialize(value));
}

boost::json::value field_errors_json(const std::vector<FieldError>& fields) {
    boost::json::array a;
    a.reserve(fields.size());
    for (const auto& f : fields) {
        a.push_back(boost::json::object{
            {"path", f.path}, {"reason", f.reason}, {"line", f.line}, {"column", f.column}});
    }
    return a;
}

}  // namespace meshorch::capi

using namespace meshorch::capi;

extern "C" {

MESHORCH_API void meshorch_version(int* major, int* minor, int* patch) {
    if (major != nullptr) *major = MESHORCH_VERSION_MAJOR;
    if (minor != nullptr) *minor = MESHORCH_VERSION_MINOR;
    if (patch != nullptr) *patch = MESHORCH_VERSION_PATCH;
}

MESHORCH_API const char* meshorch_errstr(int code) {
    switch (code) {
        case MESHORCH_OK: return "ok";
        case MESHORCH_E_INVALID_SPEC: return "invalid spec";
        case MESHORCH_E_PARSE: return "malformed YAML or JSON";
        case MESHORCH_E_NOT_FOUND: return "not found";
        case MESHORCH_E_CONFLICT: return "conflict";
        case MESHORCH_E_BUSY: return "busy: another operation is running";
        case MESHORCH_E_TRANSIENT: return "transient backend failure";
        case MESHORCH_E_TIMEOUT: return "timed out";
        case MESHORCH_E_CANCELLED: return "cancelled";
        case MESHORCH_E_BACKEND: return "refused by a backend";
        case MESHORCH_E_INVALID_ARGUMENT: return "invalid argument";
        case MESHORCH_E_INTERNAL: return "internal error";
        case MESHORCH_E_IO: return "input/output error";
        case MESHORCH_E_UNSUPPORTED: return "not supported by this build";
        case MESHORCH_E_NOMEM: return "out of memory";
        default: return "unknown error";
    }
}

MESHORCH_API const meshorch_error* meshorch_error_last(void) {
    return &slot().pub;
}

MESHORCH_API void meshorch_free(void* ptr) {
    std::free(ptr);
}

}  // extern "C"
