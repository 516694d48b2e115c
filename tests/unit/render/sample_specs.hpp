// Service specs built in C++ for the render tests (independent of the spec parser).
#pragma once

#include <meshorch/model.hpp>
#include <meshorch/render.hpp>

namespace meshorch::testing {

// Bookinfo on both substrates: productpage (container), details (VM), reviews v1 (VM) with v2
// (container), ratings (container) and a mongodb (VM, TCP). Links with a header match, weighted
// splits, retries, timeout, fault injection and a mirror.
ServiceSpec bookinfo_hybrid();

// Two microservices in containers, one link, default-deny off, a control-plane revision.
ServiceSpec all_containers();

// Three microservices on VMs with several instances, a TCP link and PERMISSIVE mTLS.
ServiceSpec all_vms();

// Addresses for every VM instance the spec asks for: 10.0.0.1, 10.0.0.2, ... in spec order
// (microservices, then versions, then instances), server ids "server-<n>".
Observed observed_vms(const ServiceSpec& spec);

// Small building blocks.
Version vm_version(const std::string& name, int instances = 1);
Version container_version(const std::string& name, int replicas = 1);
Microservice microservice(const std::string& name, std::vector<Version> versions,
                          std::vector<Port> ports = {{"http", 8080, Protocol::http}});
Link link(const std::string& from, const std::string& to, const std::string& port = "http");

}  // namespace meshorch::testing
