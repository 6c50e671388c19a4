#include "exporter/parse/loki_json.h"

#include <boost/json.hpp>
#include <utility>

#include "exporter/parse/json_scan.h"
#include "exporter/parse/timestamp.h"

namespace lle::parse {
namespace json = boost::json;

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

// The hot path: tail messages, query responses and logcli records decoded
// without building a document, by the scanner (json_scan.h). The whole record is checked before any
// entry is emitted; a record this path does not take (invalid, or of a shape it
// does not read: an unexpected type, a key twice) goes to the document path,
// which decides and classifies its errors; nothing is ever emitted twice.
class FastStreams {
 public:
  static constexpr int kMaxDepth = 16;  // as the document path's parse options

  struct Stream {
    std::size_t first_label = 0, labels = 0;
  };
  struct Pending {
    std::size_t stream;
    std::int64_t ts;
    std::string_view line;
  };

  bool decode(std::string_view record, std::size_t* dropped) {
    labels_.clear();
    streams_.clear();
    pending_.clear();
    // Decoded text is never longer than the record: one buffer of that size (plus
    // the decoder's 16-byte block slack) holds every decoded string, and views into
    // it stay valid.
    if (arena_.size() < record.size() + 16) arena_.resize(record.size() + 16);
    write_ = arena_.data();
    detail::JsonCursor c(record, kMaxDepth);
    // Each member this path reads may appear once; a record with a key twice goes
    // to the document path, which decides what it means.
    bool have_streams = false, have_data = false, have_dropped = false;
    bool have_labels = false, have_line = false, have_ts = false;  // a logcli record
    Pending logcli{0, 0, {}};
    *dropped = 0;
    c.skip_ws();
    if (!c.enter('{')) return false;
    if (!each_member(c, [&](std::string_view key) {
          if (key == "streams") return once(have_streams) && streams(c);
          if (key == "dropped_entries") return once(have_dropped) && count_elements(c, dropped);
          if (key == "data") return once(have_data) && data(c);
          if (key == "labels") {
            logcli.stream = streams_.size();
            streams_.push_back({labels_.size(), 0});
            return once(have_labels) && label_object(c, logcli.stream);
          }
          if (key == "line") return once(have_line) && string(c, &logcli.line);
          if (key == "timestamp") return once(have_ts) && timestamp(c, &logcli.ts);
          return c.skip_value();
        })) {
      return false;
    }
    c.skip_ws();
    if (!c.at_end()) return false;
    if (have_streams || have_data) {
      if (have_data) *dropped = 0;  // only a tail message reports dropped lines
      return have_streams != have_data;
    }
    // {"labels":{..},"line":"..","timestamp":".."}, labels optional; anything
    // less (a bad entry, or no record at all) is the document path's to judge.
    if (!have_line || !have_ts) return false;
    *dropped = 0;
    if (!have_labels) {
      logcli.stream = streams_.size();
      streams_.push_back({labels_.size(), 0});
    }
    pending_.push_back(logcli);
    return true;
  }

  template <typename Sink>
  void emit(std::vector<core::Label>& scratch, const Sink& sink) const {
    for (const auto& p : pending_) {
      const auto& s = streams_[p.stream];
      scratch.assign(labels_.begin() + static_cast<std::ptrdiff_t>(s.first_label),
                     labels_.begin() + static_cast<std::ptrdiff_t>(s.first_label + s.labels));
      sink(core::Entry{scratch, p.ts, p.line});
    }
  }
  std::size_t size() const { return pending_.size(); }

 private:
  static bool once(bool& seen) { return !std::exchange(seen, true); }
  // Calls member(key) for each member of the object whose '{' was just read.
  template <typename F>
  bool each_member(detail::JsonCursor& c, const F& member) {
    c.skip_ws();
    if (c.leave('}')) return true;
    for (;;) {
      std::string_view key;
      c.skip_ws();
      if (!string(c, &key)) return false;
      c.skip_ws();
      if (!c.eat(':')) return false;
      c.skip_ws();
      if (!member(key)) return false;
      c.skip_ws();
      if (c.eat(',')) continue;
      return c.leave('}');
    }
  }
  template <typename F>
  bool object_members(detail::JsonCursor& c, const F& member) {
    return c.enter('{') && each_member(c, member);
  }
  template <typename F>
  bool each_element(detail::JsonCursor& c, const F& element) {
    if (!c.enter('[')) return false;
    c.skip_ws();
    if (c.leave(']')) return true;
    for (;;) {
      c.skip_ws();
      if (!element()) return false;
      c.skip_ws();
      if (c.eat(',')) continue;
      return c.leave(']');
    }
  }
  // {"resultType":"streams","result":[...], ...}: both required.
  bool data(detail::JsonCursor& c) {
    bool have_type = false, have_result = false;
    return object_members(c,
                          [&](std::string_view k) {
                            if (k == "result") return once(have_result) && streams(c);
                            if (k == "resultType") {
                              std::string_view v;
                              return once(have_type) && string(c, &v) && v == "streams";
                            }
                            return c.skip_value();
                          }) &&
           have_type && have_result;
  }
  bool count_elements(detail::JsonCursor& c, std::size_t* n) {
    return each_element(c, [&] { return ++*n, c.skip_value(); });
  }
  // A JSON string, decoded into the arena when it has escapes.
  bool string(detail::JsonCursor& c, std::string_view* out) {
    return c.string_decoded(write_, out);
  }
  bool streams(detail::JsonCursor& c) {
    return each_element(c, [&] {
      const std::size_t stream = streams_.size();
      streams_.push_back({labels_.size(), 0});
      bool have_labels = false, have_values = false;
      const bool ok = object_members(c, [&](std::string_view key) {
        if (key == "stream") return once(have_labels) && label_object(c, stream);
        if (key == "values") {
          return once(have_values) && each_element(c, [&] { return value_pair(c, stream); });
        }
        return c.skip_value();
      });
      return ok && have_labels && have_values;
    });
  }
  // {"name":"value",..}: the labels of streams_[stream], each name once.
  bool label_object(detail::JsonCursor& c, std::size_t stream) {
    return object_members(c, [&](std::string_view name) {
      std::string_view value;
      if (!string(c, &value)) return false;
      for (std::size_t i = streams_[stream].first_label; i < labels_.size(); ++i) {
        if (labels_[i].name == name) return false;  // a label twice
      }
      labels_.push_back({name, value});
      ++streams_[stream].labels;
      return true;
    });
  }
  bool timestamp(detail::JsonCursor& c, std::int64_t* ts) {
    std::string_view s;
    if (!string(c, &s)) return false;
    const auto parsed = parse_timestamp_ns(s);
    if (parsed) *ts = *parsed;
    return parsed.has_value();
  }
  // ["<ns>", "<line>"] with an optional third element (structured metadata).
  bool value_pair(detail::JsonCursor& c, std::size_t stream) {
    int i = 0;
    Pending p{stream, 0, {}};
    const bool ok = each_element(c, [&] {
      switch (i++) {
        case 0:
          return timestamp(c, &p.ts);
        case 1:
          return string(c, &p.line);
        default:
          return c.skip_value();
      }
    });
    if (!ok || i < 2) return false;
    pending_.push_back(p);
    return true;
  }

  std::vector<core::Label> labels_;
  std::vector<Stream> streams_;
  std::vector<Pending> pending_;
  std::string arena_;
  char* write_ = nullptr;
};

// Both paths parse to the same depth, so they agree on what is JSON.
json::parse_options record_options() {
  json::parse_options opts;
  opts.max_depth = FastStreams::kMaxDepth;
  return opts;
}

}  // namespace

struct LokiDecoder::State {
  FastStreams fast;  // reused: its buffers keep their capacity
  static constexpr std::size_t kSize = 256 * 1024;
  std::unique_ptr<unsigned char[]> bytes{new unsigned char[kSize]};
};

LokiDecoder::LokiDecoder() : state_(std::make_unique<State>()) {}
LokiDecoder::~LokiDecoder() = default;

DecodeResult LokiDecoder::decode(std::string_view record, const Sink& sink) {
  DecodeResult r;
  if (decode_fast(record, sink, r)) return r;
  return decode_document(record, sink);
}

bool LokiDecoder::decode_fast(std::string_view record, const Sink& sink, DecodeResult& r) {
  auto& fast = state_->fast;
  if (!fast.decode(record, &r.dropped_entries)) {
    r.dropped_entries = 0;
    return false;
  }
  fast.emit(labels_, sink);
  r.entries = fast.size();
  return true;
}

DecodeResult LokiDecoder::decode_document(std::string_view record, const Sink& sink) {
  DecodeResult r;
  json::monotonic_resource mr(state_->bytes.get(), State::kSize);
  std::error_code ec;
  const json::value doc = json::parse(record, ec, &mr, record_options());
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
