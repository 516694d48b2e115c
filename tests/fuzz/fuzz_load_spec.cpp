// load_spec on arbitrary text: never crashes, and every spec it accepts is valid and survives
// dump_spec -> load_spec unchanged, in YAML and in JSON.

#include <meshorch/document.hpp>
#include <meshorch/spec.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_load_spec: %s\n%s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto spec = meshorch::load_spec(text);
    if (!spec) {
        const meshorch::Error& e = spec.error();
        if (e.code != meshorch::Errc::parse_error && e.code != meshorch::Errc::invalid_spec) {
            fail("unexpected error code", e.describe());
        }
        if (e.code == meshorch::Errc::invalid_spec && e.fields.empty()) {
            fail("invalid_spec without fields", e.describe());
        }
        (void)e.describe();
        return 0;
    }
    if (const auto problems = meshorch::validate(*spec); !problems.empty()) {
        fail("load_spec accepted a spec that validate() rejects", problems.front().path);
    }
    for (auto format : {meshorch::Format::yaml, meshorch::Format::json}) {
        const std::string dumped = meshorch::dump_spec(*spec, format);
        auto again = meshorch::load_spec(dumped);
        if (!again)
            fail("dump_spec output does not load", again.error().describe() + "\n" + dumped);
        if (!(*again == *spec)) fail("round trip changed the spec", dumped);
    }
    return 0;
}
