#include "http/tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>

namespace meshorch::http::detail {
namespace ssl = boost::asio::ssl;
namespace {

Result<std::string> read_file(const std::string& what, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(Errc::invalid_argument,
                          "cannot read the TLS " + what + " file \"" + path + "\"");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The PEM text of one piece of material: the string when given, else the file's content.
// `origin` becomes "file \"/x/ca.pem\"" or "PEM string" for messages.
Result<std::string> material(const std::string& what, const std::string& pem,
                             const std::string& file, std::string& origin) {
    if (!pem.empty()) {
        origin = what + " PEM string";
        return pem;
    }
    origin = what + " file \"" + file + "\"";
    return read_file(what, file);
}

Error bad_material(const std::string& origin, const boost::system::error_code& ec) {
    return make_error(Errc::invalid_argument,
                      "the TLS " + origin + " is not valid PEM: " + ec.message());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_client_context(const TlsOptions& tls) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    std::string origin;
    if (!tls.ca_pem.empty() || !tls.ca_file.empty()) {
        auto pem = material("CA", tls.ca_pem, tls.ca_file, origin);
        if (!pem) return std::move(pem).error();
        ctx->add_certificate_authority(boost::asio::buffer(*pem), ec);
        if (ec) return bad_material(origin, ec);
    } else {
        ctx->set_default_verify_paths(ec);
        if (ec) {
            return make_error(Errc::invalid_argument,
                              "cannot load the system's CA certificates: " + ec.message());
        }
    }
    const bool has_cert =
        !tls.client_certificate_pem.empty() || !tls.client_certificate_file.empty();
    const bool has_key = !tls.client_key_pem.empty() || !tls.client_key_file.empty();
    if (has_cert != has_key) {
        return make_error(Errc::invalid_argument,
                          has_cert ? "a TLS client certificate needs its private key too"
                                   : "a TLS client key needs its certificate too");
    }
    if (has_cert) {
        auto cert = material("client certificate", tls.client_certificate_pem,
                             tls.client_certificate_file, origin);
        if (!cert) return std::move(cert).error();
        ctx->use_certificate_chain(boost::asio::buffer(*cert), ec);
        if (ec) return bad_material(origin, ec);
        std::string key_origin;
        auto key = material("client key", tls.client_key_pem, tls.client_key_file, key_origin);
        if (!key) return std::move(key).error();
        ctx->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
        if (ec) return bad_material(key_origin, ec);
        if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
            ERR_clear_error();
            return make_error(Errc::invalid_argument,
                              "the TLS " + key_origin + " does not match the " + origin);
        }
    }
    ctx->set_verify_mode(tls.verify_peer ? ssl::verify_peer : ssl::verify_none);
    return ctx;
}

Result<std::shared_ptr<ssl::context>> make_server_context(const std::string& certificate_file,
                                                          const std::string& key_file,
                                                          const std::string& client_ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    boost::system::error_code ec;
    std::string origin;
    auto cert = material("server certificate", "", certificate_file, origin);
    if (!cert) return std::move(cert).error();
    ctx->use_certificate_chain(boost::asio::buffer(*cert), ec);
    if (ec) return bad_material(origin, ec);
    std::string key_origin;
    auto key = material("server key", "", key_file, key_origin);
    if (!key) return std::move(key).error();
    ctx->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
    if (ec) return bad_material(key_origin, ec);
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
        ERR_clear_error();
        return make_error(Errc::invalid_argument,
                          "the TLS " + key_origin + " does not match the " + origin);
    }
    if (!client_ca_file.empty()) {
        auto ca = material("client CA", "", client_ca_file, origin);
        if (!ca) return std::move(ca).error();
        ctx->add_certificate_authority(boost::asio::buffer(*ca), ec);
        if (ec) return bad_material(origin, ec);
        // Tell clients which CA to pick a certificate for.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.c_str())) {
            SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
        }
        ERR_clear_error();
        ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    return ctx;
}

void set_peer_name(SSL* ssl, const std::string& name, bool verify) {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(name, ec);
    const bool is_ip = !ec;
    if (!is_ip) {  // SSL_set_tlsext_host_name, without the macro's C cast
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(name.c_str()));
    }
    if (!verify) return;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
}

std::string describe_tls_error(const boost::system::error_code& ec, SSL* ssl) {
    std::string text = ec.message();
    const bool verify_failed =
        ec.category() == boost::asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
    if (ssl != nullptr && verify_failed) {
        const long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK) {
            text += " (";
            text += X509_verify_cert_error_string(verify);
            text += ")";
        }
    }
    return text;
}

bool is_tls_error(const boost::system::error_code& ec) {
    return ec.category() == boost::asio::error::get_ssl_category();
}

}  // namespace meshorch::http::detail
