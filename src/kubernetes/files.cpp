#include "kubernetes/files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace meshorch::kubernetes::detail {

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error(Errc::io, "cannot read " + path + ": " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(Errc::io, "cannot read " + path + ": read failed");
    return text.str();
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
    if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
    if (base_dir.back() == '/') return base_dir + path;
    return base_dir + "/" + path;
}

}  // namespace meshorch::kubernetes::detail
