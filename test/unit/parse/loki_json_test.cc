#include "exporter/parse/loki_json.h"

#include <boost/test/unit_test.hpp>
#include <map>
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

BOOST_AUTO_TEST_SUITE_END()
