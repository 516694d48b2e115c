/*
 * meshorch.h — the stable C interface of meshorch.
 *
 * meshorch deploys a service made of microservices that run on virtual machines and containers
 * and joins all of them into one Istio service mesh. This header is the whole C API: what is not
 * declared here is not API. It is C99 and C++ compatible and has no dependency beyond the C
 * standard library.
 *
 * Conventions (they hold for every function unless its comment says otherwise):
 *
 *  - Status. Functions that can fail return an `int` status: MESHORCH_OK (0) on success, a
 *    negative MESHORCH_E_* code on failure. meshorch_errstr() turns a code into static text and
 *    meshorch_error_last() gives the detail of the last status-returning call on this thread.
 *  - Out-parameters come first. `T **out` receives something the caller owns and frees with that
 *    type's function (strings: meshorch_free(); handles: their _destroy()). On failure `*out` is
 *    set to NULL. A `const char *` that a function returns is borrowed from its handle and lives
 *    as long as the handle. Strings passed in are copied; the caller keeps ownership.
 *  - Strings are NUL-terminated UTF-8. JSON returned by the library is one UTF-8 document.
 *  - NULL. Passing NULL for a required pointer is MESHORCH_E_INVALID_ARGUMENT, never a crash.
 *    Every _destroy(NULL) and meshorch_free(NULL) is a no-op.
 *  - Threads. The functions without a handle are thread-safe. Thread rules for handles are
 *    written next to each handle type. No function may be called from a signal handler.
 *  - Exceptions never cross this interface: every function catches everything and turns it into
 *    a status (out of memory is MESHORCH_E_NOMEM, anything unexpected MESHORCH_E_INTERNAL).
 */
#ifndef MESHORCH_H
#define MESHORCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- export macro -------------------------------------------------------------------------- */

#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(MESHORCH_C_BUILDING)
#define MESHORCH_API __declspec(dllexport)
#else
#define MESHORCH_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define MESHORCH_API __attribute__((visibility("default")))
#else
#define MESHORCH_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ------------------------------------------------------------------------------- */

/* The version of this header. Compare with meshorch_version() to check that the library the
 * program runs with is at least as new as the header it was compiled against. The ABI is stable
 * within one major version (the SONAME is libmeshorch_c.so.<major>). */
#define MESHORCH_VERSION_MAJOR 0
#define MESHORCH_VERSION_MINOR 1
#define MESHORCH_VERSION_PATCH 0
/* MAJOR * 1000000 + MINOR * 1000 + PATCH, e.g. 1002003 for 1.2.3: comparable with `<`. */
#define MESHORCH_VERSION_NUMBER \
    (MESHORCH_VERSION_MAJOR * 1000000 + MESHORCH_VERSION_MINOR * 1000 + MESHORCH_VERSION_PATCH)

/* The version of the library loaded at run time. Any pointer may be NULL. Thread-safe. */
MESHORCH_API void meshorch_version(int* major, int* minor, int* patch);

/* ---- status codes -------------------------------------------------------------------------- */

/* Status codes. Codes are only ever appended, never removed or renumbered.
 * -1 .. -99 mirror the C++ enum meshorch::Errc (code == -(int)Errc); codes the C interface adds
 * count down from -100. A caller that meets a code it does not know treats it as a generic
 * failure (MESHORCH_E_INTERNAL is the generic "something went wrong"). */
typedef enum meshorch_status_e {
    MESHORCH_OK = 0,
    MESHORCH_E_INVALID_SPEC = -1,      /* the spec failed validation; detail lists every field */
    MESHORCH_E_PARSE = -2,             /* the text is not well-formed YAML/JSON; detail: line */
    MESHORCH_E_NOT_FOUND = -3,         /* a named thing (service, operation) does not exist */
    MESHORCH_E_CONFLICT = -4,          /* 409: changed by someone else, or exists differently */
    MESHORCH_E_BUSY = -5,              /* another operation runs on the service, or the
                                          operation asked about has not ended yet */
    MESHORCH_E_TRANSIENT = -6,         /* 429/5xx/connection trouble that outlasted the retries */
    MESHORCH_E_TIMEOUT = -7,           /* a deadline or a wait timeout passed */
    MESHORCH_E_CANCELLED = -8,         /* the operation was cancelled */
    MESHORCH_E_BACKEND = -9,           /* a backend refused a request; detail: http_status */
    MESHORCH_E_INVALID_ARGUMENT = -10, /* a bad argument: NULL, unknown name, bad option value */
    MESHORCH_E_INTERNAL = -11,         /* a bug in meshorch, or an unknown failure */
    MESHORCH_E_IO = -12,               /* a file could not be read or written */
    /* -13 .. -99 are reserved for future meshorch::Errc values. */
    MESHORCH_E_UNSUPPORTED = -100, /* not available in this build (e.g. real backends) */
    MESHORCH_E_NOMEM = -101        /* out of memory */
} meshorch_status_t;

/* Static, never-NULL English text for a status code ("ok", "invalid spec", ...); codes it does
 * not know give "unknown error". Thread-safe. */
MESHORCH_API const char* meshorch_errstr(int code);

/* ---- error detail -------------------------------------------------------------------------- */

/* The detail of a status. `detail` is a JSON object, always with these members:
 *   "code":         the C++ error name, e.g. "invalid_spec", "parse_error", "backend", "ok"
 *   "status":       the same number as `code` below
 *   "message":      the same text as `message` below
 *   "fields":       [{"path": "spec.links[0].to", "reason": "...", "line": 12, "column": 7}, ...]
 *                   every validation problem (line/column 0 when unknown); [] otherwise
 *   "line", "column":        parse errors: where the text went wrong (1-based), else 0
 *   "http_status":           backend errors: the backend's HTTP status, else 0
 *   "body_excerpt":          backend errors: an excerpt of the backend's answer, else ""
 * More members may be added. */
typedef struct meshorch_error {
    int code;            /* a meshorch_status_t value; MESHORCH_OK after a successful call */
    const char* message; /* one plain sentence, never NULL ("" after success) */
    const char* detail;  /* JSON object as above, never NULL */
} meshorch_error;

/* The outcome of the last call on this thread that returns a status (meshorch_version,
 * meshorch_errstr, the *_name functions, meshorch_free, the getters that return a borrowed
 * string and the _destroy functions leave it alone). Never NULL. Owned by the library; valid
 * until the next meshorch call on the same thread. Thread-local: each thread sees its own. */
MESHORCH_API const meshorch_error* meshorch_error_last(void);

/* Frees memory the library allocated and handed to the caller (the `char **` out-parameters).
 * NULL is a no-op. Thread-safe. Never use free() on it: the library may use another allocator. */
MESHORCH_API void meshorch_free(void* ptr);

/* ---- specs --------------------------------------------------------------------------------- */

/* A spec is text, YAML or JSON, in the Kubernetes-style envelope
 *   apiVersion: meshorch.io/v1alpha1, kind: Service, metadata: {name: ...}, spec: {...}
 * (see README.md for the format). The functions below are pure: no I/O, thread-safe. */

/* Parses and validates `text`.
 * `errors_json_out` (may be NULL: then only the status is reported) receives a JSON array of
 * every problem: [{"path": "spec.microservices[2].versions[0].vm.flavor", "reason": "...",
 * "line": 14, "column": 11}, ...] — "[]" when the spec is valid. A syntax error is one entry
 * with path "" and the position of the error. Free it with meshorch_free().
 * Returns MESHORCH_OK (valid), MESHORCH_E_INVALID_SPEC, MESHORCH_E_PARSE,
 * MESHORCH_E_INVALID_ARGUMENT (text NULL). */
MESHORCH_API int meshorch_spec_validate(char** errors_json_out, const char* text);

/* Renders the Kubernetes and Istio objects a valid spec stands for (DESIGN.md section 4).
 * `format`: "yaml" (documents separated by "---", as `kubectl apply -f -` takes them) or "json"
 * (one JSON array of manifests); NULL means "yaml".
 * `observed_json` (may be NULL): facts learned from the infrastructure, the VMs of each VM
 * version, as a JSON object {"<microservice>/<version>": [{"server_id": "...", "address":
 * "10.0.0.5"}, ...]} (an element may also be just the address string); each VM renders as a
 * WorkloadEntry.
 * `out` receives the text; free it with meshorch_free(). Deterministic: the same input gives the
 * same bytes. Returns MESHORCH_OK, MESHORCH_E_INVALID_SPEC, MESHORCH_E_PARSE,
 * MESHORCH_E_INVALID_ARGUMENT (NULL out/text, unknown format, malformed observed_json). */
MESHORCH_API int meshorch_spec_render(char** out, const char* text, const char* format,
                                      const char* observed_json);

/* The spec in its normalized form (defaults filled in, stable key order), "yaml" or "json"
 * (NULL means "yaml"). Loading the output gives the same spec. Free `out` with meshorch_free().
 * Same status codes as meshorch_spec_render(). */
MESHORCH_API int meshorch_spec_dump(char** out, const char* text, const char* format);

/* ---- states ------------------------------------------------------------------------------- */

/* Operation kinds; values mirror meshorch::OperationKind. Appended only. */
typedef enum meshorch_operation_kind_e {
    MESHORCH_OPERATION_DEPLOY = 0,
    MESHORCH_OPERATION_RECONFIGURE = 1,
    MESHORCH_OPERATION_TERMINATE = 2,
    MESHORCH_OPERATION_HEAL = 3
} meshorch_operation_kind_t;

/* Operation states (DESIGN.md section 5); values mirror meshorch::OperationState. Appended only.
 * SUCCEEDED, ROLLED_BACK and FAILED are terminal. */
typedef enum meshorch_operation_state_e {
    MESHORCH_STATE_PENDING = 0,
    MESHORCH_STATE_VALIDATING = 1,
    MESHORCH_STATE_PLANNING = 2,
    MESHORCH_STATE_PREPARING = 3,
    MESHORCH_STATE_INSTANTIATING = 4,
    MESHORCH_STATE_INJECTING = 5,
    MESHORCH_STATE_CONFIGURING = 6,
    MESHORCH_STATE_VERIFYING = 7,
    MESHORCH_STATE_SUCCEEDED = 8,
    MESHORCH_STATE_ROLLING_BACK = 9,
    MESHORCH_STATE_ROLLED_BACK = 10,
    MESHORCH_STATE_FAILED = 11
} meshorch_operation_state_t;

/* Workload states (one per VM, or per container version as a whole); values mirror
 * meshorch::WorkloadState. Appended only. */
typedef enum meshorch_workload_state_e {
    MESHORCH_WORKLOAD_PENDING = 0,
    MESHORCH_WORKLOAD_CREATING = 1,
    MESHORCH_WORKLOAD_INSTANTIATING = 2,
    MESHORCH_WORKLOAD_RUNNING = 3,
    MESHORCH_WORKLOAD_INJECTING = 4,
    MESHORCH_WORKLOAD_IN_MESH = 5,
    MESHORCH_WORKLOAD_READY = 6,
    MESHORCH_WORKLOAD_DRAINING = 7,
    MESHORCH_WORKLOAD_TERMINATING = 8,
    MESHORCH_WORKLOAD_TERMINATED = 9,
    MESHORCH_WORKLOAD_FAILED = 10
} meshorch_workload_state_t;

/* Static, never-NULL names: "deploy"...; "Pending", "Succeeded", "RolledBack"...; "Pending",
 * "InMesh"... (DESIGN.md spelling). An unknown value gives "Unknown". Thread-safe. */
MESHORCH_API const char* meshorch_operation_kind_name(int kind);
MESHORCH_API const char* meshorch_operation_state_name(int state);
MESHORCH_API const char* meshorch_workload_state_name(int state);
/* 1 when `state` is SUCCEEDED, ROLLED_BACK or FAILED, else 0. Thread-safe. */
MESHORCH_API int meshorch_operation_state_is_terminal(int state);

/* ---- orchestrator -------------------------------------------------------------------------- */

/* An orchestrator: runs deploy / reconfigure / terminate operations on services and reports
 * every step as an event.
 * Threads: every function taking a meshorch_orchestrator* may be called from any thread at the
 * same time, except meshorch_orchestrator_destroy(), which must not run concurrently with any
 * other call on the same orchestrator and must not be called from an event callback. */
typedef struct meshorch_orchestrator meshorch_orchestrator;

/* A handle on one operation. Handles may outlive their orchestrator (the operation has ended
 * by then). Threads: any function may be called from any thread at the same time, except
 * meshorch_operation_destroy(), which must not race with other calls on the same handle. */
typedef struct meshorch_operation meshorch_operation;

/* A piece of the orchestrator's work handed to the caller's executor (the `post` option): give
 * it to meshorch_task_run() or meshorch_task_drop() exactly once. */
typedef struct meshorch_task meshorch_task;

/* Orchestrator options. Versioned: `version` comes first, fields are only appended. Initialize
 * with MESHORCH_ORCHESTRATOR_OPTIONS_INIT or meshorch_orchestrator_options_init(), then change
 * what you need. Durations are milliseconds. Passing NULL options means all defaults. */
typedef struct meshorch_orchestrator_options {
    unsigned int version; /* MESHORCH_ORCHESTRATOR_OPTIONS_VERSION */

    /* engine (all backends) */
    int threads;                   /* engine threads, >= 1; default 2 */
    int64_t operation_deadline_ms; /* an operation fails with TIMEOUT after this; default 30 min */
    int64_t call_timeout_ms;       /* deadline of one backend call; default 60 s */
    int64_t poll_interval_ms;      /* LCM operation / readiness polling; 0 (default) picks
                                      2000 for real backends and 10 for the simulated ones */
    int64_t backoff_initial_ms;    /* transient-error retry backoff: first delay; default 200 */
    int64_t backoff_max_ms;        /* retry delay cap; default 30 s */
    int backoff_max_attempts;      /* retries per step before the step fails; default 12 */

    /* simulated infrastructure (meshorch_orchestrator_create_sim only; ignored otherwise) */
    uint64_t sim_seed;             /* random seed of latency jitter and faults; default 1 */
    int64_t sim_latency_ms;        /* fixed latency of every backend call; default 0 */
    int64_t sim_latency_jitter_ms; /* plus a uniform extra in [0, jitter]; default 0 */
    double sim_fault_probability;  /* [0, 1]: chance that a call fails transiently; default 0 */
    int64_t sim_lcm_duration_ms;   /* how long a VNF LCM operation stays PROCESSING; default 0 */
    int64_t sim_pod_start_ms;      /* how long a VM or pod takes to come up; default 0 */

    /* version 2: the caller's executor. NULL (default): the orchestrator runs on `threads`
     * threads of its own. Set: every step of every operation and every event callback runs in
     * tasks handed to post(post_context, task), called from any thread; `post` must not run
     * the task itself but pass it, later, to meshorch_task_run() on a thread of the caller's
     * (or to meshorch_task_drop()). The orchestrator then keeps one thread, which only keeps
     * time. meshorch_orchestrator_destroy() waits (15 s at most) for the tasks handed over, so
     * it must not be called from the thread that runs them. */
    void (*post)(void* post_context, meshorch_task* task);
    void* post_context;
} meshorch_orchestrator_options;

#define MESHORCH_ORCHESTRATOR_OPTIONS_VERSION 2
#define MESHORCH_ORCHESTRATOR_OPTIONS_INIT                                                         \
    {                                                                                              \
        MESHORCH_ORCHESTRATOR_OPTIONS_VERSION, 2, 1800000, 60000, 0, 200, 30000, 12, 1, 0, 0, 0.0, \
            0, 0, 0, 0                                                                             \
    }

/* Runs a task the orchestrator handed to the `post` executor, then frees it. */
MESHORCH_API void meshorch_task_run(meshorch_task* task);
/* Frees such a task without running it (an executor that is closing). NULL is a no-op. */
MESHORCH_API void meshorch_task_drop(meshorch_task* task);

/* Fills `opts` with the defaults of options version `version` (pass
 * MESHORCH_ORCHESTRATOR_OPTIONS_VERSION), writing only the fields that version has (a struct
 * from an older header is not overrun). Returns MESHORCH_OK, or MESHORCH_E_INVALID_ARGUMENT
 * when opts is NULL or the version is unknown to this library. Thread-safe. */
MESHORCH_API int meshorch_orchestrator_options_init(meshorch_orchestrator_options* opts,
                                                    unsigned int version);

/* Creates an orchestrator on an in-process simulation of every backend (VNF manager, Kubernetes
 * cluster, VM sidecar injector) with the sim_* latency and faults of `opts` (NULL: defaults).
 * For tests, demos and test harnesses. `*out` is owned by the caller: meshorch_orchestrator_
 * destroy(). Returns MESHORCH_OK or MESHORCH_E_INVALID_ARGUMENT (NULL out, unknown options
 * version, a negative duration, a probability outside [0, 1], threads < 1). */
MESHORCH_API int meshorch_orchestrator_create_sim(meshorch_orchestrator** out,
                                                  const meshorch_orchestrator_options* opts);

/* Creates an orchestrator on real backends described by `config_json`:
 *   {
 *     "kubernetes": {"kubeconfig": "/path/to/kubeconfig", "context": "optional"}
 *                   or {"in_cluster": true},
 *     "tacker": {
 *       "keystone_url": "https://keystone.example:5000/v3",
 *       "credentials": {"username": "...", "password": "...", "project_name": "...",
 *                       "user_domain_name": "Default", "project_domain_name": "Default"}
 *                   or {"application_credential_id": "...",
 *                       "application_credential_secret": "..."},
 *       "endpoint": "optional Tacker URL (default: from the Keystone catalog)",
 *       "vim_ids": {"vm": "<OpenStack VIM id>", "container": "<Kubernetes VIM id>"},
 *       "ca_file": "optional", "insecure_skip_verify": false
 *     },
 *     "injector": {"ssh_user": "...", "ssh_private_key": "/path/to/key", "ssh_port": 22,
 *                  "known_hosts": "path" or "host_key": {"mode": "pinned", "pinned_key": ...},
 *                  "proxy_package": "path of the proxy .deb/.rpm"},
 *     "istiod_address": "optional, default istiod.istio-system.svc:15012",
 *     "istiod_ip": "optional east-west gateway IP the VMs reach istiod at",
 *     "mesh_id": "optional", "cluster_id": "optional", "network": "optional"
 *   }
 * (every setting: include/meshorch/backends.hpp; YAML is accepted too). Nothing is contacted
 * here: Keystone, Tacker, the Kubernetes API and the VMs are reached by the first operation.
 * Returns MESHORCH_OK, MESHORCH_E_PARSE for a malformed document, MESHORCH_E_INVALID_ARGUMENT
 * with every problem as a field of the error detail (path, line, column) - including a
 * kubeconfig that cannot be read or TLS material that does not load. Thread-safe. */
MESHORCH_API int meshorch_orchestrator_create(meshorch_orchestrator** out, const char* config_json,
                                              const meshorch_orchestrator_options* opts);

/* Stops without undoing: running operations stop at their next step and keep their journal
 * in the durable state store ("store" in the configuration); an orchestrator created later on
 * the same store finishes them under the same operation ids. Afterwards only status queries
 * work; free it with meshorch_orchestrator_destroy(). For a graceful restart of a process.
 * NULL is a no-op. Must not be called from an event callback. */
MESHORCH_API void meshorch_orchestrator_suspend(meshorch_orchestrator* orch);

/* Cancels running operations, waits for them to end (they roll back), then frees the
 * orchestrator. Event callbacks may still run during the call, never after it returns.
 * NULL is a no-op. Must not be called from an event callback. */
MESHORCH_API void meshorch_orchestrator_destroy(meshorch_orchestrator* orch);

/* ---- operations ---------------------------------------------------------------------------- */

/* Starts deploying the service that `spec_text` (YAML or JSON) describes. Returns at once; the
 * operation runs on the orchestrator's threads. `*out` is owned by the caller:
 * meshorch_operation_destroy() (destroying the handle does not stop the operation).
 * Returns MESHORCH_OK, MESHORCH_E_PARSE / MESHORCH_E_INVALID_SPEC (the spec; detail lists the
 * fields), MESHORCH_E_BUSY (another operation runs on the service: a second one is refused, not
 * queued), MESHORCH_E_CONFLICT / MESHORCH_E_INVALID_ARGUMENT as the orchestrator decides. */
MESHORCH_API int meshorch_deploy(meshorch_operation** out, meshorch_orchestrator* orch,
                                 const char* spec_text);

/* Starts changing a deployed service to a new spec of the same name: only what differs is
 * changed, make before break, rolled back to the last good state if a step fails. Same rules
 * and codes as meshorch_deploy(), plus MESHORCH_E_NOT_FOUND for a service never deployed. */
MESHORCH_API int meshorch_reconfigure(meshorch_operation** out, meshorch_orchestrator* orch,
                                      const char* spec_text);

/* Starts removing everything meshorch created for `service` (mesh config, VM proxies and
 * WorkloadEntries, VNFs, Services, ServiceAccounts, the namespace if meshorch created it).
 * Returns MESHORCH_OK, MESHORCH_E_NOT_FOUND, MESHORCH_E_BUSY, MESHORCH_E_INVALID_ARGUMENT. */
MESHORCH_API int meshorch_terminate(meshorch_operation** out, meshorch_orchestrator* orch,
                                    const char* service);

/* A new handle on the operation with id `operation_id` (from meshorch_operation_id() or an
 * event). Returns MESHORCH_OK or MESHORCH_E_NOT_FOUND. Free `*out` with
 * meshorch_operation_destroy(). */
MESHORCH_API int meshorch_operation_get(meshorch_operation** out, meshorch_orchestrator* orch,
                                        const char* operation_id);

/* Blocks until the operation ends or `timeout_ms` passes (a negative timeout waits for ever,
 * 0 only looks). Returns MESHORCH_OK when the operation has ended (whatever its outcome: see
 * meshorch_operation_result()), MESHORCH_E_TIMEOUT when it is still running. */
MESHORCH_API int meshorch_operation_wait(meshorch_operation* op, int64_t timeout_ms);

/* The current state (a meshorch_operation_state_t value, >= 0), or MESHORCH_E_INVALID_ARGUMENT
 * when op is NULL. Does not block. */
MESHORCH_API int meshorch_operation_state(const meshorch_operation* op);

/* The kind (a meshorch_operation_kind_t value), or MESHORCH_E_INVALID_ARGUMENT for NULL. */
MESHORCH_API int meshorch_operation_kind(const meshorch_operation* op);

/* The outcome: MESHORCH_OK when the operation succeeded; the code of the error that ended it
 * otherwise (also after a successful rollback: e.g. MESHORCH_E_CANCELLED, MESHORCH_E_BACKEND),
 * with the detail in meshorch_error_last(); MESHORCH_E_BUSY while it has not ended. Does not
 * block. */
MESHORCH_API int meshorch_operation_result(const meshorch_operation* op);

/* Asks the operation to stop: it undoes what it did and ends ROLLED_BACK with
 * MESHORCH_E_CANCELLED. Returns at once; an operation that has ended is left alone. Returns
 * MESHORCH_OK or MESHORCH_E_INVALID_ARGUMENT. */
MESHORCH_API int meshorch_operation_cancel(meshorch_operation* op);

/* The operation's id and its service's name, borrowed from the handle (valid until
 * meshorch_operation_destroy()); NULL when op is NULL. */
MESHORCH_API const char* meshorch_operation_id(const meshorch_operation* op);
MESHORCH_API const char* meshorch_operation_service(const meshorch_operation* op);

/* Called once when an operation ends, on an orchestrator thread (or at once, on the calling
 * thread, when it has already ended). `op` is a handle borrowed for the duration of the call
 * (use meshorch_operation_get() to keep one). The callback must not block for long. */
typedef void (*meshorch_operation_cb)(const meshorch_operation* op, void* payload);

/* Registers `cb` to run when the operation ends. `payload` is passed through untouched. Returns
 * MESHORCH_OK or MESHORCH_E_INVALID_ARGUMENT (NULL op or cb). */
MESHORCH_API int meshorch_operation_on_done(meshorch_operation* op, meshorch_operation_cb cb,
                                            void* payload);

/* Frees the handle (the operation itself keeps running). NULL is a no-op. */
MESHORCH_API void meshorch_operation_destroy(meshorch_operation* op);

/* ---- status -------------------------------------------------------------------------------- */

/* The status of one service as a JSON object:
 *   {"name": "bookinfo", "namespace": "bookinfo",
 *    "phase": "Deploying" | "Ready" | "Reconfiguring" | "Terminating" | "Terminated" | "Failed",
 *    "last_operation": {"id": "...", "kind": "deploy", "state": "Succeeded"},
 *    "message": "why it failed, or what remains after a failed rollback",
 *    "applied_objects": 31,
 *    "workloads": [{"microservice": "reviews", "version": "v1", "instance": 0,
 *                   "substrate": "vm" | "container", "state": "Ready", "vnf_id": "...",
 *                   "server_id": "...", "address": "10.0.0.7", "message": ""}, ...]}
 * Free `*json_out` with meshorch_free(). Returns MESHORCH_OK, MESHORCH_E_NOT_FOUND (a service
 * this orchestrator never saw), MESHORCH_E_INVALID_ARGUMENT. */
MESHORCH_API int meshorch_service_status(char** json_out, meshorch_orchestrator* orch,
                                         const char* service);

/* The status of every service the orchestrator knows, as a JSON array of the objects above. */
MESHORCH_API int meshorch_services(char** json_out, meshorch_orchestrator* orch);

/* ---- events -------------------------------------------------------------------------------- */

typedef enum meshorch_event_type_e {
    MESHORCH_EVENT_OPERATION = 0, /* an operation changed state (operation_state) */
    MESHORCH_EVENT_WORKLOAD = 1,  /* a workload changed state (microservice/version/instance) */
    MESHORCH_EVENT_STEP = 2       /* a step of an operation happened (message) */
} meshorch_event_type_t;

/* One event. Every pointer in it (and the struct itself) is valid only during the callback:
 * copy what you keep. Fields are only appended. */
typedef struct meshorch_event {
    int type;        /* meshorch_event_type_t */
    int64_t time_ms; /* when, milliseconds since the Unix epoch (UTC) */
    const char* operation_id;
    const char* service;
    int operation_kind;       /* meshorch_operation_kind_t */
    int operation_state;      /* meshorch_operation_state_t: the operation's state at the event */
    const char* microservice; /* workload events: the workload; NULL for other events */
    const char* version;      /* workload events: the version; NULL for other events */
    int instance;             /* workload events: the VM index (0 for containers); else -1 */
    int workload_state;       /* workload events: meshorch_workload_state_t; else 0 */
    const char* message;      /* what happened, in words; the error for failures; never NULL */
    const char* text;         /* the whole event as one log line; never NULL */
} meshorch_event;

/* Receives events on an orchestrator thread. Must not block for long; may call any function of
 * the orchestrator except meshorch_orchestrator_destroy() (unsubscribing itself is allowed). */
typedef void (*meshorch_event_cb)(const meshorch_event* event, void* payload);

typedef uint64_t meshorch_subscription_id;

/* Calls `cb(event, payload)` for every event of every operation of the orchestrator from now
 * on. `*out` receives the id for meshorch_unsubscribe() (0 is never a valid id). Returns
 * MESHORCH_OK or MESHORCH_E_INVALID_ARGUMENT (NULL out, orch or cb). */
MESHORCH_API int meshorch_subscribe(meshorch_subscription_id* out, meshorch_orchestrator* orch,
                                    meshorch_event_cb cb, void* payload);

/* Stops the callback. When it returns, the callback is not running and will not run again
 * (from inside the callback itself: it will not run again), so its payload may be freed.
 * Returns MESHORCH_OK, MESHORCH_E_NOT_FOUND (unknown or already removed id),
 * MESHORCH_E_INVALID_ARGUMENT. */
MESHORCH_API int meshorch_unsubscribe(meshorch_orchestrator* orch, meshorch_subscription_id id);

/* ---- simulated infrastructure -------------------------------------------------------------- */

/* Everything the simulation of an orchestrator made by meshorch_orchestrator_create_sim()
 * holds, as a JSON object:
 *   {"empty": true|false,
 *    "vnfs": [{"id", "name", "substrate", "instantiated", "instances"}],
 *    "vms": [{"server_id", "address"}],
 *    "pods": [{"namespace", "name", "labels", "ready", "has_proxy"}],
 *    "objects": [<every Kubernetes/Istio manifest in the cluster, in apply order>],
 *    "proxies": [{"server_id", "address", "microservice", "version"}]}
 * Free `*json_out` with meshorch_free(). Returns MESHORCH_OK, MESHORCH_E_INVALID_ARGUMENT (NULL,
 * or an orchestrator that is not simulated). */
MESHORCH_API int meshorch_sim_snapshot(char** json_out, meshorch_orchestrator* orch);

/* Makes backend calls of the simulation fail: the `nth` (1-based) call of kind `call` whose
 * target name contains `match` (NULL or "" matches every call), and the `repeat` - 1 matching
 * calls after it, fail with `fault`.
 *   call:  "vnf_create", "vnf_instantiate", "vnf_scale", "vnf_heal", "vnf_terminate",
 *          "vnf_delete", "vnf_get_operation", "vnf_get", "vnf_find", "k8s_apply", "k8s_get",
 *          "k8s_list", "k8s_remove", "k8s_token", "k8s_root_cert", "k8s_readiness", "inject",
 *          "inject_refresh", "inject_remove", "vnf_resolve"
 *   fault: "unavailable", "rate_limited", "conflict" (transient: retried), "timeout",
 *          "rejected" (terminal), "operation_failed" (LCM op ends FAILED_TEMP),
 *          "never_boots" (a VM never gets an address)
 * Returns MESHORCH_OK or MESHORCH_E_INVALID_ARGUMENT (unknown name, nth or repeat < 1, an
 * orchestrator that is not simulated). */
MESHORCH_API int meshorch_sim_script_fault(meshorch_orchestrator* orch, const char* call, int nth,
                                           const char* fault, const char* match, int repeat);

/* Removes every scripted fault and sets the random fault probability to 0. */
MESHORCH_API int meshorch_sim_clear_faults(meshorch_orchestrator* orch);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MESHORCH_H */
