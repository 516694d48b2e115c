// The simulated Kubernetes API server (server-side apply, resourceVersions, namespaces that
// cascade), a Deployment controller that runs pods, Istio's sidecar injection webhook and
// istiod's root-cert ConfigMap, and TokenRequest.
#include "sim/core.hpp"
#include "sim/ports_impl.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <ctime>
#include <string_view>

namespace meshorch::sim::detail {

namespace json = boost::json;

std::string rfc3339(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {

using Labels = std::map<std::string, std::string>;

constexpr std::array<std::string_view, 15> cluster_scoped_kinds = {
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "VolumeAttachment",
};

bool is_cluster_scoped(const std::string& kind) {
    return std::find(cluster_scoped_kinds.begin(), cluster_scoped_kinds.end(), kind) !=
           cluster_scoped_kinds.end();
}

bool is_pod(const ObjectKey& key) {
    return key.api_version == "v1" && key.kind == "Pod";
}

ObjectKey namespace_key(const std::string& ns) {
    return ObjectKey{"v1", "Namespace", "", ns};
}

const json::object* object_at(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_object()) return &v->get_object();
    return nullptr;
}

std::string string_at(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string())
        return std::string(v->get_string());
    return {};
}

Labels string_map(const json::object* o) {
    Labels out;
    if (!o) return out;
    for (const auto& [k, v] : *o) {
        if (v.is_string()) out.emplace(std::string(k), std::string(v.get_string()));
    }
    return out;
}

Labels metadata_map(const json::object& manifest, std::string_view field) {
    const auto* md = object_at(manifest, "metadata");
    return md ? string_map(object_at(*md, field)) : Labels{};
}

json::object to_json(const Labels& labels) {
    json::object o;
    for (const auto& [k, v] : labels) o[k] = v;
    return o;
}

bool has_labels(const Labels& have, const Labels& want) {
    for (const auto& [k, v] : want) {
        auto it = have.find(k);
        if (it == have.end() || it->second != v) return false;
    }
    return true;
}

// Equal but for metadata and status: whether an apply changes the spec (and so the generation).
bool same_but_metadata(const json::object& a, const json::object& b) {
    auto is_meta = [](std::string_view k) { return k == "metadata" || k == "status"; };
    std::size_t compared = 0;
    for (const auto& member : a) {
        if (is_meta(member.key())) continue;
        const auto* other = b.if_contains(member.key());
        if (!other || *other != member.value()) return false;
        ++compared;
    }
    const auto others = static_cast<std::size_t>(
        std::count_if(b.begin(), b.end(), [&](const auto& m) { return !is_meta(m.key()); }));
    return compared == others;
}

Error k8s(Errc code, int status, std::string message) {
    return backend_error(Backend::k8s, code, status, std::move(message));
}

Error namespace_not_found(const std::string& ns) {
    return k8s(Errc::not_found, 404, "namespaces \"" + ns + "\" not found");
}

std::string base64url(std::string_view in) {
    static constexpr char table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t buf = 0;
    int bits = 0;
    for (unsigned char c : in) {
        buf = (buf << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += table[(buf >> bits) & 0x3F];
        }
    }
    if (bits > 0) out += table[(buf << (6 - bits)) & 0x3F];
    return out;
}

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

// The pod-template-hash part of a pod name: stable for a template.
std::string template_hash(const json::object* tmpl) {
    static constexpr char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::uint64_t h = fnv1a(tmpl ? json::serialize(*tmpl) : std::string());
    std::string out;
    for (int i = 0; i < 10; ++i) {
        out += alphabet[h % (sizeof alphabet - 1)];
        h /= (sizeof alphabet - 1);
        if (h == 0) h = fnv1a(out);
    }
    return out;
}

constexpr const char* root_cert_pem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIC/DCCAeSgAwIBAgIQbWVzaG9yY2gtc2ltLXJvb3QwDQYJKoZIhvcNAQELBQAw\n"
    "GDEWMBQGA1UEChMNY2x1c3Rlci5sb2NhbDAeFw0yNDAxMDEwMDAwMDBaFw0zNDAx\n"
    "MDEwMDAwMDBaMBgxFjAUBgNVBAoTDWNsdXN0ZXIubG9jYWwwggEiMA0GCSqGSIb3\n"
    "bWVzaG9yY2ggc2ltdWxhdGVkIElzdGlvIENBIHJvb3QgY2VydGlmaWNhdGUgLS0g\n"
    "bm90IGEgcmVhbCBrZXksIGZvciB0ZXN0cyBhbmQgZGVtb3Mgb25seQ==\n"
    "-----END CERTIFICATE-----\n";

}  // namespace

// ---- objects --------------------------------------------------------------------------------

bool Core::namespace_exists(const std::string& ns) const {
    return objects.count(namespace_key(ns)) > 0;
}

Result<Object> Core::store_object(Object in, bool preload) {
    const ObjectKey& key = in.key;
    // For the error messages only: most applies succeed.
    const auto desc = [&key] { return key.to_string(); };
    if (key.api_version.empty() || key.kind.empty() || key.name.empty()) {
        return k8s(Errc::backend, 422,
                   desc() + " is invalid: apiVersion, kind and metadata.name are required");
    }
    if (!preload) {
        const auto derived = key_of(in.manifest);
        if (derived != key) {
            return k8s(Errc::backend, 400,
                       "the manifest (" + derived.api_version + " " + derived.to_string() +
                           ") does not match the object key (" + key.api_version + " " + desc() +
                           ")");
        }
    }
    const bool cluster_scoped = is_cluster_scoped(key.kind);
    if (cluster_scoped && !key.namespace_.empty()) {
        return k8s(
            Errc::backend, 400,
            desc() + ": " + key.kind + " is cluster-scoped; metadata.namespace must be empty");
    }
    if (!cluster_scoped && key.namespace_.empty()) {
        return k8s(Errc::backend, 400, desc() + ": metadata.namespace is required");
    }
    if (!preload && !cluster_scoped && !namespace_exists(key.namespace_)) {
        return namespace_not_found(key.namespace_);
    }

    json::object manifest = std::move(in.manifest).take();
    manifest["apiVersion"] = key.api_version;
    manifest["kind"] = key.kind;
    auto& md_value = manifest["metadata"];
    if (!md_value.is_object()) md_value = json::object();
    auto& md = md_value.get_object();
    md.reserve(md.size() + 5);  // the server's fields below, without growing one at a time
    md["name"] = key.name;
    if (!key.namespace_.empty()) md["namespace"] = key.namespace_;
    const std::string sent_rv = string_at(md, "resourceVersion");
    for (const char* server_field :
         {"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"}) {
        md.erase(server_field);
    }

    if (is_pod(key)) {
        if (!preload) {
            return k8s(Errc::backend, 422,
                       desc() +
                           ": the simulated cluster runs pods for Deployments only; apply a "
                           "Deployment (or preload() the pod)");
        }
        SimPod pod;
        pod.record.namespace_ = key.namespace_;
        pod.record.name = key.name;
        pod.record.labels = string_map(object_at(md, "labels"));
        if (const auto* spec = object_at(manifest, "spec")) {
            if (const auto* cs = spec->if_contains("containers"); cs && cs->is_array()) {
                for (const auto& c : cs->get_array()) {
                    if (c.is_object()) pod.containers.push_back(string_at(c.get_object(), "name"));
                }
            }
        }
        pod.record.has_proxy = std::find(pod.containers.begin(), pod.containers.end(),
                                         "istio-proxy") != pod.containers.end();
        const auto* status = object_at(manifest, "status");
        const std::string phase = status ? string_at(*status, "phase") : std::string();
        pod.record.ready = phase.empty() || phase == "Running";
        pod.uid = new_uuid();
        pod.created = rfc3339(std::chrono::system_clock::now());
        pod.seq = next_pod_seq++;
        put_pod(std::move(pod));
        return pod_object(pods.at(PodId{key.namespace_, key.name}));
    }

    auto existing = objects.find(key);
    if (!sent_rv.empty()) {  // a resourceVersion in the request is a precondition
        const std::string current =
            existing == objects.end()
                ? std::string()
                : string_at(*object_at(existing->second.manifest, "metadata"), "resourceVersion");
        if (current != sent_rv) {
            return k8s(Errc::conflict, 409,
                       "Operation cannot be fulfilled on " + key.kind + " \"" + key.name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again");
        }
    }

    // Labels set by another field manager (preload) stay unless this apply sets them too.
    Labels labels = string_map(object_at(md, "labels"));
    if (preload) {
        foreign_labels[key] = labels;
    } else if (auto f = foreign_labels.find(key); f != foreign_labels.end()) {
        for (const auto& [k, v] : f->second) labels.emplace(k, v);
    }
    if (key.kind == "Namespace") labels["kubernetes.io/metadata.name"] = key.name;
    if (!labels.empty()) md["labels"] = to_json(labels);

    if (existing != objects.end()) {
        const json::object& old = existing->second.manifest.get();
        const auto& old_md = *object_at(old, "metadata");
        md["uid"] = old_md.at("uid");
        md["creationTimestamp"] = old_md.at("creationTimestamp");
        md["generation"] = old_md.at("generation");
        md["resourceVersion"] = old_md.at("resourceVersion");
        if (manifest == old) return existing->second;  // a no-op apply writes nothing
        if (!same_but_metadata(manifest, old)) {
            md["generation"] = old_md.at("generation").to_number<std::int64_t>() + 1;
        }
    } else {
        md["uid"] = new_uuid();
        md["creationTimestamp"] = rfc3339(std::chrono::system_clock::now());
        md["generation"] = 1;
    }
    md["resourceVersion"] = std::to_string(++resource_version);
    Object stored{key, std::move(manifest)};
    put_object(stored);
    if (key.kind == "Deployment") reconcile_deployment(key);
    return stored;
}

void Core::remove_object(const ObjectKey& key) {
    if (is_pod(key)) {
        remove_pod({key.namespace_, key.name}, true);
        return;
    }
    if (key.kind == "Namespace" && key.api_version == "v1") {
        // Everything in it goes too (at once: the sim has no Terminating phase).
        if (auto in = objects_by_namespace.find(key.name); in != objects_by_namespace.end()) {
            const std::set<ObjectKey, ByLocation> inside = std::move(in->second);
            objects_by_namespace.erase(in);
            for (const auto& k : inside) {
                objects.erase(k);
                foreign_labels.erase(k);
            }
        }
        std::vector<PodId> inside;
        for (auto it = pods.lower_bound(PodId{key.name, ""});
             it != pods.end() && it->first.first == key.name; ++it) {
            inside.push_back(it->first);
        }
        for (const auto& id : inside) erase_pod(id);
    }
    erase_object(key);
    foreign_labels.erase(key);
    if (key.kind == "Deployment") reconcile_deployment(key);
}

void Core::put_object(Object object) {
    if (!object.key.namespace_.empty()) {
        objects_by_namespace[object.key.namespace_].insert(object.key);
    }
    auto key = object.key;
    objects.insert_or_assign(std::move(key), std::move(object));
}

void Core::erase_object(const ObjectKey& key) {
    if (objects.erase(key) == 0 || key.namespace_.empty()) return;
    if (auto in = objects_by_namespace.find(key.namespace_); in != objects_by_namespace.end()) {
        in->second.erase(key);
        if (in->second.empty()) objects_by_namespace.erase(in);
    }
}

void Core::put_pod(SimPod pod) {
    PodId id{pod.record.namespace_, pod.record.name};
    erase_pod(id);
    if (pod.owner) pods_by_owner[*pod.owner].emplace(pod.seq, id);
    pods.emplace(std::move(id), std::move(pod));
}

void Core::erase_pod(const PodId& id) {
    auto it = pods.find(id);
    if (it == pods.end()) return;
    if (const auto& owner = it->second.owner) {
        if (auto o = pods_by_owner.find(*owner); o != pods_by_owner.end()) {
            o->second.erase(it->second.seq);
            if (o->second.empty()) pods_by_owner.erase(o);
        }
    }
    pods.erase(it);
}

std::vector<const SimPod*> Core::pods_of(const ObjectKey& deployment) const {
    std::vector<const SimPod*> out;
    auto owned = pods_by_owner.find(deployment);
    if (owned == pods_by_owner.end()) return out;
    out.reserve(owned->second.size());
    for (const auto& [seq, id] : owned->second) out.push_back(&pods.at(id));  // by seq
    return out;
}

void Core::remove_pod(const PodId& id, bool recreate) {
    auto it = pods.find(id);
    if (it == pods.end()) return;
    auto owner = it->second.owner;
    erase_pod(id);
    if (recreate && owner) reconcile_deployment(*owner);  // the ReplicaSet replaces it
}

namespace {

// Istio's injection webhook: namespace label istio-injection=enabled or istio.io/rev, or the
// pod label sidecar.istio.io/inject=true; "disabled" / "false" opt out.
bool injects(const Labels& ns_labels, const Labels& pod_labels, const Labels& pod_annotations) {
    auto get = [](const Labels& m, const char* k) {
        auto it = m.find(k);
        return it == m.end() ? std::string() : it->second;
    };
    const std::string ns_injection = get(ns_labels, "istio-injection");
    if (ns_injection == "disabled") return false;
    const std::string pod_label = get(pod_labels, "sidecar.istio.io/inject");
    if (pod_label == "false" || get(pod_annotations, "sidecar.istio.io/inject") == "false") {
        return false;
    }
    if (pod_label == "true") return true;
    return ns_injection == "enabled" || ns_labels.count("istio.io/rev") > 0;
}

}  // namespace

void Core::reconcile_deployment(const ObjectKey& key) {
    int desired = 0;
    Labels labels;
    Labels annotations;
    std::vector<std::string> containers;
    const json::object* tmpl = nullptr;
    if (auto it = objects.find(key); it != objects.end()) {
        if (const auto* spec = object_at(it->second.manifest, "spec")) {
            desired = 1;
            if (const auto* r = spec->if_contains("replicas"); r && r->is_number()) {
                desired = static_cast<int>(std::max<std::int64_t>(0, r->to_number<std::int64_t>()));
            }
            tmpl = object_at(*spec, "template");
            if (tmpl) {
                if (const auto* tmd = object_at(*tmpl, "metadata")) {
                    labels = string_map(object_at(*tmd, "labels"));
                    annotations = string_map(object_at(*tmd, "annotations"));
                }
                if (const auto* pspec = object_at(*tmpl, "spec")) {
                    if (const auto* cs = pspec->if_contains("containers"); cs && cs->is_array()) {
                        for (const auto& c : cs->get_array()) {
                            if (c.is_object())
                                containers.push_back(string_at(c.get_object(), "name"));
                        }
                    }
                }
            }
        }
    }
    // A changed template replaces every pod (a rollout, without the surge).
    std::vector<PodId> owned;
    for (const SimPod* p : pods_of(key)) {
        PodId id{p->record.namespace_, p->record.name};
        if (p->record.labels != labels || p->containers != containers) {
            erase_pod(id);
        } else {
            owned.push_back(std::move(id));
        }
    }
    while (static_cast<int>(owned.size()) > desired) {  // scale in: the newest go first
        erase_pod(owned.back());
        owned.pop_back();
    }
    if (static_cast<int>(owned.size()) >= desired) return;
    const Labels ns_labels = [&] {
        auto it = objects.find(namespace_key(key.namespace_));
        return it == objects.end() ? Labels{} : metadata_map(it->second.manifest, "labels");
    }();
    const std::string hash = template_hash(tmpl);
    const auto start = options.pod_start_time;
    for (int n = static_cast<int>(owned.size()); n < desired; ++n) {
        std::string name;
        do {
            name = key.name + "-" + hash + "-" + random_suffix(5);
        } while (pods.count({key.namespace_, name}) > 0);
        SimPod pod;
        pod.record.namespace_ = key.namespace_;
        pod.record.name = name;
        pod.record.labels = labels;
        pod.record.ready = start.count() <= 0;
        pod.record.has_proxy = injects(ns_labels, labels, annotations);
        pod.owner = key;
        pod.containers = containers;
        pod.uid = new_uuid();
        pod.created = rfc3339(std::chrono::system_clock::now());
        pod.seq = next_pod_seq++;
        if (!pod.record.ready) {
            at(Clock::now() + start,
               [id = std::make_pair(key.namespace_, name), uid = pod.uid](Core& core) {
                   std::lock_guard lock(core.mutex);
                   auto it = core.pods.find(id);
                   if (it != core.pods.end() && it->second.uid == uid)
                       it->second.record.ready = true;
               });
        }
        put_pod(std::move(pod));
    }
}

Object Core::pod_object(const SimPod& pod) const {
    json::object md;
    md["name"] = pod.record.name;
    md["namespace"] = pod.record.namespace_;
    md["uid"] = pod.uid;
    md["creationTimestamp"] = pod.created;
    if (!pod.record.labels.empty()) md["labels"] = to_json(pod.record.labels);
    if (pod.owner) {
        md["ownerReferences"] = json::array{json::object{{"apiVersion", pod.owner->api_version},
                                                         {"kind", pod.owner->kind},
                                                         {"name", pod.owner->name},
                                                         {"controller", true}}};
    }
    json::array containers;
    for (const auto& c : pod.containers) {
        if (c != "istio-proxy") containers.push_back(json::object{{"name", c}});
    }
    if (pod.record.has_proxy) containers.push_back(json::object{{"name", "istio-proxy"}});
    const bool ready = pod.record.ready;
    json::object manifest{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", std::move(md)},
        {"spec", json::object{{"containers", std::move(containers)}}},
        {"status", json::object{{"phase", ready ? "Running" : "Pending"},
                                {"conditions",
                                 json::array{json::object{{"type", "Ready"},
                                                          {"status", ready ? "True" : "False"}}}}}},
    };
    return make_object(std::move(manifest));
}

std::optional<std::string> Core::check_mesh_token(const std::string& token,
                                                  const std::string& namespace_,
                                                  const std::string& service_account) const {
    auto it = tokens.find(token);
    if (it == tokens.end()) return std::nullopt;  // not issued here: the harness's own
    const IssuedToken& t = it->second;
    if (t.audience != "istio-ca") {
        return "istio-token has audience \"" + t.audience + "\", istiod expects \"istio-ca\"";
    }
    if (std::chrono::system_clock::now() >= t.expires_at) {
        return "istio-token expired at " + rfc3339(t.expires_at);
    }
    if (t.namespace_ != namespace_ || t.service_account != service_account) {
        return "istio-token is for serviceaccount " + t.namespace_ + "/" + t.service_account +
               ", not " + namespace_ + "/" + service_account;
    }
    return std::nullopt;
}

// ---- the port -------------------------------------------------------------------------------

namespace {

class SimCluster final : public Cluster {
public:
    explicit SimCluster(std::shared_ptr<Core> core) : core_(std::move(core)) {}

    void apply(const Object& object, const CallContext& ctx, Callback<Object> done) override {
        // The call keeps a copy until it is performed; performing it uses that copy up. (An
        // init-capture: a plain capture of `object` would be const, and its move a copy.)
        core_->call<Object>(
            CallKind::k8s_apply, object.key.name, ctx, std::move(done),
            [kept = object](Core& c, std::optional<FaultKind>) mutable -> Result<Object> {
                // The server's own copy of the manifest (the caller still shares it), made
                // before the world is locked: callers wait for that lock.
                (void)kept.manifest.edit();
                std::lock_guard lock(c.mutex);
                return c.store_object(std::move(kept), false);
            });
    }

    void get(const ObjectKey& key, const CallContext& ctx,
             Callback<std::optional<Object>> done) override {
        core_->call<std::optional<Object>>(
            CallKind::k8s_get, key.name, ctx, std::move(done),
            [key](Core& c, std::optional<FaultKind>) -> Result<std::optional<Object>> {
                std::lock_guard lock(c.mutex);
                if (is_pod(key)) {
                    auto it = c.pods.find({key.namespace_, key.name});
                    if (it == c.pods.end()) return std::optional<Object>();
                    return std::optional<Object>(c.pod_object(it->second));
                }
                auto it = c.objects.find(key);
                if (it == c.objects.end()) return std::optional<Object>();
                return std::optional<Object>(it->second);
            });
    }

    void list(const std::string& api_version, const std::string& kind,
              const std::string& namespace_, const std::map<std::string, std::string>& labels,
              const CallContext& ctx, Callback<std::vector<Object>> done) override {
        core_->call<std::vector<Object>>(
            CallKind::k8s_list, kind, ctx, std::move(done),
            [api_version, kind, namespace_, labels](
                Core& c, std::optional<FaultKind>) -> Result<std::vector<Object>> {
                std::lock_guard lock(c.mutex);
                std::vector<Object> out;
                const bool all_namespaces = namespace_.empty() || is_cluster_scoped(kind);
                if (api_version == "v1" && kind == "Pod") {
                    // Ordered by namespace, name: one namespace is one range.
                    auto it = all_namespaces ? c.pods.begin()
                                             : c.pods.lower_bound(Core::PodId{namespace_, ""});
                    for (; it != c.pods.end(); ++it) {
                        if (!all_namespaces && it->first.first != namespace_) break;
                        if (has_labels(it->second.record.labels, labels)) {
                            out.push_back(c.pod_object(it->second));
                        }
                    }
                    return out;
                }
                auto add = [&](const ObjectKey& key, const Object& object) {
                    if (key.api_version != api_version || key.kind != kind) return;
                    if (has_labels(metadata_map(object.manifest, "labels"), labels)) {
                        out.push_back(object);
                    }
                };
                if (all_namespaces) {
                    for (const auto& [key, object] : c.objects) add(key, object);
                } else if (auto in = c.objects_by_namespace.find(namespace_);
                           in != c.objects_by_namespace.end()) {
                    for (const auto& key : in->second) add(key, c.objects.at(key));  // key order
                }
                return out;
            });
    }

    void remove(const ObjectKey& key, const CallContext& ctx, Callback<Ok> done) override {
        core_->call<Ok>(CallKind::k8s_remove, key.name, ctx, std::move(done),
                        [key](Core& c, std::optional<FaultKind>) -> Result<Ok> {
                            std::lock_guard lock(c.mutex);
                            c.remove_object(key);
                            return Ok{};
                        });
    }

    void create_token(const std::string& namespace_, const std::string& service_account,
                      const std::string& audience, std::chrono::seconds lifetime,
                      const CallContext& ctx, Callback<ServiceAccountToken> done) override {
        core_->call<ServiceAccountToken>(
            CallKind::k8s_token, service_account, ctx, std::move(done),
            [namespace_, service_account, audience, lifetime](
                Core& c, std::optional<FaultKind>) -> Result<ServiceAccountToken> {
                std::lock_guard lock(c.mutex);
                if (lifetime.count() <= 0) {
                    return k8s(Errc::backend, 422,
                               "TokenRequest for serviceaccount " + namespace_ + "/" +
                                   service_account +
                                   " is invalid: spec.expirationSeconds must "
                                   "be positive");
                }
                if (!c.namespace_exists(namespace_)) return namespace_not_found(namespace_);
                auto sa =
                    c.objects.find(ObjectKey{"v1", "ServiceAccount", namespace_, service_account});
                if (sa == c.objects.end()) {
                    return k8s(Errc::not_found, 404,
                               "serviceaccounts \"" + service_account + "\" not found");
                }
                const auto now = std::chrono::system_clock::now();
                const auto expires = now + lifetime;
                auto secs = [](std::chrono::system_clock::time_point t) {
                    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch())
                        .count();
                };
                const json::object header{{"alg", "RS256"}, {"kid", "meshorch-sim"}};
                const json::object payload{
                    {"aud", json::array{json::value(audience)}},
                    {"exp", secs(expires)},
                    {"iat", secs(now)},
                    {"nbf", secs(now)},
                    {"iss", "https://kubernetes.default.svc.cluster.local"},
                    {"kubernetes.io",
                     json::object{{"namespace", namespace_},
                                  {"serviceaccount",
                                   json::object{{"name", service_account},
                                                {"uid", string_at(*object_at(sa->second.manifest,
                                                                             "metadata"),
                                                                  "uid")}}}}},
                    {"sub", "system:serviceaccount:" + namespace_ + ":" + service_account},
                    {"jti", c.new_uuid()},
                };
                std::string signature;
                for (int i = 0; i < 4; ++i) {
                    const std::string part = c.new_uuid();
                    signature += part;
                }
                ServiceAccountToken token;
                token.token = base64url(json::serialize(header)) + "." +
                              base64url(json::serialize(payload)) + "." + base64url(signature);
                token.expires_at = expires;
                c.tokens[token.token] = IssuedToken{namespace_, service_account, audience, expires};
                return token;
            });
    }

    void root_certificate(const std::string& namespace_, const CallContext& ctx,
                          Callback<std::string> done) override {
        core_->call<std::string>(
            CallKind::k8s_root_cert, namespace_, ctx, std::move(done),
            [namespace_](Core& c, std::optional<FaultKind>) -> Result<std::string> {
                std::lock_guard lock(c.mutex);
                // istiod writes ConfigMap istio-ca-root-cert into every namespace.
                if (!c.namespace_exists(namespace_)) {
                    return k8s(Errc::not_found, 404, "configmaps \"istio-ca-root-cert\" not found");
                }
                return std::string(root_cert_pem);
            });
    }

    void workload_readiness(const std::string& namespace_, const std::string& microservice,
                            const std::string& version, const CallContext& ctx,
                            Callback<WorkloadReadiness> done) override {
        core_->call<WorkloadReadiness>(
            CallKind::k8s_readiness, microservice + "-" + version, ctx, std::move(done),
            [namespace_, microservice, version](
                Core& c, std::optional<FaultKind>) -> Result<WorkloadReadiness> {
                std::lock_guard lock(c.mutex);
                const Labels want{{"app", microservice}, {"version", version}};
                WorkloadReadiness r;
                for (auto it = c.pods.lower_bound(Core::PodId{namespace_, ""});
                     it != c.pods.end() && it->first.first == namespace_; ++it) {
                    const SimPod& pod = it->second;
                    if (!has_labels(pod.record.labels, want)) continue;
                    ++r.pods;
                    if (pod.record.ready) ++r.ready;
                    if (pod.record.has_proxy) ++r.with_proxy;
                }
                return r;
            });
    }

private:
    std::shared_ptr<Core> core_;
};

}  // namespace

std::shared_ptr<Cluster> make_cluster(std::shared_ptr<Core> core) {
    return std::make_shared<SimCluster>(std::move(core));
}

}  // namespace meshorch::sim::detail
