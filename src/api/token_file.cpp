// load_api_tokens: the `--token-file` format.
#include <meshorch/api_server.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace meshorch {

Result<std::vector<ApiToken>> load_api_tokens(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return make_error(Errc::io,
                          "cannot read the token file " + path + ": " + std::strerror(errno));
    }
    std::vector<ApiToken> tokens;
    Error problems = make_error(Errc::invalid_argument, "invalid token file " + path);
    auto problem = [&](int number, std::string reason) {
        FieldError f;
        f.path = "line " + std::to_string(number);
        f.reason = std::move(reason);
        f.line = number;
        f.column = 1;
        problems.fields.push_back(std::move(f));
    };
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::istringstream words(line);
        std::string token;
        std::string role;
        std::string extra;
        if (!(words >> token) || token.front() == '#') continue;
        // The messages never quote the token: the file holds secrets.
        if (!(words >> role)) {
            problem(number, "expected TOKEN ROLE (ROLE admin or reader); the role is missing");
            continue;
        }
        if (words >> extra && extra.front() != '#') {
            problem(number, "expected TOKEN ROLE; found more words after the role");
            continue;
        }
        if (role == "admin") {
            tokens.push_back({token, ApiRole::admin});
        } else if (role == "reader") {
            tokens.push_back({token, ApiRole::reader});
        } else {
            problem(number, "unknown role \"" + role + "\" (expected admin or reader)");
        }
    }
    if (in.bad()) return make_error(Errc::io, "cannot read the token file " + path);
    if (!problems.fields.empty()) {
        problems.message +=
            ": " + problems.fields.front().path + ": " + problems.fields.front().reason;
        return problems;
    }
    if (tokens.empty()) {
        return make_error(Errc::invalid_argument, "the token file " + path + " holds no token");
    }
    return tokens;
}

}  // namespace meshorch
