// The OpenStack adapters: Keystone v3 authentication and service catalog, Nova server look-up,
// and the VnfManager port over Tacker's ETSI SOL003 VNF LCM v2 API.
//
// Only configuration and factories live here: the HTTP/TLS machinery stays inside the library.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meshorch::openstack {

// How to obtain a project-scoped Keystone v3 token. Exactly one credential kind is set:
// username + password (with the user's domain), or an application credential id + secret
// (which carries its own project scope, so project fields are ignored then).
struct KeystoneConfig {
    std::string auth_url;  // e.g. "https://keystone.example:5000/v3" ("/v3" is added if missing)

    std::string username;
    std::string password;
    std::string user_domain_name = "Default";
    std::string user_domain_id;  // wins over user_domain_name when set

    std::string application_credential_id;
    std::string application_credential_secret;

    // Project scope: project_id, or project_name within project_domain_name/_id.
    std::string project_name;
    std::string project_domain_name = "Default";
    std::string project_domain_id;
    std::string project_id;

    std::string region;                // empty: any region
    std::string interface = "public";  // catalog interface: public, internal or admin

    std::string ca_file;  // CA bundle for Keystone and the services; empty: system default
    std::string ca_pem;   // PEM text; wins over ca_file
    bool insecure_skip_verify = false;  // no TLS peer verification (loud warning in the log)

    // A token is renewed this long before it expires, but never later than half-way through
    // its lifetime (short-lived tokens).
    std::chrono::seconds refresh_margin{60};
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{30000};
};

// The optional LCM notification endpoint: Tacker POSTs VnfLcmOperationOccurrenceNotifications
// to it, which only wake the adapter's op-occ pollers sooner (polling stays authoritative).
struct NotificationOptions {
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port
    // The callbackUri registered with Tacker; empty:
    // "http://<listen_address>:<port>/notifications".
    std::string callback_url;
};

struct TackerConfig {
    KeystoneConfig keystone;
    // Service endpoints; empty: taken from the Keystone catalog (types "nfv-orchestration"
    // and "compute").
    std::string tacker_endpoint;
    std::string nova_endpoint;
    // The VIMs registered in Tacker that VNFs are instantiated on.
    struct VimIds {
        std::string vm;         // OpenStack VIM (ETSINFV.OPENSTACK_KEYSTONE.V_3)
        std::string container;  // Kubernetes VIM (ETSINFV.KUBERNETES.V_1)
    } vim_ids;
    // The Neutron network whose address a VM is reached at; empty: the first fixed IPv4.
    std::string vm_network;
    // Kubernetes manifests inside the VNF package, used when the package reference carries no
    // "lcm-kubernetes-def-files" of its own.
    std::vector<std::string> default_kubernetes_def_files = {"Files/kubernetes/deployment.yaml"};
    // Tacker takes the number of VNFCs from the instantiation level. A package reference
    // without an instantiation level gets this one, with "{instances}" replaced by
    // VnfRequest::instances (the convention of Tacker's sample VNFDs: instantiation_level_<N>
    // has N instances); empty: none is sent and the VNFD's default level applies.
    std::string instantiation_level_template = "instantiation_level_{instances}";
    // Scaling: the aspect to scale (empty: the first aspect in the VNF's scaleStatus) and how
    // many VNFCs one scale step adds or removes (the VNFD's aspect delta).
    std::string scale_aspect_id;
    int vnfcs_per_scale_step = 1;
    std::optional<NotificationOptions> notifications;
    // How often wait_for_operation re-reads an op occurrence (notifications wake it sooner).
    std::chrono::milliseconds poll_interval{2000};
    std::size_t threads = 8;  // concurrent calls
};

// The VnfManager port over Tacker (+ Keystone, + Nova for VM addresses). Fails with
// Errc::invalid_argument for an incomplete configuration or unreadable TLS material; it does
// not contact any server yet (except to start the notification listener and subscribe).
Result<std::shared_ptr<VnfManager>> make_vnf_manager(const TackerConfig& config);

}  // namespace meshorch::openstack
