// A Loki tail message, query response or logcli record. Differential: whatever
// the fast path (the scanner) takes, the document path (boost::json::parse)
// takes too, with the same entries and dropped count; a record boost::json
// refuses gives no entry at all. Never undefined behaviour; every entry's views
// point into valid memory (ASan checks the reads).
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "exporter/parse/loki_json.h"

namespace {
using Seen = std::tuple<std::int64_t, std::string, std::vector<std::string>>;

lle::parse::LokiDecoder::Sink collect(std::vector<Seen>& out) {
  return [&out](const lle::core::Entry& e) {
    std::vector<std::string> labels;
    for (const auto& l : e.labels)
      labels.push_back(std::string(l.name) + "=" + std::string(l.value));
    out.emplace_back(e.timestamp_ns, std::string(e.line), std::move(labels));
  };
}

void check(const std::string& record) {
  static lle::parse::LokiDecoder decoder;
  std::vector<Seen> fast, document, whole;
  lle::parse::DecodeResult rf;
  const bool taken = decoder.decode_fast(record, collect(fast), rf);
  const auto rd = decoder.decode_document(record, collect(document));
  const auto r = decoder.decode(record, collect(whole));
  boost::json::parse_options opts;
  opts.max_depth = 16;
  std::error_code ec;
  boost::json::parse(record, ec, {}, opts);
  if (taken && (!rd.error.empty() || rd.bad_entries != 0 || fast != document ||
                rf.entries != rd.entries || rf.dropped_entries != rd.dropped_entries)) {
    std::abort();  // the fast path took what the document path reads otherwise
  }
  if (!taken && !fast.empty()) std::abort();                    // declined, yet emitted
  if (ec && (!whole.empty() || r.error.empty())) std::abort();  // invalid JSON, yet entries
  if (whole != (taken ? fast : document)) std::abort();
}
}  // namespace

// The input as a record, and as a value in the places a record may hold any
// JSON (so the fuzzer explores values inside otherwise valid records).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  check(input);
  check(R"({"streams":[{"stream":{"app":"a"},"values":[["1","x",)" + input + "]]}],\"x\":" + input +
        "}");
  check(R"({"data":{"resultType":"streams","result":[{"stream":{"k":)" + input +
        R"(},"values":[]}]},"status":)" + input + "}");
  return 0;
}
