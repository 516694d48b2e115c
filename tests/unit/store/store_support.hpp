// Helpers for the state store tests: a scratch directory, records worth storing, and ways to
// look at (and damage) a store file from outside.
#pragma once

#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>
#include <meshorch/sqlite_store.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace meshorch::store_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A directory removed with everything in it at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        std::string t = (fs::temp_directory_path() / "meshorch-store-XXXXXX").string();
        if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
        path_ = t;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

inline ServiceSpec bookinfo_spec() {
    auto spec = load_spec_file(MESHORCH_SOURCE_DIR "/examples/specs/bookinfo-hybrid.yaml");
    if (!spec) throw std::runtime_error(spec.error().describe());
    return std::move(spec).value();
}

// The record of a deployed Bookinfo: the spec, what it renders to with one VM per VM instance,
// VNF ids, and token expiries that use every digit of a nanosecond clock.
inline ServiceRecord rich_record(const std::string& name = "bookinfo") {
    ServiceSpec spec = bookinfo_spec();
    spec.name = name;
    ServiceRecord r;
    r.name = name;
    r.namespace_created = true;
    const auto base = std::chrono::system_clock::time_point(1'717'171'717'123'456'789ns);
    int vm = 0;
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            r.vnfs[name + "-" + ms.name + "-" + v.name] = "vnf-" + std::to_string(vm * 7 + 1);
            if (v.substrate() != Substrate::vm) continue;
            auto& instances = r.observed.vms[{ms.name, v.name}];
            for (int i = 0; i < v.instance_count(); ++i, ++vm) {
                const std::string server =
                    "server-" + ms.name + "-" + v.name + "-" + std::to_string(i);
                instances.push_back(VmInstance{server, "10.0.0." + std::to_string(10 + vm)});
                r.token_expiry[server] = base + std::chrono::nanoseconds(vm * 1'000'003 + 1);
            }
        }
    }
    r.applied_objects = render(spec, r.observed);
    r.applied_spec = std::move(spec);
    return r;
}

// A small record whose every field says which generation wrote it (see generation_of).
inline ServiceRecord generation_record(const std::string& name, int generation) {
    ServiceRecord r;
    r.name = name;
    const std::string g = std::to_string(generation);
    r.vnfs["generation"] = g;
    r.vnfs[name + "-vnf"] = "id-" + g;
    r.observed.vms[{"ms", "v1"}] = {
        VmInstance{"server-" + g, "192.0.2." + std::to_string(generation % 250)}};
    r.token_expiry["server-" + g] =
        std::chrono::system_clock::time_point(std::chrono::nanoseconds(generation) * 1'000'000'007);
    r.namespace_created = generation % 2 == 1;
    boost::json::object manifest{
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", {{"name", name}, {"namespace", "gen"}}},
        {"data", {{"generation", g}, {"padding", std::string(3000, 'x')}}}};
    r.applied_objects.put(make_object(std::move(manifest)));
    return r;
}

inline int generation_of(const ServiceRecord& r) {
    return std::stoi(r.vnfs.at("generation"));
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs SQL on a store file directly, bypassing the store (to build files it would refuse).
inline void raw_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "") << " in: " << sql;
    sqlite3_free(message);
    sqlite3_close(db);
}

inline std::string describe(const Status& s) {
    return s.ok() ? "ok" : s.error().describe();
}

}  // namespace meshorch::store_test
