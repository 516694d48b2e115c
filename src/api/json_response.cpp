#include "api/json_response.hpp"

#include <boost/json/serialize.hpp>

namespace meshorch::api {

http::Response json_response(int status, const boost::json::value& body,
                             std::vector<http::Header> headers) {
    http::Response r;
    r.status = status;
    r.headers = std::move(headers);
    r.headers.push_back({"Content-Type", "application/json"});
    r.headers.push_back({"Cache-Control", "no-store"});
    r.body = boost::json::serialize(body);
    r.body += '\n';
    return r;
}

}  // namespace meshorch::api
