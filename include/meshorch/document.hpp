// Text <-> JSON documents: YAML (one or many documents) and JSON, with positions for errors.
#pragma once

#include <meshorch/error.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshorch {

// Where each value of a parsed document came from: JSON path -> (line, column), 1-based.
using SourceMap = std::map<std::string, std::pair<int, int>>;

struct ParsedDocument {
    boost::json::value value;
    SourceMap positions;
};

// Parses YAML (1.2 core schema: plain true/false/null/numbers are typed, quoted scalars are
// strings) or JSON. A syntax error is Errc::parse_error with line and column.
// Text whose first non-blank character is '{' or '[' is read as JSON (as kubectl does).
// Exactly one document: a YAML stream with several is a parse_error; an empty text is null.
Result<ParsedDocument> parse_document(std::string_view text);
// Every document of a YAML stream ("---" separated), in order; empty documents are skipped,
// as kubectl does. A JSON text is one document.
Result<std::vector<ParsedDocument>> parse_documents(std::string_view text);

// Writes YAML that parses back to the same value (strings that look like numbers, booleans or
// null are quoted). Keys keep their order.
std::string to_yaml(const boost::json::value& value);
// Several documents separated by "---", as `kubectl apply -f -` takes them.
std::string to_yaml_stream(const std::vector<boost::json::value>& documents);
// Indented JSON (two spaces, one value per line, ending in a newline), stable key order (the
// order in the value). NaN and infinities, which JSON cannot carry, are written as null.
std::string to_pretty_json(const boost::json::value& value);

}  // namespace meshorch
