#include "exporter/parse/line_parser.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using lle::core::Entry;
using lle::core::Label;
using lle::core::RejectReason;
using lle::parse::LineParser;
using lle::parse::ParsedLine;
using lle::parse::Rules;

namespace {

Rules sample_rules() {
  Rules r;
  r.supported_schema_versions = {"1", "2"};
  r.default_schema_version = "1";
  r.max_latency_seconds = 60;
  r.max_line_bytes = 256;
  r.services = {
      {{{"app", "checkout"}}, "", "", std::nullopt},                         // 0: by label
      {{}, "payments-api", "", std::nullopt},                                // 1: by field
      {{{"app", "search"}, {"env", "prod"}}, "", "duration", std::nullopt},  // 2: two labels
      {{{"app", "inventory"}}, "", "latency_s", lle::core::LatencyUnit::kSeconds},
  };
  return r;
}

struct Fixture {
  LineParser parser{sample_rules()};
  lle::parse::FieldScratch scratch;
  ParsedLine parse(std::string_view line, std::vector<Label> labels = {}) {
    return parser.parse(Entry{labels, 0, line}, scratch);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(parse_line_parser, Fixture)

BOOST_AUTO_TEST_CASE(json_line_routed_by_label_gives_latency_and_status) {
  const auto p = parse(R"({"latency_ms": 12.5, "status": 503, "msg": "x"})", {{"app", "checkout"}});
  BOOST_TEST(!p.reject.has_value());
  BOOST_TEST(p.service == 0);
  BOOST_TEST(p.latency_seconds == 0.0125, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.status == 503);
}

BOOST_AUTO_TEST_CASE(labels_match_in_any_order_and_need_every_matcher) {
  BOOST_TEST(parse("duration=5ms", {{"env", "prod"}, {"app", "search"}}).service == 2);
  const auto partial = parse("duration=5ms service=nobody", {{"app", "search"}});
  BOOST_TEST(partial.service == ParsedLine::kUnknownService);
  BOOST_TEST((partial.reject == RejectReason::kUnknownService));
}

BOOST_AUTO_TEST_CASE(field_routing_and_per_service_overrides) {
  const auto p = parse(R"({"service":"payments-api","latency_ms":"1.5s"})");
  BOOST_TEST(p.service == 1);
  BOOST_TEST(p.latency_seconds == 1.5);
  const auto inv = parse(R"({"latency_s": 0.25})", {{"app", "inventory"}});
  BOOST_TEST(inv.service == 3);
  BOOST_TEST(inv.latency_seconds == 0.25);
}

BOOST_AUTO_TEST_CASE(the_trace_id_is_read_only_when_its_field_is_configured) {
  BOOST_TEST(
      parse(R"({"latency_ms": 1, "trace_id": "abc"})", {{"app", "checkout"}}).trace_id.empty());
  Rules rules = sample_rules();
  rules.trace_id_field = "trace_id";
  const LineParser traced(rules);
  const auto id = [&](std::string_view line) {
    const std::vector<Label> labels = {{"app", "checkout"}};
    const auto p = traced.parse(Entry{labels, 0, line}, scratch);
    BOOST_TEST(!p.reject.has_value(), line);
    return std::string(p.trace_id);
  };
  BOOST_TEST(id(R"({"latency_ms": 1, "trace_id": "4bf92f3577b34da6"})") == "4bf92f3577b34da6");
  BOOST_TEST(id(R"({"trace_id": "a\u0062c", "latency_ms": 1})") == "abc");  // unescaped
  BOOST_TEST(id(R"({"latency_ms": 1, "trace_id": 12345})") == "12345");
  BOOST_TEST(id("latency_ms=1 trace_id=\"r-7\"") == "r-7");
  // Absent, null or not a scalar: no id, and the line is still counted.
  BOOST_TEST(id(R"({"latency_ms": 1})").empty());
  BOOST_TEST(id(R"({"latency_ms": 1, "trace_id": null})").empty());
  BOOST_TEST(id(R"({"latency_ms": 1, "trace_id": {"a": 1}})").empty());
}

BOOST_AUTO_TEST_CASE(logfmt_with_quoted_values_and_duration_strings) {
  const auto p = parse(R"(level=info msg="request \"done\" ok" duration=850us status=200)",
                       {{"app", "search"}, {"env", "prod"}});
  BOOST_TEST(!p.reject.has_value());
  BOOST_TEST(p.latency_seconds == 850e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(p.status == 200);
}

BOOST_AUTO_TEST_CASE(escaped_json_keys_and_values_are_decoded) {
  const auto p = parse(R"({"serv\u0069ce":"payments-\u0061pi","latency_ms":3})");
  BOOST_TEST(p.service == 1);
  BOOST_TEST(!p.reject.has_value());
}

BOOST_AUTO_TEST_CASE(nested_values_are_skipped_not_misread) {
  const auto p = parse(
      R"({"ctx":{"latency_ms":999,"s":"}{"},"arr":[1,[2,{"a":"]"}]],"service":"payments-api","latency_ms":7})");
  BOOST_TEST(!p.reject.has_value());
  BOOST_TEST(p.latency_seconds == 0.007, boost::test_tools::tolerance(1e-12));
}

// What boost::json::parse refuses is unparseable, wherever it sits in the line
// and whether or not the field is one the parser reads.
BOOST_AUTO_TEST_CASE(invalid_json_anywhere_in_a_line_is_unparseable) {
  for (const std::string bad :
       {"1-2-3", "+-e", "[1,,,2 oops]", "{]", R"({"a":[}})", "{a:1}", "012", ".5", "5.", "-",
        R"("\x41")", "[1}", R"("\ud800")", "\"\xff\"", "1e", "tru", "[1,]", R"({"a":1,})"}) {
    for (const std::string& line :
         {R"({"service":"payments-api","latency_ms":3,"extra":)" + bad + "}",
          R"({"extra":)" + bad + R"(,"service":"payments-api","latency_ms":3})",
          R"({"service":"payments-api","latency_ms":)" + bad + "}"}) {
      const auto p = parse(line);
      BOOST_TEST_REQUIRE(p.reject.has_value(), line);
      BOOST_TEST(lle::core::reject_reason_name(*p.reject) ==
                     lle::core::reject_reason_name(RejectReason::kUnparseable),
                 line);
    }
  }
  const auto p = parse(R"({"service":"payments-api","latency_ms":1-2})");
  BOOST_TEST((p.reject == RejectReason::kUnparseable));
}

// Every reject reason the parser owns, each exactly once per line.
BOOST_AUTO_TEST_CASE(each_bad_line_gets_exactly_its_reason) {
  struct Case {
    std::string line;
    std::vector<Label> labels;
    RejectReason reason;
    int service;
  };
  const std::string long_line = R"({"latency_ms":1,"pad":")" + std::string(300, 'x') + "\"}";
  const std::vector<Case> cases = {
      {long_line, {{"app", "checkout"}}, RejectReason::kLineTooLong, 0},
      {R"({"latency_ms": 12)", {{"app", "checkout"}}, RejectReason::kUnparseable, 0},
      {R"({"latency_ms": 12} trailing)", {{"app", "checkout"}}, RejectReason::kUnparseable, 0},
      {"just some words", {}, RejectReason::kUnparseable, -1},
      {R"(msg="unterminated)", {}, RejectReason::kUnparseable, -1},
      {R"({"service":"billing","latency_ms":1})", {}, RejectReason::kUnknownService, -1},
      {R"({"latency_ms":1})", {{"app", "other"}}, RejectReason::kUnknownService, -1},
      {R"({"service":"payments-api","latency_ms":1,"schema_version":"9"})",
       {},
       RejectReason::kUnsupportedSchemaVersion,
       1},
      {R"({"service":"payments-api","latency_ms":1,"schema_version":{"v":1}})",
       {},
       RejectReason::kUnsupportedSchemaVersion,
       1},
      {R"({"service":"payments-api"})", {}, RejectReason::kMissingLatency, 1},
      {R"({"service":"payments-api","latency_ms":null})", {}, RejectReason::kMissingLatency, 1},
      {"service=payments-api latency_ms=", {}, RejectReason::kMissingLatency, 1},
      {R"({"service":"payments-api","latency_ms":"abc"})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":-5})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":"NaN"})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":"inf"})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":1e400})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":true})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":[1]})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":"-3ms"})", {}, RejectReason::kInvalidLatency, 1},
      {R"({"service":"payments-api","latency_ms":60001})",
       {},
       RejectReason::kLatencyAboveCeiling,
       1},
  };
  for (const auto& c : cases) {
    const auto p = parse(c.line, c.labels);
    BOOST_TEST_REQUIRE(p.reject.has_value(), c.line);
    BOOST_TEST(lle::core::reject_reason_name(*p.reject) == lle::core::reject_reason_name(c.reason),
               c.line);
    BOOST_TEST(p.service == c.service, c.line);
  }
}

BOOST_AUTO_TEST_CASE(missing_schema_version_uses_the_default_or_is_rejected_when_required) {
  BOOST_TEST(!parse(R"({"service":"payments-api","latency_ms":1})").reject.has_value());
  BOOST_TEST(!parse(R"({"service":"payments-api","latency_ms":1,"schema_version":2})").reject);
  auto rules = sample_rules();
  rules.default_schema_version = "";
  const LineParser strict(rules);
  const auto p =
      strict.parse(Entry{{}, 0, R"({"service":"payments-api","latency_ms":1})"}, scratch);
  BOOST_TEST((p.reject == RejectReason::kUnsupportedSchemaVersion));
}

BOOST_AUTO_TEST_CASE(status_is_kept_when_numeric_and_zero_otherwise) {
  BOOST_TEST(parse(R"({"service":"payments-api","latency_ms":1,"status":"404"})").status == 404);
  BOOST_TEST(parse(R"({"service":"payments-api","latency_ms":1,"status":"teapot"})").status == 0);
  BOOST_TEST(parse(R"({"service":"payments-api","latency_ms":1,"status":999})").status == 0);
}

BOOST_AUTO_TEST_CASE(arbitrary_bytes_never_crash_and_always_get_one_outcome) {
  std::uint64_t x = 88172645463325252ULL;
  std::string line;
  const std::string alphabet = "{}[]\":,\\ =abcdeflmnstu0123456789.-e\x01\xff";
  for (int i = 0; i < 20000; ++i) {
    line.clear();
    const int len = static_cast<int>(x % 40);
    for (int k = 0; k < len; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      line += alphabet[x % alphabet.size()];
    }
    const auto p = parse(line, {{"app", "checkout"}});
    BOOST_TEST((p.reject.has_value() || p.latency_seconds >= 0));
  }
}

BOOST_AUTO_TEST_SUITE_END()
