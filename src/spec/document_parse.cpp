// parse_document / parse_documents: YAML through yaml-cpp, JSON through Boost.JSON, both into
// boost::json values with a SourceMap of where every value came from.

#include <meshorch/document.hpp>

#include "model/utf8.hpp"
#include "spec/json_path.hpp"
#include "spec/scalars.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>

namespace meshorch {

namespace {

using spec_detail::index_path;
using spec_detail::member_path;

// Nesting deeper than this is refused (Boost.JSON's own limit is set to the same value).
constexpr int max_depth = 64;

// Thrown inside the readers, turned into an Error at the boundary.
struct Failure {
    int line;
    int column;
    std::string message;
};

Error parse_failure(int line, int column, std::string message) {
    Error e = make_error(Errc::parse_error, std::move(message));
    e.line = line;
    e.column = column;
    return e;
}

std::string_view skip_bom(std::string_view text) {
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    return text;
}

std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = "byte 0x";
    out += hex[u >> 4];
    out += hex[u & 0xf];
    return out;
}

// ---- YAML ----------------------------------------------------------------------------------

const std::string tag_str = "tag:yaml.org,2002:str";
const std::string tag_int = "tag:yaml.org,2002:int";
const std::string tag_float = "tag:yaml.org,2002:float";
const std::string tag_bool = "tag:yaml.org,2002:bool";
const std::string tag_null = "tag:yaml.org,2002:null";
const std::string tag_map = "tag:yaml.org,2002:map";
const std::string tag_seq = "tag:yaml.org,2002:seq";

std::pair<int, int> position(const YAML::Mark& m) {
    if (m.is_null()) return {0, 0};
    return {m.line + 1, m.column + 1};
}

[[noreturn]] void fail(const YAML::Mark& mark, std::string message) {
    const auto [line, column] = position(mark);
    throw Failure{line, column, std::move(message)};
}

// Builds boost::json documents straight from yaml-cpp's parser events (no YAML::Node tree),
// typing scalars by the core schema, expanding aliases within a size budget, recording the
// position of every value.
class YamlBuilder final : public YAML::EventHandler {
public:
    YamlBuilder(std::string_view text, std::vector<ParsedDocument>& docs)
        : text_(text), docs_(docs), budget_(16 * text.size() + 65536) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        // yaml-cpp 0.7 starts a new, empty document without consuming anything when it meets a
        // stray token such as a ',' at the top level, and would do so forever.
        if (last_document_start_ && last_document_start_->pos == mark.pos) {
            const std::size_t pos = static_cast<std::size_t>(mark.pos);
            fail(mark, pos < text_.size() ? "unexpected " + describe_char(text_[pos])
                                          : std::string("unexpected end of input"));
        }
        last_document_start_ = mark;
        doc_ = ParsedDocument{};
        have_root_ = false;
        stack_.clear();
    }

    void OnDocumentEnd() override {
        // Empty documents ("---" with nothing after it) are skipped, as kubectl does.
        if (have_root_ && !doc_.value.is_null()) docs_.push_back(std::move(doc_));
    }

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (expecting_key()) fail(mark, "a mapping key must not be null or empty");
        add(nullptr, mark, anchor, 1, 0);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (expecting_key()) fail(mark, "an alias cannot be a mapping key here");
        const auto it = anchors_.find(anchor);
        if (it == anchors_.end()) fail(mark, "an alias refers to a node that contains it");
        if (it->second.cost > budget_) {
            fail(mark, "the document is too large once its aliases are expanded");
        }
        add(it->second.value, mark, YAML::NullAnchor, it->second.cost, it->second.depth);
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        if (!spec_detail::is_valid_utf8(value)) fail(mark, "invalid UTF-8 in a string");
        if (expecting_key()) {
            Frame& f = stack_.back();
            if (f.value.get_object().contains(value)) {
                fail(mark, "duplicate key \"" + value + "\"");
            }
            f.key = value;
            f.has_key = true;
            f.key_path = member_path(f.path, value);
            doc_.positions.emplace(f.key_path, position(mark));
            spend(mark, value.size());
            f.cost += value.size();
            return;
        }
        add(scalar(mark, tag, value), mark, anchor, 1 + value.size(), 0);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, tag, tag_seq, anchor, boost::json::array());
    }

    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, tag, tag_map, anchor, boost::json::object());
    }

    void OnSequenceEnd() override { close(); }
    void OnMapEnd() override { close(); }

private:
    struct Frame {
        boost::json::value value;  // the array or object being filled
        std::string path;
        YAML::anchor_t anchor = YAML::NullAnchor;
        std::string key;  // maps: the key waiting for its value
        std::string key_path;
        bool has_key = false;
        std::size_t cost = 1;  // nodes and bytes, for anchors
        int depth = 1;         // levels of nesting below and including this one
    };
    struct Anchored {
        boost::json::value value;
        std::size_t cost;
        int depth;
    };

    bool expecting_key() const {
        return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key;
    }

    void spend(const YAML::Mark& mark, std::size_t amount) {
        if (amount > budget_) fail(mark, "the document is too large once its aliases are expanded");
        budget_ -= amount;
    }

    // The path of the next value, recording its position (map members were placed at the key).
    std::string next_path(const YAML::Mark& mark) {
        if (stack_.empty()) {
            doc_.positions.emplace("", position(mark));
            return "";
        }
        Frame& f = stack_.back();
        if (f.value.is_object()) return f.key_path;
        std::string path = index_path(f.path, f.value.get_array().size());
        doc_.positions.emplace(path, position(mark));
        return path;
    }

    void open(const YAML::Mark& mark, const std::string& tag, const std::string& expected,
              YAML::anchor_t anchor, boost::json::value empty) {
        if (expecting_key()) fail(mark, "a mapping key must be a string, not a collection");
        if (!(tag.empty() || tag == "?" || tag == "!" || tag == expected)) {
            fail(mark, "unsupported tag \"" + tag + "\"");
        }
        if (stack_.size() >= static_cast<std::size_t>(max_depth)) {
            fail(mark, "nesting deeper than " + std::to_string(max_depth) + " levels");
        }
        spend(mark, 1);
        Frame f;
        f.path = next_path(mark);
        f.value = std::move(empty);
        f.anchor = anchor;
        stack_.push_back(std::move(f));
    }

    void close() {
        Frame f = std::move(stack_.back());
        stack_.pop_back();
        place(std::move(f.value), f.anchor, f.cost, f.depth);
    }

    // A complete scalar or alias copy.
    void add(boost::json::value v, const YAML::Mark& mark, YAML::anchor_t anchor, std::size_t cost,
             int depth) {
        if (static_cast<std::size_t>(depth) + stack_.size() > static_cast<std::size_t>(max_depth)) {
            fail(mark, "nesting deeper than " + std::to_string(max_depth) + " levels");
        }
        spend(mark, cost);
        next_path(mark);
        place(std::move(v), anchor, cost, depth);
    }

    // Puts a complete value into its parent (or makes it the root) and remembers its anchor.
    void place(boost::json::value v, YAML::anchor_t anchor, std::size_t cost, int depth) {
        if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{v, cost, depth};
        if (stack_.empty()) {
            doc_.value = std::move(v);
            have_root_ = true;
            return;
        }
        Frame& parent = stack_.back();
        parent.cost += cost;
        parent.depth = std::max(parent.depth, depth + 1);
        if (parent.value.is_object()) {
            parent.value.get_object().emplace(parent.key, std::move(v));
            parent.has_key = false;
        } else {
            parent.value.get_array().push_back(std::move(v));
        }
    }

    static boost::json::value scalar(const YAML::Mark& mark, const std::string& tag,
                                     const std::string& text) {
        if (tag == "?") return spec_detail::resolve_plain_scalar(text);
        if (tag == "!" || tag == tag_str) return boost::json::string(text);
        if (tag == tag_null) {
            if (spec_detail::resolve_plain_scalar(text).is_null()) return nullptr;
        } else if (tag == tag_bool) {
            auto v = spec_detail::resolve_plain_scalar(text);
            if (v.is_bool()) return v;
        } else if (tag == tag_int) {
            if (auto v = spec_detail::parse_integer(text)) return *v;
        } else if (tag == tag_float) {
            if (auto d = spec_detail::parse_float(text)) return *d;
            if (auto v = spec_detail::parse_integer(text)) return v->to_number<double>();
        } else {
            fail(mark, "unsupported tag \"" + tag + "\"");
        }
        fail(mark, "\"" + text + "\" is not a valid " + tag.substr(tag.rfind(':') + 1));
    }

    std::string_view text_;
    std::vector<ParsedDocument>& docs_;
    std::size_t budget_;
    std::optional<YAML::Mark> last_document_start_;
    ParsedDocument doc_;
    bool have_root_ = false;
    std::vector<Frame> stack_;
    std::unordered_map<YAML::anchor_t, Anchored> anchors_;
};

Result<std::vector<ParsedDocument>> parse_yaml(std::string_view text) {
    std::vector<ParsedDocument> docs;
    try {
        std::istringstream in{std::string(text)};
        YAML::Parser parser(in);
        YamlBuilder builder(text, docs);
        while (parser.HandleNextDocument(builder)) {
        }
    } catch (const Failure& f) {
        return parse_failure(f.line, f.column, "invalid YAML: " + f.message);
    } catch (const YAML::Exception& e) {
        const auto [line, column] = position(e.mark);
        return parse_failure(line, column, "invalid YAML: " + e.msg);
    } catch (const std::exception& e) {
        return parse_failure(0, 0, std::string("invalid YAML: ") + e.what());
    }
    return docs;
}

// ---- JSON ----------------------------------------------------------------------------------

// Builds the value of a JSON text that Boost.JSON has accepted, recording positions, refusing
// duplicate keys and reading numbers with correct rounding.
class JsonReader {
public:
    JsonReader(std::string_view text, SourceMap& positions) : s_(text), positions_(positions) {}

    boost::json::value document() {
        skip_ws();
        positions_.emplace("", here());
        return read_value("");
    }

    // 1-based line and column (in characters) of byte offset `offset` (>= the last one asked).
    std::pair<int, int> position_of(std::size_t offset) {
        while (tracked_ < offset && tracked_ < s_.size()) {
            const char c = s_[tracked_++];
            if (c == '\n') {
                ++line_;
                column_ = 1;
            } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
                ++column_;
            }
        }
        return {line_, column_};
    }

private:
    std::pair<int, int> here() { return position_of(i_); }

    void skip_ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
            ++i_;
        }
    }

    boost::json::value read_value(const std::string& path) {
        const char c = s_[i_];
        switch (c) {
            case '{': {
                ++i_;
                boost::json::object out;
                skip_ws();
                if (s_[i_] == '}') {
                    ++i_;
                    return out;
                }
                for (;;) {
                    skip_ws();
                    const auto key_pos = here();
                    std::string key = read_string();
                    if (out.contains(key)) {
                        throw Failure{key_pos.first, key_pos.second,
                                      "duplicate key \"" + key + "\""};
                    }
                    std::string member = member_path(path, key);
                    positions_.emplace(member, key_pos);
                    skip_ws();
                    ++i_;  // ':'
                    skip_ws();
                    out.emplace(key, read_value(member));
                    skip_ws();
                    if (s_[i_++] == '}') return out;  // else ','
                }
            }
            case '[': {
                ++i_;
                boost::json::array out;
                skip_ws();
                if (s_[i_] == ']') {
                    ++i_;
                    return out;
                }
                for (std::size_t index = 0;; ++index) {
                    skip_ws();
                    std::string item = index_path(path, index);
                    positions_.emplace(item, here());
                    out.push_back(read_value(item));
                    skip_ws();
                    if (s_[i_++] == ']') return out;  // else ','
                }
            }
            case '"': return boost::json::string(read_string());
            case 't': i_ += 4; return true;
            case 'f': i_ += 5; return false;
            case 'n': i_ += 4; return nullptr;
            default: {
                const std::size_t start = i_;
                while (i_ < s_.size() &&
                       (s_[i_] == '-' || s_[i_] == '+' || s_[i_] == '.' || s_[i_] == 'e' ||
                        s_[i_] == 'E' || (s_[i_] >= '0' && s_[i_] <= '9'))) {
                    ++i_;
                }
                return spec_detail::parse_json_number(s_.substr(start, i_ - start));
            }
        }
    }

    std::uint32_t hex4() {
        std::uint32_t v = 0;
        for (int k = 0; k < 4 && i_ < s_.size(); ++k) {
            const char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<std::uint32_t>(c - 'A' + 10);
        }
        return v;
    }

    std::string read_string() {
        ++i_;  // '"'
        std::string out;
        while (i_ < s_.size()) {
            const std::size_t run = i_;
            while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') ++i_;
            out.append(s_.substr(run, i_ - run));
            if (i_ >= s_.size()) break;
            if (s_[i_] == '"') {
                ++i_;
                break;
            }
            ++i_;  // '\\'
            const char e = s_[i_++];
            switch (e) {
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF && i_ + 1 < s_.size() && s_[i_] == '\\' &&
                        s_[i_ + 1] == 'u') {
                        const std::size_t save = i_;
                        i_ += 2;
                        const std::uint32_t low = hex4();
                        if (low >= 0xDC00 && low <= 0xDFFF) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        } else {
                            i_ = save;
                            cp = 0xFFFD;
                        }
                    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                        cp = 0xFFFD;  // a lone surrogate
                    }
                    utf8::append_utf8(out, static_cast<char32_t>(cp));
                    break;
                }
                default: out += e; break;  // '"', '\\', '/'
            }
        }
        return out;
    }

    std::string_view s_;
    SourceMap& positions_;
    std::size_t i_ = 0;
    std::size_t tracked_ = 0;
    int line_ = 1;
    int column_ = 1;
};

Result<std::vector<ParsedDocument>> parse_json(std::string_view text) {
    boost::json::parse_options options;
    options.max_depth = max_depth;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
    std::string problem;
    if (ec) {
        problem = ec.message();
    } else if (!parser.done()) {
        parser.finish(ec);
        if (ec) {
            problem = ec.message();
            consumed = text.size();
        }
    } else {
        // write_some stops after the value: only white space may follow.
        while (consumed < text.size() && (text[consumed] == ' ' || text[consumed] == '\t' ||
                                          text[consumed] == '\n' || text[consumed] == '\r')) {
            ++consumed;
        }
        if (consumed < text.size()) problem = "unexpected content after the document";
    }
    ParsedDocument doc;
    JsonReader reader(text, doc.positions);
    if (!problem.empty()) {
        const auto [line, column] = reader.position_of(consumed);
        std::string where =
            consumed < text.size() ? " at " + describe_char(text[consumed]) : " at end of input";
        return parse_failure(line, column, "invalid JSON: " + problem + where);
    }
    parser.reset();  // the value is rebuilt below, with positions
    try {
        doc.value = reader.document();
    } catch (const Failure& f) {
        return parse_failure(f.line, f.column, "invalid JSON: " + f.message);
    }
    std::vector<ParsedDocument> docs;
    docs.push_back(std::move(doc));
    return docs;
}

bool looks_like_json(std::string_view text) {
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        return c == '{' || c == '[';
    }
    return false;
}

}  // namespace

Result<std::vector<ParsedDocument>> parse_documents(std::string_view text) {
    text = skip_bom(text);
    if (looks_like_json(text)) return parse_json(text);
    return parse_yaml(text);
}

Result<ParsedDocument> parse_document(std::string_view text) {
    auto docs = parse_documents(text);
    if (!docs) return std::move(docs).error();
    auto& list = docs.value();
    if (list.empty()) {
        ParsedDocument empty;
        empty.positions.emplace("", std::pair{1, 1});
        return empty;
    }
    if (list.size() > 1) {
        const auto [line, column] = list[1].positions.at("");
        return parse_failure(line, column,
                             "expected one document, found " + std::to_string(list.size()));
    }
    return std::move(list.front());
}

}  // namespace meshorch
