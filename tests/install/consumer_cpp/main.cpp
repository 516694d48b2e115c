// Loads a small spec with an installed meshorch, renders it and prints the object count.
#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <iostream>

namespace {

constexpr const char* spec_text = R"(apiVersion: meshorch.io/v1alpha1
kind: Service
metadata:
  name: shop
spec:
  microservices:
    - name: web
      ports: [{name: http, number: 8080, protocol: HTTP}]
      versions:
        - name: v1
          container: {image: "registry.example/web:1.0"}
          vnf: {vnfdId: web-cnf, flavourId: simple}
    - name: cart
      ports: [{name: http, number: 9080, protocol: HTTP}]
      versions:
        - name: v1
          vm: {image: cart-1.0, flavor: m1.small, network: net0}
          vnf: {vnfdId: cart-vm, flavourId: simple}
  links:
    - from: web
      to: cart
)";

}  // namespace

int main() {
    auto spec = meshorch::load_spec(spec_text);
    if (!spec) {
        std::cerr << "load_spec failed: " << spec.error().describe() << "\n";
        return 1;
    }
    const meshorch::ObjectSet objects = meshorch::render(*spec);
    if (objects.empty()) {
        std::cerr << "render gave no objects\n";
        return 1;
    }
    std::cout << "objects: " << objects.size() << "\n";
    return 0;
}
