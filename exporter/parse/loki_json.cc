#include "exporter/parse/loki_json.h"

#include <boost/json.hpp>

#include "exporter/parse/timestamp.h"

namespace lle::parse {
namespace json = boost::json;

struct LokiDecoder::Buffer {
  static constexpr std::size_t kSize = 256 * 1024;
  std::unique_ptr<unsigned char[]> bytes{new unsigned char[kSize]};
};

LokiDecoder::LokiDecoder() : buffer_(std::make_unique<Buffer>()) {}
LokiDecoder::~LokiDecoder() = default;

namespace {

std::string_view view(const json::string& s) { return {s.data(), s.size()}; }

// Fills labels from a {"name":"value"} object; false if any value is not a string.
bool read_labels(const json::object& o, std::vector<core::Label>& labels) {
  labels.clear();
  for (const auto& kv : o) {
    const auto* v = kv.value().if_string();
    if (v == nullptr) return false;
    labels.push_back({std::string_view(kv.key().data(), kv.key().size()), view(*v)});
  }
  return true;
}

void decode_streams(const json::array& streams, std::vector<core::Label>& labels,
                    const LokiDecoder::Sink& sink, DecodeResult& r) {
  for (const auto& s : streams) {
    const auto* obj = s.if_object();
    const json::value* stream = obj ? obj->if_contains("stream") : nullptr;
    const json::value* values = obj ? obj->if_contains("values") : nullptr;
    if (!stream || !values || !stream->is_object() || !values->is_array() ||
        !read_labels(stream->get_object(), labels)) {
      ++r.bad_entries;
      continue;
    }
    for (const auto& pair : values->get_array()) {
      const auto* a = pair.if_array();
      if (!a || a->size() < 2 || !(*a)[0].is_string() || !(*a)[1].is_string()) {
        ++r.bad_entries;
        continue;
      }
      const auto ts = parse_timestamp_ns(view((*a)[0].get_string()));
      if (!ts) {
        ++r.bad_entries;
        continue;
      }
      sink(core::Entry{labels, *ts, view((*a)[1].get_string())});
      ++r.entries;
    }
  }
}

}  // namespace

DecodeResult LokiDecoder::decode(std::string_view record, const Sink& sink) {
  DecodeResult r;
  json::monotonic_resource mr(buffer_->bytes.get(), Buffer::kSize);
  json::parse_options opts;
  opts.max_depth = 16;
  std::error_code ec;
  const json::value doc = json::parse(record, ec, &mr, opts);
  if (ec) {
    r.error = "malformed JSON: " + ec.message();
    return r;
  }
  const auto* root = doc.if_object();
  if (!root) {
    r.error = "expected a JSON object";
    return r;
  }
  if (const auto* streams = root->if_contains("streams")) {
    if (!streams->is_array()) {
      r.error = "\"streams\" is not an array";
      return r;
    }
    decode_streams(streams->get_array(), labels_, sink, r);
    if (const auto* dropped = root->if_contains("dropped_entries");
        dropped && dropped->is_array()) {
      r.dropped_entries = dropped->get_array().size();
    }
    return r;
  }
  if (const auto* data = root->if_contains("data")) {
    const auto* d = data->if_object();
    const json::value* type = d ? d->if_contains("resultType") : nullptr;
    const json::value* result = d ? d->if_contains("result") : nullptr;
    if (!type || !result || !type->is_string() || type->get_string() != "streams" ||
        !result->is_array()) {
      r.error = "a query response whose data is not a \"streams\" result";
      return r;
    }
    decode_streams(result->get_array(), labels_, sink, r);
    return r;
  }
  if (const auto* line = root->if_contains("line")) {
    const auto* ts_text = root->if_contains("timestamp");
    const auto ts = ts_text && ts_text->is_string()
                        ? parse_timestamp_ns(view(ts_text->get_string()))
                        : std::nullopt;
    labels_.clear();
    const auto* labels = root->if_contains("labels");
    const bool labels_ok =
        !labels || (labels->is_object() && read_labels(labels->get_object(), labels_));
    if (!line->is_string() || !ts || !labels_ok) {
      ++r.bad_entries;
      return r;
    }
    sink(core::Entry{labels_, *ts, view(line->get_string())});
    ++r.entries;
    return r;
  }
  r.error = "not a Loki tail message, query response or logcli record";
  return r;
}

}  // namespace lle::parse
