// The protobuf answer read back with the project's own reader (the classes
// protoc generates from exporter/metrics/prometheus_client.proto).
#include <google/protobuf/io/coded_stream.h>

#include <boost/test/unit_test.hpp>
#include <charconv>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "exporter/metrics/translate.h"
#include "exporter/sketch/native_histogram.h"
#include "prometheus_client.pb.h"

namespace pb = io::prometheus::client;

namespace {

std::vector<pb::MetricFamily> read_delimited(const std::string& bytes) {
  std::vector<pb::MetricFamily> out;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::uint32_t size;
  while (in.ReadVarint32(&size)) {
    const auto limit = in.PushLimit(static_cast<int>(size));
    BOOST_TEST_REQUIRE(out.emplace_back().ParseFromCodedStream(&in));
    BOOST_TEST_REQUIRE(in.ConsumedEntireMessage());
    in.PopLimit(limit);
  }
  BOOST_TEST(in.CurrentPosition() == static_cast<int>(bytes.size()));
  return out;
}

// "name{l=v,...}" -> value, from the text format.
std::map<std::string, std::string> text_samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    std::string key = line.substr(0, space);
    if (key.find('{') == std::string::npos) key += "{}";
    out[key] = line.substr(space + 1);
  }
  return out;
}

std::string escaped(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

lle::metrics::Published state(std::vector<double>* latencies) {
  lle::metrics::Published p;
  p.snapshot.at_ns = 2'000'000'000;
  p.snapshot.services = std::make_shared<const std::vector<lle::core::ServiceInfo>>(
      std::vector<lle::core::ServiceInfo>{{"a", "Service \"A\"", "team-a", "1", {"x"}},
                                          {"b", "Service B", "team-b", "2", {"y"}}});
  p.snapshot.views.resize(2);
  auto& a = p.snapshot.views[0];
  a.last_5m = {10, 1.0, 0.1, 0.2, 0.3};
  a.baseline = {100, 5.0, 0.05, 0.15, 0.25};
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> lat(std::log(0.1), 0.7);
  for (int i = 0; i < 1000; ++i) latencies->push_back(lat(rng));
  latencies->push_back(0);  // the zero bucket
  auto lifetime = std::make_shared<lle::sketch::LatencySketch>();
  for (double v : *latencies) lifetime->add(v);
  a.lifetime = lifetime;
  a.accepted_total = latencies->size();
  a.accepted_by_status[2] = latencies->size();
  a.first_event_ns = 1'500'000'000'250;
  p.status = {"1.2.3", "abc", 1'000'000'000, {}, {}, {}, {}};
  p.status.input.lines_read = 1001;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_proto_render)

// With and without classic buckets (which the text format carries as a classic
// histogram, and protobuf in the same Histogram as the native buckets).
BOOST_AUTO_TEST_CASE(every_text_sample_is_in_the_protobuf_answer_with_the_same_value) {
  std::vector<double> latencies;
  const auto p = state(&latencies);
  const auto number = [](double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  };
  for (const std::vector<double>& classic : {std::vector<double>{}, {0.125, 0.25, 0.5, 1}}) {
    const auto text = text_samples(lle::metrics::render_exposition(p, {}, classic));
    std::map<std::string, std::string> proto;
    for (const auto& f : read_delimited(lle::metrics::render_protobuf(p, {}, 3, classic))) {
      for (const auto& m : f.metric()) {
        std::string labels;
        for (int i = 0; i < m.label_size(); ++i) {
          labels +=
              (i > 0 ? "," : "") + m.label(i).name() + "=\"" + escaped(m.label(i).value()) + '"';
        }
        const auto key = [&](const std::string& suffix, const std::string& more = "") {
          const std::string all = labels + (labels.empty() || more.empty() ? "" : ",") + more;
          return f.name() + suffix + "{" + all + "}";
        };
        if (f.type() == pb::HISTOGRAM) {
          const auto& h = m.histogram();
          if (h.bucket_size() == 0) continue;  // native only: not in the text
          for (const auto& b : h.bucket())
            proto[key("_bucket", "le=\"" + number(b.upper_bound()) + "\"")] =
                number(static_cast<double>(b.cumulative_count()));
          proto[key("_bucket", "le=\"+Inf\"")] = number(static_cast<double>(h.sample_count()));
          proto[key("_sum")] = number(h.sample_sum());
          proto[key("_count")] = number(static_cast<double>(h.sample_count()));
          continue;
        }
        proto[key("")] = number(f.type() == pb::COUNTER ? m.counter().value() : m.gauge().value());
      }
    }
    BOOST_TEST(text.size() > 30u + 7 * classic.size() / 4);
    BOOST_TEST((proto == text));
    if (!classic.empty()) {
      std::size_t at_most_quarter = 0;
      for (double v : latencies) at_most_quarter += v <= 0.25;
      BOOST_TEST(
          text.at("loki_latency_request_duration_seconds_bucket{service=\"a\",team=\"team-a\","
                  "le=\"0.25\"}") == number(static_cast<double>(at_most_quarter)));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_native_histogram_holds_every_line_at_the_schema_asked_for) {
  std::vector<double> latencies;
  const auto p = state(&latencies);
  for (int schema : {0, 3, 6}) {
    const pb::MetricFamily* family = nullptr;
    const auto families = read_delimited(lle::metrics::render_protobuf(p, {}, schema));
    for (const auto& f : families)
      if (f.name() == "loki_latency_request_duration_seconds") family = &f;
    BOOST_TEST_REQUIRE(family != nullptr);
    BOOST_TEST(family->type() == pb::HISTOGRAM);
    BOOST_TEST_REQUIRE(family->metric_size() == 1);  // b has no lines: no series
    const auto& m = family->metric(0);
    BOOST_TEST(m.label(0).value() == "a");
    BOOST_TEST(m.label(1).name() == "team");
    BOOST_TEST(m.label(1).value() == "team-a");
    const auto& h = m.histogram();
    BOOST_TEST(h.schema() == schema);
    BOOST_TEST(h.sample_count() == latencies.size());
    BOOST_TEST(h.zero_count() == 1u);
    BOOST_TEST(h.zero_threshold() == lle::sketch::kZeroThreshold);
    BOOST_TEST(h.created_timestamp().seconds() == 1500);
    BOOST_TEST(h.created_timestamp().nanos() == 250);
    std::int64_t count = 0, total = 0;
    for (auto d : h.positive_delta()) total += (count += d);
    BOOST_TEST(total + 1 == static_cast<std::int64_t>(latencies.size()));
    const auto expected = lle::sketch::to_native(*p.snapshot.views[0].lifetime, schema);
    BOOST_TEST(h.positive_span_size() == static_cast<int>(expected.spans.size()));
    BOOST_TEST(h.positive_delta_size() == static_cast<int>(expected.deltas.size()));
  }
}

// The newest exemplar in each classic bucket, in protobuf (+Inf's explicit when it
// has one) and in OpenMetrics text; all of them on the native histogram.
BOOST_AUTO_TEST_CASE(exemplars_ride_on_classic_buckets_and_the_native_histogram) {
  std::vector<double> latencies;
  auto p = state(&latencies);
  constexpr std::int64_t kT = 1'600'000'000'000'000'000;
  using lle::window::Exemplar;
  p.snapshot.exemplars.resize(2);
  p.snapshot.exemplars[0].newest = std::make_shared<const std::vector<Exemplar>>(
      std::vector<Exemplar>{{"t-old", "{}", 0.2, kT},
                            {"t-fast", "{}", 0.1, kT + 1'000'000'000},
                            {"t-slow", "{}", 3.0, kT + 2'500'000'000},
                            {"t-newer", "{}", 0.22, kT + 3'000'000'000}});
  const std::vector<double> classic = {0.125, 0.25, 0.5, 1};

  const pb::Histogram* h = nullptr;
  const auto families = read_delimited(lle::metrics::render_protobuf(p, {}, 3, classic));
  for (const auto& f : families)
    if (f.name() == "loki_latency_request_duration_seconds") h = &f.metric(0).histogram();
  BOOST_TEST_REQUIRE(h != nullptr);
  BOOST_TEST_REQUIRE(h->exemplars_size() == 4);
  BOOST_TEST(h->exemplars(1).label(0).name() == "trace_id");
  BOOST_TEST(h->exemplars(1).label(0).value() == "t-fast");
  BOOST_TEST(h->exemplars(1).value() == 0.1);
  BOOST_TEST(h->exemplars(2).timestamp().seconds() == 1'600'000'002);
  BOOST_TEST(h->exemplars(2).timestamp().nanos() == 500'000'000);
  BOOST_TEST_REQUIRE(h->bucket_size() == 5);  // the four bounds, then +Inf for its exemplar
  const auto id = [&](int b) {
    return h->bucket(b).has_exemplar() ? h->bucket(b).exemplar().label(0).value() : "";
  };
  BOOST_TEST(id(0) == "t-fast");
  BOOST_TEST(id(1) == "t-newer");  // the newer of two in (0.125, 0.25]
  BOOST_TEST(id(2) == "");
  BOOST_TEST(id(3) == "");
  BOOST_TEST(std::isinf(h->bucket(4).upper_bound()));
  BOOST_TEST(h->bucket(4).cumulative_count() == h->sample_count());
  BOOST_TEST(id(4) == "t-slow");

  const auto om =
      lle::metrics::render_exposition(p, {}, classic, lle::metrics::TextFormat::kOpenMetrics);
  const std::string series =
      "loki_latency_request_duration_seconds_bucket{service=\"a\","
      "team=\"team-a\",le=";
  BOOST_TEST(om.find(series + "\"0.125\"} " + std::to_string(h->bucket(0).cumulative_count()) +
                     " # {trace_id=\"t-fast\"} 0.1 1600000001\n") != std::string::npos);
  BOOST_TEST(om.find(series + "\"+Inf\"} " + std::to_string(h->sample_count()) +
                     " # {trace_id=\"t-slow\"} 3 1600000002.5\n") != std::string::npos);
  BOOST_TEST(om.find(series + "\"0.5\"} " + std::to_string(h->bucket(2).cumulative_count()) +
                     "\n") != std::string::npos);
  BOOST_TEST(om.ends_with("\n# EOF\n"));
  // A counter's family is named without "_total"; its sample keeps it.
  BOOST_TEST(om.find("# TYPE loki_latency_lines_read counter\nloki_latency_lines_read_total ") !=
             std::string::npos);
  // The text format 0.0.4 has no exemplars.
  BOOST_TEST(lle::metrics::render_exposition(p, {}, classic).find("trace_id") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
