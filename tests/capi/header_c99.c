/* The public header compiles as strict C99 (-std=c99 -Wall -Wextra -pedantic -Werror), and the
 * library a program runs with matches the header it was compiled against. */
#include <meshorch/meshorch.h>

#include <stdio.h>

static int check_types(void) {
    meshorch_orchestrator_options opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    meshorch_status_t ok = MESHORCH_OK;
    meshorch_operation_state_t state = MESHORCH_STATE_SUCCEEDED;
    meshorch_workload_state_t workload = MESHORCH_WORKLOAD_IN_MESH;
    meshorch_operation_kind_t kind = MESHORCH_OPERATION_TERMINATE;
    meshorch_event_type_t type = MESHORCH_EVENT_WORKLOAD;
    meshorch_subscription_id id = 0;
    meshorch_event_cb cb = 0;
    meshorch_operation_cb done = 0;
    const meshorch_error* error = meshorch_error_last();
    (void)cb;
    (void)done;
    (void)id;
    if (opts.version != MESHORCH_ORCHESTRATOR_OPTIONS_VERSION) return 1;
    if (error == NULL || error->message == NULL || error->detail == NULL) return 1;
    return (int)ok + (int)state - 8 + (int)workload - 5 + (int)kind - 2 + (int)type - 1;
}

int main(void) {
    int major = -1, minor = -1, patch = -1;
    meshorch_version(&major, &minor, &patch);
    if (major != MESHORCH_VERSION_MAJOR || minor != MESHORCH_VERSION_MINOR ||
        patch != MESHORCH_VERSION_PATCH) {
        fprintf(stderr, "header %d.%d.%d, library %d.%d.%d\n", MESHORCH_VERSION_MAJOR,
                MESHORCH_VERSION_MINOR, MESHORCH_VERSION_PATCH, major, minor, patch);
        return 1;
    }
    if (MESHORCH_VERSION_NUMBER !=
        MESHORCH_VERSION_MAJOR * 1000000 + MESHORCH_VERSION_MINOR * 1000 + MESHORCH_VERSION_PATCH) {
        return 1;
    }
    return check_types();
}
