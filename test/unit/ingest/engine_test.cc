// What an engine generation publishes says whether readiness is known: not in the
// state published before its start (a fleet peer must not take that empty state's
// "every service ready" for an answer), and in every publication of its io thread.
#include "exporter/ingest/engine.h"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "test/support/process.h"

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(ingest_engine)

BOOST_AUTO_TEST_CASE(readiness_is_published_only_once_the_engine_runs) {
  lle::config::Config cfg;
  cfg.windows.publish_interval_ns = 5'000'000;
  lle::core::ManualClock wall(1'700'000'000'000'000'000);
  lle::metrics::LatestState latest;
  lle::metrics::Lifecycle life;
  const lle::ingest::Engine::Env env{wall, latest, life, {}, wall.now_ns(), "v", "r"};
  lle::ingest::Engine engine(cfg, {}, env, nullptr);
  engine.publish_now(wall.now_ns());
  BOOST_TEST(!latest.load()->status.running);
  engine.start();
  BOOST_TEST(lle::test::wait_until([&] { return latest.load()->status.running; }, 10s));
  engine.stop();
  // The next generation's first state (a reload's) is again not the running one's.
  lle::ingest::Engine next(cfg, {}, env, nullptr);
  BOOST_TEST_REQUIRE(next.take_over(engine));
  next.publish_now(next.state_now());
  BOOST_TEST(!latest.load()->status.running);
}

BOOST_AUTO_TEST_SUITE_END()
