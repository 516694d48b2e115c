// The public header compiles as C++ (C++11, -Wall -Wextra -pedantic -Werror) with C linkage:
// the functions are found under their C names.
#include <meshorch/meshorch.h>

#include <cstdio>

namespace {

// Taking the address through a C-linkage function pointer type checks the declarations.
extern "C" typedef int (*validate_fn)(char**, const char*);

}  // namespace

int main() {
    validate_fn validate = &meshorch_spec_validate;
    meshorch_orchestrator_options opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    if (opts.version != MESHORCH_ORCHESTRATOR_OPTIONS_VERSION) return 1;
    char* errors = nullptr;
    if (validate(&errors, nullptr) != MESHORCH_E_INVALID_ARGUMENT) return 1;
    meshorch_free(errors);
    int major = 0;
    meshorch_version(&major, nullptr, nullptr);
    if (major != MESHORCH_VERSION_MAJOR) {
        std::fprintf(stderr, "version mismatch\n");
        return 1;
    }
    return 0;
}
