/* Deploys a service on meshorch's simulated infrastructure through the C API, prints every
 * event and the final status, then terminates it and checks nothing is left.
 *
 *   meshorch-c-deploy [spec.yaml]      (default: examples/specs/bookinfo-hybrid.yaml)
 *
 * Build: link libmeshorch_c (CMake: target_link_libraries(app PRIVATE meshorch::capi)). */
#include <meshorch/meshorch.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file into a NUL-terminated buffer the caller frees, or NULL. */
static char* read_file(const char* path) {
    FILE* f = fopen(path, "rb");
    char* text = NULL;
    long size;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        if (text != NULL) {
            size_t got = fread(text, 1, (size_t)size, f);
            text[got] = '\0';
        }
    }
    fclose(f);
    return text;
}

/* Prints an error with its detail (field errors, HTTP status...) and returns 1. */
static int report(const char* what, int code) {
    const meshorch_error* e = meshorch_error_last();
    fprintf(stderr, "%s failed: %s (%d): %s\n  detail: %s\n", what, meshorch_errstr(code), code,
            e->message, e->detail);
    return 1;
}

/* Runs on an orchestrator thread: copy what you keep, do not block. */
static void print_event(const meshorch_event* e, void* payload) {
    (void)payload;
    if (e->type == MESHORCH_EVENT_WORKLOAD) {
        printf("  [%s] %s/%s#%d -> %s%s%s\n", e->operation_id, e->microservice, e->version,
               e->instance, meshorch_workload_state_name(e->workload_state),
               *e->message ? ": " : "", e->message);
    } else if (e->type == MESHORCH_EVENT_OPERATION) {
        printf("  [%s] %s %s -> %s%s%s\n", e->operation_id,
               meshorch_operation_kind_name(e->operation_kind), e->service,
               meshorch_operation_state_name(e->operation_state), *e->message ? ": " : "",
               e->message);
    } else {
        printf("  [%s] %s\n", e->operation_id, e->message);
    }
    fflush(stdout);
}

/* Waits for an operation and reports how it ended; 0 when it succeeded. */
static int finish(meshorch_operation* op, const char* what) {
    int rc = meshorch_operation_wait(op, 5 * 60 * 1000);
    if (rc != MESHORCH_OK) return report(what, rc);
    rc = meshorch_operation_result(op);
    printf("%s %s: %s\n", what, meshorch_operation_id(op),
           meshorch_operation_state_name(meshorch_operation_state(op)));
    if (rc != MESHORCH_OK) return report(what, rc);
    return 0;
}

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "examples/specs/bookinfo-hybrid.yaml";
    meshorch_orchestrator_options opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    meshorch_orchestrator* orch = NULL;
    meshorch_operation* op = NULL;
    meshorch_subscription_id sub = 0;
    char *service = NULL, *status = NULL, *snapshot = NULL;
    int major, minor, patch, rc, failed = 1;
    char* spec = read_file(path);

    meshorch_version(&major, &minor, &patch);
    printf("meshorch %d.%d.%d (header %d.%d.%d)\n", major, minor, patch, MESHORCH_VERSION_MAJOR,
           MESHORCH_VERSION_MINOR, MESHORCH_VERSION_PATCH);
    if (spec == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }

    /* 1. Check the spec: every problem comes with its path and line. */
    {
        char* errors = NULL;
        rc = meshorch_spec_validate(&errors, spec);
        if (rc != MESHORCH_OK) {
            fprintf(stderr, "%s is not a valid spec: %s\n", path, errors ? errors : "");
            meshorch_free(errors);
            free(spec);
            return 1;
        }
        meshorch_free(errors);
    }

    /* 2. An orchestrator on the simulated VNF manager, Kubernetes cluster and VM injector,
     *    with a little latency so the steps interleave as they would for real. */
    opts.sim_latency_ms = 2;
    rc = meshorch_orchestrator_create_sim(&orch, &opts);
    if (rc != MESHORCH_OK) {
        free(spec);
        return report("create", rc);
    }
    rc = meshorch_subscribe(&sub, orch, print_event, NULL);
    if (rc != MESHORCH_OK) {
        report("subscribe", rc);
        goto done;
    }

    /* 3. Deploy and wait. */
    printf("deploying %s\n", path);
    rc = meshorch_deploy(&op, orch, spec);
    if (rc != MESHORCH_OK) {
        report("deploy", rc);
        goto done;
    }
    service = malloc(strlen(meshorch_operation_service(op)) + 1);
    if (service == NULL) goto done;
    strcpy(service, meshorch_operation_service(op));
    if (finish(op, "deploy") != 0) goto done;
    meshorch_operation_destroy(op);
    op = NULL;

    /* 4. The service's status: phase, every workload with its state and address. */
    rc = meshorch_service_status(&status, orch, service);
    if (rc != MESHORCH_OK) {
        report("status", rc);
        goto done;
    }
    printf("status: %s\n", status);

    /* 5. Terminate, and check the simulated infrastructure is empty again. */
    rc = meshorch_terminate(&op, orch, service);
    if (rc != MESHORCH_OK) {
        report("terminate", rc);
        goto done;
    }
    if (finish(op, "terminate") != 0) goto done;
    rc = meshorch_sim_snapshot(&snapshot, orch);
    if (rc != MESHORCH_OK) {
        report("snapshot", rc);
        goto done;
    }
    if (strstr(snapshot, "\"empty\":true") == NULL) {
        fprintf(stderr, "terminate left something behind: %s\n", snapshot);
        goto done;
    }
    failed = 0;

done:
    if (sub != 0) meshorch_unsubscribe(orch, sub);
    meshorch_free(snapshot);
    meshorch_free(status);
    meshorch_operation_destroy(op);
    meshorch_orchestrator_destroy(orch);
    free(service);
    free(spec);
    printf("%s\n", failed ? "FAILED" : "done");
    return failed;
}
