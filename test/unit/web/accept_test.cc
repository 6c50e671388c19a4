#include <boost/test/unit_test.hpp>

#include "exporter/web/routes.h"

using lle::web::Exposition;
using lle::web::negotiate_exposition;

namespace {
bool prefers_protobuf(std::string_view accept) {
  return negotiate_exposition(accept) == Exposition::kProtobuf;
}
}  // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(Exposition)

BOOST_AUTO_TEST_SUITE(web_accept)

BOOST_AUTO_TEST_CASE(protobuf_only_when_the_scraper_prefers_it) {
  // What Prometheus 2.42 sends with --enable-feature=native-histograms, and without.
  BOOST_TEST(prefers_protobuf(
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
      "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;"
      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  BOOST_TEST(!prefers_protobuf(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  BOOST_TEST(!prefers_protobuf(""));
  BOOST_TEST(!prefers_protobuf("*/*"));
  BOOST_TEST(!prefers_protobuf("text/plain"));
  // Case and spaces do not matter; the q values do.
  BOOST_TEST(prefers_protobuf(
      "text/plain; q=0.2, Application/Vnd.Google.Protobuf; proto=io.prometheus.client.MetricFamily;"
      " encoding=delimited; q=0.9"));
  BOOST_TEST(!prefers_protobuf(
      "text/plain;q=1,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
      "encoding=delimited;q=0.9"));
  BOOST_TEST(
      !prefers_protobuf("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                        "encoding=delimited;q=0"));
  // Quoted values, with or without quoted-pairs, are the same values (RFC 9110 5.6.4).
  BOOST_TEST(prefers_protobuf(
      R"(application/vnd.google.protobuf;proto="io.prometheus.cl\ient.MetricFamily";)"
      R"(encoding="delimited")"));
  // Another message or encoding is not what /metrics writes.
  BOOST_TEST(
      !prefers_protobuf("application/vnd.google.protobuf;proto=other.Message;encoding=delimited"));
  BOOST_TEST(!prefers_protobuf(
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"));
  // Nonsense is not a preference.
  BOOST_TEST(!prefers_protobuf(",,;;==,q=x"));
  BOOST_TEST(!prefers_protobuf(
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
      "q=abc"));
  // A qvalue outside 0-1 (or with trailing junk) makes its range unacceptable: it
  // cannot outrank a protobuf range of q=1.
  const std::string protobuf =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
  for (const char* odd : {"text/plain;q=inf", "text/plain;q=2", "text/plain;q=1e9",
                          "text/plain;q=1x", "text/plain;q=-1", "text/plain;q=nan"}) {
    BOOST_TEST(prefers_protobuf(std::string(odd) + "," + protobuf), odd);
    BOOST_TEST(!prefers_protobuf(protobuf + ";q=" + (odd + 13)), odd);
  }
}

BOOST_AUTO_TEST_CASE(openmetrics_when_preferred_to_the_text_format) {
  // Prometheus 2.42 without native histograms: OpenMetrics 1.0.0 first.
  BOOST_TEST(negotiate_exposition(
                 "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                 "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
             Exposition::kOpenMetrics);
  BOOST_TEST(negotiate_exposition("Application/OpenMetrics-Text; version=0.0.1") ==
             Exposition::kOpenMetrics);
  // Preferred less than the text format, or not at all: text.
  BOOST_TEST(negotiate_exposition("text/plain;q=1,application/openmetrics-text;q=0.5") ==
             Exposition::kText);
  BOOST_TEST(negotiate_exposition("application/openmetrics-text;q=0") == Exposition::kText);
  BOOST_TEST(negotiate_exposition("") == Exposition::kText);
  // A tie goes to the richer format.
  BOOST_TEST(negotiate_exposition("text/plain,application/openmetrics-text") ==
             Exposition::kOpenMetrics);
}

BOOST_AUTO_TEST_SUITE_END()
