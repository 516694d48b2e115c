// meshorch::kubernetes — the Cluster port (ports.hpp) over the Kubernetes REST API, HTTPS.
//
// Where the connection settings come from: a kubeconfig file (load_kubeconfig, as kubectl reads
// it) or the Pod's service account (in_cluster_config). make_cluster() turns them into a Cluster.
//
// What the calls do on the wire:
//   apply             PATCH <object path>?fieldManager=meshorch&force=true, Content-Type
//                     application/apply-patch+yaml (server-side apply). force=true because
//                     meshorch owns the objects it applies: a field another manager took over is
//                     taken back rather than failing the apply with a conflict.
//   get               GET; 404 is std::nullopt.
//   list              GET ?labelSelector=k=v,...&limit=<page>, following metadata.continue;
//                     the items come back with apiVersion and kind filled in.
//   remove            DELETE with propagationPolicy=Background; 404 is success.
//   create_token      POST .../serviceaccounts/<sa>/token (authentication.k8s.io/v1 TokenRequest).
//   root_certificate  GET ConfigMap istio-ca-root-cert, key root-cert.pem. A missing ConfigMap or
//                     key is Errc::transient: istiod publishes it in every namespace shortly after
//                     the namespace appears, so waiting is the right answer.
//   workload_readiness  pods labelled app=<microservice>,version=<version>: by a list per call
//                     (Readiness::poll) or from a per-namespace watch cache (Readiness::watch;
//                     answers from memory once the cache has synced, by a list until then).
//
// Resource paths come from the server's discovery documents (/api/v1, /apis/<group>/<version>),
// cached per cluster and refreshed once when a kind is missing (a CRD installed later).
//
// Errors: the server's Status (reason, message, code) becomes the Error: message
// "<METHOD> <path>: <status message> (<reason>)", http_status, body_excerpt. 409 is
// Errc::conflict; 429 (with its Retry-After seconds in the message and in Error::fields as
// {"retry_after", "<seconds>"}), 5xx and connection trouble are Errc::transient; 401/403 are
// Errc::backend "unauthorized"; other refusals Errc::backend. Tokens never reach a log line.
//
// Logging: spdlog logger "kubernetes"; every line carries the CallContext's operation id.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace meshorch::kubernetes {

// How to reach and authenticate to one API server.
struct Config {
    std::string server;  // "https://host:port"
    // TLS: the CA bundle that signs the server's certificate (PEM). Empty: the system's CAs.
    std::string ca_pem;
    // Client certificate authentication (PEM); both or neither.
    std::string client_certificate_pem;
    std::string client_key_pem;
    // Bearer token authentication: a fixed token, or a file read again whenever it changes
    // (projected service account tokens rotate). The file wins when both are set.
    std::string token;
    std::string token_file;
    // Turns TLS verification off: explicit, and logged as a warning.
    bool insecure_skip_tls_verify = false;
    // The name to verify the server's certificate against when it differs from the URL's host.
    std::string tls_server_name;
    // The kubeconfig context's namespace, or the service account's; informative.
    std::string default_namespace;

    // Tuning.
    std::size_t max_connections = 16;  // per server
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{30000};
};

// Reads a kubeconfig file as kubectl does: the named context, or current-context when `context`
// is empty. Supports certificate-authority(-data), client-certificate(-data), client-key(-data),
// token, tokenFile, insecure-skip-tls-verify, tls-server-name and the context's namespace.
// Relative file paths are relative to the kubeconfig's directory. Users with exec or
// auth-provider plugins are Errc::invalid_argument ("not supported"). Every error names the file,
// the context and the field.
Result<Config> load_kubeconfig(const std::string& path, const std::string& context = "");

// The configuration of a process running in a Pod: KUBERNETES_SERVICE_HOST/PORT and
// <root>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}. The token is
// used as a token file (re-read when it rotates).
Result<Config> in_cluster_config(const std::string& root = "/");

enum class Readiness {
    watch,  // a background watch of the namespace's pods answers from memory
    poll,   // every call lists the pods
};

struct Options {
    std::size_t threads = 8;  // calls in flight at once; more wait their turn
    Readiness readiness = Readiness::watch;
    std::size_t list_page_size = 500;  // list `limit`; the rest comes through `continue`
    std::string field_manager = "meshorch";
    // How long one watch request stays open before it is renewed (the server may end it
    // sooner; either way the watch resumes from the last resourceVersion seen).
    std::chrono::seconds watch_timeout{300};
};

// A Cluster over the API server `config` names. The connection is made on the first call; bad
// TLS material (a PEM that does not parse) fails here with Errc::invalid_argument.
Result<std::shared_ptr<Cluster>> make_cluster(const Config& config, const Options& options = {});

}  // namespace meshorch::kubernetes
