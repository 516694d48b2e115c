// The real backends — Kubernetes, Tacker (with Keystone and Nova) and the SSH sidecar injector —
// from one configuration document, as the C API, the Python bindings and the command line take
// it (JSON or YAML):
//
//   kubernetes:
//     kubeconfig: /path/to/kubeconfig     # or in_cluster: true
//     context: optional
//     readiness: watch | poll             # default watch
//   tacker:
//     keystone_url: https://keystone.example:5000/v3
//     credentials: {username, password, project_name, user_domain_name, project_domain_name}
//                  or {application_credential_id, application_credential_secret}
//     region: optional     interface: public | internal | admin
//     endpoint: optional Tacker URL (default: the catalog's nfv-orchestration)
//     nova_endpoint: optional (default: the catalog's compute)
//     vim_ids: {vm: <OpenStack VIM id>, container: <Kubernetes VIM id>}
//     vm_network: optional network whose address a VM is reached at
//     kubernetes_def_files: [Files/kubernetes/deployment.yaml]
//     poll_interval_ms: 2000
//     notifications: {listen_address, port, callback_url}   # optional LCM subscription
//     ca_file: optional    insecure_skip_verify: false
//   injector:
//     ssh_user: root       ssh_port: 22
//     ssh_private_key: /path/to/key        ssh_password: optional   ssh_key_passphrase: optional
//     host_key: {mode: known_hosts | pinned | accept_new, known_hosts: path, pinned_key: ...}
//     known_hosts: path    # shorthand for host_key.mode known_hosts
//     proxy_package: /path/to/istio-sidecar.deb   package_manager: dpkg | rpm | none
//     sudo: auto | always | never
//   istiod_address / istiod_ip / mesh_id / cluster_id / network: mesh settings for the VM
//   bundles (istiod_ip: the east-west gateway address the VMs' hosts file maps istiod to)
//   store:                                   # optional; where service records are kept
//     type: memory | sqlite | etcd             # default memory
//     path: /var/lib/meshorch/state.db         # sqlite: the file
//     endpoints: [https://etcd-0:2379, ...]    # etcd: the members, tried in turn
//     prefix: /meshorch/   lease_ttl: 10s   call_timeout: 5s   page_size: 500
//     ca_file, client_certificate_file, client_key_file, insecure_skip_verify: false
//     username, password                       # etcd authentication, optional
//
// Relative file names are taken relative to `base_dir` (the configuration file's directory).
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/etcd_store.hpp>
#include <meshorch/kubernetes.hpp>
#include <meshorch/openstack.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/ssh_injector.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace meshorch {

// Where the orchestrator keeps its service records (Backends::store).
struct StoreConfig {
    enum class Type { memory, sqlite, etcd };
    Type type = Type::memory;
    std::string path;  // sqlite
    EtcdOptions etcd;  // etcd
};

struct BackendsConfig {
    kubernetes::Config kubernetes;
    kubernetes::Options kubernetes_options;
    openstack::TackerConfig tacker;
    injector::SshInjectorConfig injector;
    // Mesh settings the VM bundles need; unset ones keep the OrchestratorOptions defaults.
    std::optional<std::string> istiod_address, istiod_ip, mesh_id, cluster_id, network;
    StoreConfig store;

    // Copies the mesh settings into orchestrator options.
    void apply_to(OrchestratorOptions& options) const;
};

// Errc::parse_error for a malformed document; Errc::invalid_argument with every problem as a
// field error (path like "tacker.vim_ids.vm", with line and column) otherwise, including a
// kubeconfig that cannot be read.
Result<BackendsConfig> parse_backends_config(std::string_view text,
                                             const std::string& base_dir = "");

// Connects the adapters (nothing is contacted yet: the first call authenticates) and opens the
// store (a SQLite file is opened at once; etcd is contacted on the first call).
Result<Backends> make_backends(const BackendsConfig& config);

}  // namespace meshorch
