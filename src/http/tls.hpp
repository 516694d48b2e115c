// Internal: OpenSSL contexts for the client and the server, and TLS error messages.
#pragma once

#include "http/client.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <string>

typedef struct ssl_st SSL;

namespace meshorch::http::detail {

// Loads the CA bundle and client certificate of `tls`. Errc::invalid_argument names the file
// (or "PEM string") that could not be read or parsed.
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(const TlsOptions& tls);

// Server certificate and key; with a client CA, clients must present a certificate it signed.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    const std::string& certificate_file, const std::string& key_file,
    const std::string& client_ca_file);

// Prepares one client connection: SNI (for host names, never for IP literals) and, when
// `verify` is on, the name the certificate must match (DNS SAN, or IP SAN for an IP literal).
void set_peer_name(SSL* ssl, const std::string& name, bool verify);

// "certificate verify failed (hostname mismatch)" and so on: OpenSSL's reason, plus the
// certificate verification result when verification is what failed.
std::string describe_tls_error(const boost::system::error_code& ec, SSL* ssl);

// True for errors that come from TLS itself (alerts, verification), not from the connection.
bool is_tls_error(const boost::system::error_code& ec);

}  // namespace meshorch::http::detail
