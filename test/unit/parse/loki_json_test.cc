#include "exporter/parse/loki_json.h"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

using lle::parse::LokiDecoder;

namespace {
struct Seen {
  std::map<std::string, std::string> labels;
  std::int64_t ts;
  std::string line;
};

std::vector<Seen> decode(LokiDecoder& d, std::string_view json,
                         lle::parse::DecodeResult* r = nullptr) {
  std::vector<Seen> out;
  auto res = d.decode(json, [&](const lle::core::Entry& e) {
    Seen s{{}, e.timestamp_ns, std::string(e.line)};
    for (const auto& l : e.labels) s.labels[std::string(l.name)] = std::string(l.value);
    out.push_back(std::move(s));
  });
  if (r) *r = res;
  return out;
}
// Rewrites every non-ASCII UTF-8 sequence (only ever inside strings) as \\u
// escapes, with a surrogate pair above U+FFFF.
std::string ascii_only(const std::string& in) {
  std::string out;
  char buf[16];
  auto put = [&](unsigned cp) {
    std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    out += buf;
  };
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out += in[i++];
      continue;
    }
    const int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    unsigned cp = c & (0xFF >> (n + 1));
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
    i += static_cast<std::size_t>(n);
    if (cp >= 0x10000) {
      put(0xD800 + ((cp - 0x10000) >> 10));
      put(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      put(cp);
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parse_loki_json)

BOOST_AUTO_TEST_CASE(tail_message_entries_and_dropped_entries) {
  LokiDecoder d;
  lle::parse::DecodeResult r;
  const auto seen =
      decode(d,
             R"({"streams":[{"stream":{"b":"2","a":"1"},"values":[["1700000000000000001","one"]]},
                               {"stream":{"a":"1","b":"2"},"values":[["1700000000000000002","two"]]}],
                               "dropped_entries":[{"timestamp":"1","labels":{}},{"timestamp":"2","labels":{}}]})",
             &r);
  BOOST_TEST_REQUIRE(seen.size() == 2u);
  BOOST_TEST(r.error.empty());
  BOOST_TEST(r.dropped_entries == 2u);
  BOOST_TEST(seen[0].line == "one");
  BOOST_TEST(seen[1].ts == 1700000000000000002);
  BOOST_TEST((seen[0].labels == seen[1].labels));  // label order does not matter
}

BOOST_AUTO_TEST_CASE(query_range_response_and_logcli_record) {
  LokiDecoder d;
  const auto q = decode(d, R"({"status":"success","data":{"resultType":"streams","result":[
      {"stream":{"app":"x"},"values":[["10","a"],["20","b"]]}]}})");
  BOOST_TEST_REQUIRE(q.size() == 2u);
  BOOST_TEST(q[1].ts == 20);
  const auto l =
      decode(d, R"({"labels":{"app":"x"},"line":"hello","timestamp":"1970-01-01T00:00:01.5Z"})");
  BOOST_TEST_REQUIRE(l.size() == 1u);
  BOOST_TEST(l[0].ts == 1500000000);
  BOOST_TEST(l[0].labels.at("app") == "x");
}

BOOST_AUTO_TEST_CASE(malformed_records_are_errors_and_bad_entries_are_counted) {
  LokiDecoder d;
  lle::parse::DecodeResult r;
  for (const char* bad : {"", "{", R"({"streams":[{"stream":)", "[1,2]", R"({"streams":5})",
                          R"({"data":{"resultType":"matrix","result":[]}})", R"({"other":1})"}) {
    BOOST_TEST(decode(d, bad, &r).empty());
    BOOST_TEST(!r.error.empty(), bad);
  }
  const auto seen = decode(d, R"({"streams":[{"stream":{"a":1},"values":[["1","x"]]},
      {"stream":{"a":"1"},"values":[["notatime","x"],["5"],"junk",["6","ok"]]}]})",
                           &r);
  BOOST_TEST(r.error.empty());
  BOOST_TEST(seen.size() == 1u);
  BOOST_TEST(r.bad_entries == 4u);
}

// Oracle: any strings serialised by Boost.JSON (escapes, control bytes, UTF-8
// up to 4 bytes, which it may also write as \u escapes) decode back to themselves.
BOOST_AUTO_TEST_CASE(random_lines_and_labels_round_trip_through_a_tail_message) {
  std::mt19937 rng(11);
  const std::vector<std::string> pieces = {"a",
                                           "\"",
                                           "\\",
                                           "/",
                                           "\n",
                                           "\t",
                                           "\x01",
                                           "\x1f",
                                           "\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80",
                                           "{",
                                           "}",
                                           "[",
                                           "]",
                                           ":",
                                           ",",
                                           " ",
                                           "latency_ms"};
  auto random_string = [&] {
    std::string out;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
    return out;
  };
  LokiDecoder d;
  for (int round = 0; round < 300; ++round) {
    boost::json::array streams;
    std::vector<Seen> expected;
    for (int e = 0; e < 1 + static_cast<int>(rng() % 5); ++e) {
      Seen s{{{"app", random_string()}, {"k" + std::to_string(e), random_string()}},
             static_cast<std::int64_t>(rng()),
             random_string()};
      boost::json::object labels;
      for (const auto& [k, v] : s.labels) labels[k] = v;
      boost::json::array pair{std::to_string(s.ts), s.line};
      if (rng() % 3 == 0) pair.push_back(boost::json::object{{"trace_id", random_string()}});
      streams.push_back(
          boost::json::object{{"stream", labels}, {"values", boost::json::array{pair}}});
      expected.push_back(std::move(s));
    }
    std::string text = boost::json::serialize(boost::json::object{{"streams", streams}});
    if (round % 2) text = ascii_only(text);
    lle::parse::DecodeResult r;
    const auto got = decode(d, text, &r);
    BOOST_TEST_REQUIRE(r.error.empty(), text);
    BOOST_TEST_REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      BOOST_TEST(got[i].line == expected[i].line);
      BOOST_TEST(got[i].ts == expected[i].ts);
      BOOST_TEST((got[i].labels == expected[i].labels));
    }
  }
}

BOOST_AUTO_TEST_CASE(unicode_escapes_and_surrogate_pairs_decode_to_utf8) {
  LokiDecoder d;
  const auto seen = decode(
      d,
      R"({"streams":[{"values":[["1","caf\u00e9 \u20ac \ud83d\ude00 \\ \" \/"]],"stream":{"a\u0062":"\u0063"}}]})");
  BOOST_TEST_REQUIRE(seen.size() == 1u);
  BOOST_TEST(seen[0].line == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\ \" /");
  BOOST_TEST(seen[0].labels.at("ab") == "c");
}

BOOST_AUTO_TEST_CASE(bad_escapes_and_control_bytes_are_malformed_records) {
  LokiDecoder d;
  lle::parse::DecodeResult r;
  for (const char* bad : {"{\"streams\":[{\"stream\":{},\"values\":[[\"1\",\"a\\qb\"]]}]}",
                          "{\"streams\":[{\"stream\":{},\"values\":[[\"1\",\"a\\u12\"]]}]}",
                          "{\"streams\":[{\"stream\":{},\"values\":[[\"1\",\"a\x01b\"]]}]}",
                          "{\"streams\":[{\"stream\":{},\"values\":[[\"1\",\"abc",
                          "{\"streams\":[{\"stream\":{},\"values\":[[\"1\",\"\\ud800x\"]]}]}"}) {
    BOOST_TEST(decode(d, bad, &r).empty(), bad);
    BOOST_TEST((!r.error.empty() || r.bad_entries > 0), bad);
  }
}

// A record boost::json::parse refuses is malformed as a whole, even when the
// invalid part is one the decoder does not read: no entry comes out of it.
BOOST_AUTO_TEST_CASE(invalid_json_anywhere_in_a_record_gives_no_entries) {
  LokiDecoder d;
  const std::string good = R"({"stream":{"app":"a"},"values":[["1","x"]]})";
  for (const std::string bad : {"1-2-3", "+-e", "[1,,,2 oops]", "{]", R"({"a":[}})", "{a:1}", "012",
                                ".5", "5.", "-", R"("\x41")", "[1}", "\"\xff\"", "[1,]"}) {
    for (const std::string& record :
         {R"({"streams":[)" + good + R"(],"extra":)" + bad + "}",
          R"({"streams":[)" + good + R"(],"dropped_entries":[)" + bad + "]}",
          R"({"streams":[{"stream":{"app":"a"},"values":[["1","x",)" + bad + "]]}]}",
          R"({"streams":[{"stream":{"app":"a"},"extra":)" + bad + R"(,"values":[["1","x"]]}]})",
          R"({"status":"success","data":{"resultType":"streams","stats":)" + bad +
              R"(,"result":[)" + good + "]}}"}) {
      lle::parse::DecodeResult r;
      BOOST_TEST(decode(d, record, &r).empty(), record);
      BOOST_TEST(!r.error.empty(), record);
    }
  }
  lle::parse::DecodeResult r;
  BOOST_TEST(decode(d, R"({"streams":[)" + good + R"(],"extra":[1}})", &r).empty());
  BOOST_TEST(!r.error.empty());
}

// logcli records take the fast path (no document) with the document path's
// entries; whatever the fast path declines, the document path still judges.
BOOST_AUTO_TEST_CASE(logcli_records_take_the_fast_path_with_the_document_paths_result) {
  LokiDecoder d;
  const auto both = [&](const std::string& record, bool fast_expected) {
    std::vector<std::string> fast, doc;
    const auto keep = [](std::vector<std::string>& out) {
      return [&out](const lle::core::Entry& e) {
        std::string s = std::to_string(e.timestamp_ns) + " " + std::string(e.line);
        for (const auto& l : e.labels) s += " " + std::string(l.name) + "=" + std::string(l.value);
        out.push_back(s);
      };
    };
    lle::parse::DecodeResult rf, rd;
    BOOST_TEST(d.decode_fast(record, keep(fast), rf) == fast_expected, record);
    rd = d.decode_document(record, keep(doc));
    if (fast_expected) {
      BOOST_TEST(fast == doc, record);
      BOOST_TEST(rf.entries == rd.entries);
      BOOST_TEST(rf.dropped_entries == rd.dropped_entries);
    }
    return rd;
  };
  both(R"({"labels":{"app":"x","env":"p"},"line":"a \"q\"","timestamp":"2026-11-20T06:00:01Z"})",
       true);
  both(R"({"timestamp":"1970-01-01T00:00:01.5Z","line":"no labels"})", true);
  both(R"({"line":"x","timestamp":"1970-01-01T00:00:01Z","labels":{},"dropped_entries":[1]})",
       true);
  for (const char* bad : {R"({"labels":{"app":"x"},"line":"x","timestamp":"never"})",
                          R"({"labels":{"app":1},"line":"x","timestamp":"1970-01-01T00:00:01Z"})",
                          R"({"labels":{"app":"x"},"line":5,"timestamp":"1970-01-01T00:00:01Z"})",
                          R"({"labels":{"app":"x"},"line":"x"})"}) {
    const auto r = both(bad, false);
    BOOST_TEST(r.bad_entries == 1u, bad);
    BOOST_TEST(r.entries == 0u, bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
