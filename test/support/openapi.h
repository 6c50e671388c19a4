#pragma once
// Checks real responses against docs/api/openapi.yaml: the status must be one the
// operation documents, and the JSON body must match its schema. Understands the
// subset the spec uses: $ref, type (with nullable), required, properties,
// additionalProperties: false, items, enum.

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

namespace lle::test {

class OpenApi {
 public:
  explicit OpenApi(const std::string& file) : root_(YAML::LoadFile(file)) {}

  // The spec's path template for a concrete path ("/api/services/x/latency" ->
  // "/api/services/{id}/latency"), or "".
  std::string path_template(const std::string& path) const {
    for (const auto& p : root_["paths"]) {
      const auto tmpl = p.first.as<std::string>();
      if (matches(tmpl, path)) return tmpl;
    }
    return "";
  }

  // Problems with one response; empty when it conforms.
  std::vector<std::string> check(const std::string& method, const std::string& path, int status,
                                 const std::string& body) const {
    std::vector<std::string> problems;
    const std::string tmpl = path_template(path);
    if (tmpl.empty()) return {"path not in the spec: " + path};
    const YAML::Node op = root_["paths"][tmpl][lower(method)];
    if (!op) return {method + " " + tmpl + " is not in the spec"};
    const YAML::Node response = op["responses"][std::to_string(status)];
    if (!response)
      return {method + " " + tmpl + " does not document status " + std::to_string(status)};
    const YAML::Node resolved = resolve(response);
    const YAML::Node schema = resolved["content"]["application/json"]["schema"];
    if (!schema) return problems;
    boost::system::error_code ec;
    const auto doc = boost::json::parse(body, ec);
    if (ec) return {"body is not JSON: " + body.substr(0, 200)};
    validate(schema, doc, "$", problems);
    return problems;
  }

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  static bool matches(const std::string& tmpl, const std::string& path) {
    std::size_t t = 0, p = 0;
    while (t < tmpl.size() && p < path.size()) {
      if (tmpl[t] == '{') {
        t = tmpl.find('}', t) + 1;
        const auto slash = path.find('/', p);
        if (slash == p) return false;
        p = slash == std::string::npos ? path.size() : slash;
      } else if (tmpl[t++] != path[p++]) {
        return false;
      }
    }
    return t == tmpl.size() && p == path.size();
  }
  // Read-only lookups and reset(), never assignment: assigning one yaml-cpp node to
  // another rewrites the document, and its non-const operator[] may insert.
  YAML::Node resolve(const YAML::Node& node) const {
    YAML::Node n;
    n.reset(node);
    for (;;) {
      const YAML::Node& current = n;
      if (!current["$ref"]) return n;
      const std::string ref = current["$ref"].as<std::string>();  // "#/components/schemas/X"
      YAML::Node at;
      at.reset(root_);
      for (std::size_t from = 2; from < ref.size();) {
        const auto slash = ref.find('/', from);
        const YAML::Node& here = at;
        const YAML::Node next = here[ref.substr(from, slash - from)];
        at.reset(next);
        from = slash == std::string::npos ? ref.size() : slash + 1;
      }
      n.reset(at);
    }
  }
  void validate(const YAML::Node& node, const boost::json::value& v, const std::string& where,
                std::vector<std::string>& problems) const {
    const YAML::Node schema = resolve(node);
    if (v.is_null()) {
      if (!(schema["nullable"] && schema["nullable"].as<bool>()))
        problems.push_back(where + ": null but not nullable");
      return;
    }
    const std::string type = schema["type"] ? schema["type"].as<std::string>() : "";
    const bool ok = type.empty() || (type == "object" && v.is_object()) ||
                    (type == "array" && v.is_array()) || (type == "string" && v.is_string()) ||
                    (type == "boolean" && v.is_bool()) ||
                    (type == "integer" && (v.is_int64() || v.is_uint64())) ||
                    (type == "number" && v.is_number());
    if (!ok) {
      problems.push_back(where + ": expected " + type + ", got " + boost::json::serialize(v));
      return;
    }
    if (schema["enum"] && v.is_string()) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || e.as<std::string>() == v.as_string();
      if (!found) problems.push_back(where + ": " + boost::json::serialize(v) + " not in enum");
    }
    if (v.is_array() && schema["items"]) {
      std::size_t i = 0;
      for (const auto& item : v.as_array())
        validate(schema["items"], item, where + "[" + std::to_string(i++) + "]", problems);
    }
    if (!v.is_object()) return;
    const auto& o = v.as_object();
    for (const auto& r : schema["required"]) {
      if (!o.contains(r.as<std::string>()))
        problems.push_back(where + ": missing " + r.as<std::string>());
    }
    const YAML::Node props = schema["properties"];  // const: lookups never insert
    const bool closed =
        schema["additionalProperties"] && !schema["additionalProperties"].as<bool>();
    for (const auto& kv : o) {
      const std::string key(kv.key());
      const YAML::Node sub = props ? props[key] : YAML::Node();
      if (sub) {
        validate(sub, kv.value(), where + "." + key, problems);
      } else if (closed) {
        problems.push_back(where + ": undocumented property " + key);
      }
    }
  }

  YAML::Node root_;
};

}  // namespace lle::test
