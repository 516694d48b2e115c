// Shared helpers for the spec tests: a valid base spec and JSON-pointer edits of it.
#pragma once

#include <meshorch/document.hpp>
#include <meshorch/spec.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace meshorch::test {

// A valid spec that uses most of the format. Indices used by the tests:
//   microservices[0] frontend (1 HTTP port, httpGet check, 1 container version)
//   microservices[1] backend  (ports http + grpc, traffic policy, v1 VM + v2 container)
//   microservices[2] db       (1 TCP port, tcpSocket check, 1 VM version)
//   links[0] frontend -> backend:http with every HTTP feature, links[1] backend -> db (TCP)
inline constexpr std::string_view base_spec_yaml = R"(apiVersion: meshorch.io/v1alpha1
kind: Service
metadata:
  name: shop
  labels: {team: payments}
spec:
  microservices:
  - name: frontend
    ports:
    - {name: http, number: 8080}
    healthCheck:
      httpGet: {path: /healthz, port: 8080}
    versions:
    - name: v1
      container:
        image: registry.example.com/shop/frontend:1.4.2
        replicas: 2
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
      vnf: {vnfdId: 0c4e6b36-5b0a-4c0e-9a51-1f1a3cc2b001, flavourId: simple}
  - name: backend
    ports:
    - {name: http, number: 9080, protocol: HTTP}
    - {name: grpc, number: 9090, protocol: GRPC}
    trafficPolicy:
      loadBalancer: LEAST_REQUEST
      connectionPool: {maxConnections: 100, connectTimeout: 1s}
      outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 10}
    versions:
    - name: v1
      vm: {image: backend-v1.qcow2, flavor: m1.small, network: private, instances: 2}
      vnf:
        vnfdId: 0c4e6b36-5b0a-4c0e-9a51-1f1a3cc2b002
        flavourId: simple
        instantiationLevel: instantiation_level_1
        extraParams: {ssh_user: ubuntu}
    - name: v2
      container: {image: registry.example.com/shop/backend:2.0.0}
      vnf: {vnfdId: 0c4e6b36-5b0a-4c0e-9a51-1f1a3cc2b003, flavourId: simple}
  - name: db
    ports:
    - {name: tcp-db, number: 5432, protocol: TCP}
    healthCheck:
      tcpSocket: {port: 5432}
    versions:
    - name: v1
      vm: {image: postgres-15.qcow2, flavor: m1.large, network: private}
      vnf: {vnfdId: 0c4e6b36-5b0a-4c0e-9a51-1f1a3cc2b004, flavourId: simple}
  links:
  - from: frontend
    to: backend
    port: http
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}
    fault: {delay: {fixedDelay: 5s, percentage: 10}, abort: {httpStatus: 503, percentage: 5}}
    mirror: {version: v2, percentage: 10}
    routes:
    - match: {headers: {end-user: {exact: jason}}, uri: {prefix: /api}}
      split: [{version: v2, weight: 100}]
    - split: [{version: v1, weight: 90}, {version: v2, weight: 10}]
  - from: backend
    to: db
)";

inline boost::json::value base_document() {
    auto parsed = parse_document(base_spec_yaml);
    EXPECT_TRUE(parsed.ok()) << parsed.error().describe();
    return parsed->value;
}

// The last reference token of a JSON pointer, unescaped (~1 is '/', ~0 is '~').
inline std::string last_token(std::string_view pointer) {
    std::string out;
    const std::string_view token = pointer.substr(pointer.rfind('/') + 1);
    for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size()) {
            out += token[++i] == '1' ? '/' : '~';
        } else {
            out += token[i];
        }
    }
    return out;
}

// Sets the member or element that `pointer` names ("/spec/links/0/port"); "-" appends.
inline void set_at(boost::json::value& doc, std::string_view pointer, boost::json::value v) {
    const auto slash = pointer.rfind('/');
    const std::string_view parent = pointer.substr(0, slash);
    const std::string last = last_token(pointer);
    boost::json::value& target = parent.empty() ? doc : doc.at_pointer(parent);
    if (target.is_object()) {
        target.as_object()[last] = std::move(v);
    } else if (last == "-") {
        target.as_array().push_back(std::move(v));
    } else {
        target.as_array().at(std::stoul(last)) = std::move(v);
    }
}

inline void erase_at(boost::json::value& doc, std::string_view pointer) {
    const auto slash = pointer.rfind('/');
    const std::string_view parent = pointer.substr(0, slash);
    const std::string last = last_token(pointer);
    boost::json::value& target = parent.empty() ? doc : doc.at_pointer(parent);
    if (target.is_object()) {
        ASSERT_TRUE(target.as_object().erase(last)) << pointer;
    } else {
        auto& a = target.as_array();
        a.erase(a.begin() + static_cast<std::ptrdiff_t>(std::stoul(last)));
    }
}

inline boost::json::value json_of(std::string_view text) {
    return boost::json::parse(text);
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string sample_path(const std::string& name) {
    return std::string(MESHORCH_SOURCE_DIR) + "/examples/specs/" + name;
}

}  // namespace meshorch::test
