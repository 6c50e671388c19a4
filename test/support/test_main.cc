#define BOOST_TEST_MODULE loki_latency_exporter
#include <boost/test/unit_test.hpp>
