#pragma once
// Decodes the JSON records Loki and logcli produce into entries:
//  - a tail message: {"streams":[{"stream":{..},"values":[["<ns>","<line>"],..]}],
//                     "dropped_entries":[{"timestamp":"<ns>","labels":{..}}]}
//  - a query / query_range response: {"status":"success","data":{"resultType":"streams",
//                                     "result":[<same stream objects>]}}
//  - a bare streams list {"streams":[..]} or a logcli --output=jsonl record:
//    {"labels":{..},"line":"..","timestamp":"<RFC3339Nano>"}
// Thread safety: one decoder per thread; it reuses its parse buffer.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/entry.h"

namespace lle::parse {

struct DecodeResult {
  std::size_t entries = 0;          // handed to the sink
  std::size_t bad_entries = 0;      // malformed entries skipped inside a usable record
  std::size_t dropped_entries = 0;  // records in the tail's dropped_entries (a lower bound)
  std::string error;                // non-empty: the record as a whole was unusable
};

class LokiDecoder {
 public:
  using Sink = std::function<void(const core::Entry&)>;
  LokiDecoder();
  ~LokiDecoder();
  DecodeResult decode(std::string_view record, const Sink& sink);

  // decode() is these two, exposed for the differential fuzz target. The fast path
  // (a scanner, no document) takes valid tail messages and query responses of the
  // expected shape and returns false, emitting nothing, for anything else; the
  // document path (boost::json::parse) takes every record and classifies errors.
  bool decode_fast(std::string_view record, const Sink& sink, DecodeResult& r);
  DecodeResult decode_document(std::string_view record, const Sink& sink);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::vector<core::Label> labels_;
};

}  // namespace lle::parse
