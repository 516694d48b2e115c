// The OpenStack side of the integration tests, started once per test binary: a real Keystone
// (scripts/start-keystone, 4 s tokens), the Kubernetes API emulator (for container VNFs) and
// the Tacker + Nova emulator over HTTPS, with Tacker and Nova registered in Keystone's catalog.
#pragma once

#include "http/client.hpp"
#include "support/child_process.hpp"
#include "tacker/tacker_vnf_manager.hpp"

#include <meshorch/openstack.hpp>
#include <meshorch/ports.hpp>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

namespace meshorch::test {

inline constexpr int token_seconds = 4;
inline constexpr const char* container_vnfd = "cnf-web";

class OpenStackWorld {
public:
    static OpenStackWorld& get() {
        static OpenStackWorld world;
        return world;
    }

    std::string dir;
    std::string pki;
    boost::json::object keystone_info;
    boost::json::object emulator_info;

    openstack::KeystoneConfig keystone_config() const {
        openstack::KeystoneConfig c;
        c.auth_url = str(keystone_info, "url");
        const auto& user = keystone_info.at("user").as_object();
        c.username = str(user, "name");
        c.password = str(user, "password");
        c.user_domain_name = str(user, "domain");
        c.project_name = str(user, "project");
        c.project_domain_name = str(user, "domain");
        c.region = str(keystone_info, "region");
        c.ca_file = pki + "/ca.pem";
        c.connect_timeout = std::chrono::seconds(5);
        c.request_timeout = std::chrono::seconds(10);
        return c;
    }

    openstack::KeystoneConfig app_credential_config() const {
        auto c = keystone_config();
        c.username.clear();
        c.password.clear();
        const auto& ac = keystone_info.at("application_credential").as_object();
        c.application_credential_id = str(ac, "id");
        c.application_credential_secret = str(ac, "secret");
        return c;
    }

    openstack::TackerConfig tacker_config() const {
        openstack::TackerConfig c;
        c.keystone = keystone_config();
        c.vim_ids.vm = "vim-openstack-1";
        c.vim_ids.container = "vim-kubernetes-1";
        c.poll_interval = std::chrono::milliseconds(100);
        return c;
    }

    std::shared_ptr<tacker::TackerVnfManager> manager(const openstack::TackerConfig& c) const {
        auto m = tacker::TackerVnfManager::create(c);
        if (!m) throw std::runtime_error("TackerVnfManager: " + m.error().message);
        return *m;
    }

    std::string tacker_url() const { return str(emulator_info, "tacker"); }
    std::string nova_url() const { return str(emulator_info, "nova"); }

    // The emulator's control API (/_emulator).
    boost::json::value control(const std::string& method, const std::string& path,
                               const boost::json::value& body = nullptr) {
        http::Request r;
        r.method = method;
        r.url = str(emulator_info, "control") + path;
        if (!body.is_null()) {
            r.headers.push_back({"Content-Type", "application/json"});
            r.body = boost::json::serialize(body);
        }
        auto response = control_client_->send(r, CallContext{});
        if (!response || response->status != 200) {
            throw std::runtime_error("control " + path + " failed: " +
                                     (response ? response->body : response.error().message));
        }
        return boost::json::parse(response->body);
    }
    void fault(const boost::json::object& rule) { control("POST", "/faults", rule); }
    void clear_faults() { control("DELETE", "/faults"); }
    boost::json::object state() { return control("GET", "/state").as_object(); }

private:
    static std::string str(const boost::json::object& o, const char* key) {
        return std::string(o.at(key).as_string());
    }

    OpenStackWorld() {
        char tmpl[] = "/tmp/meshorch-openstack-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir = tmpl;
        pki = dir + "/pki";
        const std::string src = MESHORCH_SOURCE_DIR;
        const std::string python = "/usr/bin/python3";
        if (std::system(
                (python + " " + src + "/tests/emulators/pki.py " + pki + " >/dev/null").c_str()) !=
            0) {
            throw std::runtime_error("pki.py failed");
        }
        write_container_package();
        keystone_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{python, src + "/scripts/start-keystone", "--dir",
                                     dir + "/keystone", "--token-expiration",
                                     std::to_string(token_seconds)},
            std::chrono::seconds(120));
        keystone_info = keystone_->info();
        const std::string kube_token = "kube-admin-token";
        kube_ = std::make_unique<ChildProcess>(std::vector<std::string>{
            python, src + "/tests/emulators/kube_apiserver/main.py", "--pki", pki, "--token",
            kube_token, "--inject-sidecars", "--pod-ready-seconds", "0.1"});
        const auto& admin = keystone_info.at("admin").as_object();
        emulator_ = std::make_unique<ChildProcess>(std::vector<std::string>{
            python, src + "/tests/emulators/tacker/main.py", "--pki", pki, "--keystone",
            str(keystone_info, "url"), "--keystone-admin-password", str(admin, "password"),
            "--op-seconds", "0.3", "--accept-any-vnfd", "--packages", dir + "/packages",
            "--kube-url", kube_->get("url"), "--kube-token", kube_token, "--kube-ca",
            pki + "/ca.pem"});
        emulator_info = emulator_->info();
        ChildProcess catalog({python, src + "/scripts/start-keystone", "--catalog-only", "--url",
                              str(keystone_info, "url"), "--admin-password", str(admin, "password"),
                              "--tacker-url", tacker_url(), "--nova-url", nova_url()},
                             std::chrono::seconds(60));
        http::ClientOptions options;
        options.tls.ca_file = pki + "/ca.pem";
        options.logger = "test";
        auto client = http::Client::create(options);
        if (!client) throw std::runtime_error(client.error().message);
        control_client_ = *client;
    }

    void write_container_package() {
        const auto files =
            std::filesystem::path(dir) / "packages" / container_vnfd / "Files" / "kubernetes";
        std::filesystem::create_directories(files);
        std::ofstream(files / "deployment.yaml") << R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web, version: v2}
  template:
    metadata:
      labels: {app: web, version: v2}
    spec:
      serviceAccountName: default
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
)";
    }

    std::unique_ptr<ChildProcess> keystone_;
    std::unique_ptr<ChildProcess> kube_;
    std::unique_ptr<ChildProcess> emulator_;
    std::shared_ptr<http::Client> control_client_;
};

// Runs one asynchronous port call and waits for its callback.
template <class T, class Start>
Result<T> await(Start&& start) {
    std::promise<Result<T>> promise;
    auto future = promise.get_future();
    start([&promise](Result<T> r) { promise.set_value(std::move(r)); });
    return future.get();
}

inline CallContext ctx(std::chrono::milliseconds budget = std::chrono::seconds(20)) {
    CallContext c;
    c.deadline = Clock::now() + budget;
    c.operation_id = "it-op";
    return c;
}

inline VnfRequest vm_request(const std::string& name, int instances = 2) {
    VnfRequest r;
    r.name = name;
    r.service = "bookinfo";
    r.namespace_ = "default";
    r.microservice = "ratings";
    r.version = "v1";
    r.substrate = Substrate::vm;
    r.package.vnfd_id = "vnfd-ratings";
    r.package.flavour_id = "simple";
    r.instances = instances;
    r.vm = VmWorkload{"ratings-image", "m1.small", "net0", instances};
    return r;
}

inline VnfRequest container_request(const std::string& name, int replicas = 2) {
    VnfRequest r;
    r.name = name;
    r.service = "bookinfo";
    r.namespace_ = "default";
    r.microservice = "web";
    r.version = "v2";
    r.substrate = Substrate::container;
    r.package.vnfd_id = container_vnfd;
    r.package.flavour_id = "simple";
    r.instances = replicas;
    return r;
}

}  // namespace meshorch::test
