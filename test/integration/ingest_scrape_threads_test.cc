// Ingestion and scrapes on different threads, as in `run`: the ingest thread
// owns the pipeline and publishes immutable states; scrapers only load the
// latest pointer. Run under the tsan preset to prove it race-free.
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/metrics/translate.h"
#include "test/support/files.h"

BOOST_AUTO_TEST_SUITE(integration_ingest_scrape_threads)

BOOST_AUTO_TEST_CASE(concurrent_scrapes_see_monotonic_counts_and_the_final_state) {
  const auto cfg =
      lle::config::load((lle::test::source_dir() / "deploy/config/exporter.yaml").string());
  lle::ingest::Pipeline pipeline(cfg, {"test", "", 0, {}, {}, {}, {}});
  lle::metrics::LatestState latest;
  latest.store(pipeline.publish(0));
  std::atomic<bool> done{false};
  constexpr int kLines = 200000;
  const std::int64_t t0 = 1795154400LL * 1'000'000'000LL;

  std::thread ingest([&] {
    const lle::core::Label labels[] = {{"app", "checkout"}};
    std::string line;
    for (int i = 0; i < kLines; ++i) {
      line = R"({"latency_ms":)" + std::to_string(1 + i % 500) + "}";
      const std::int64_t ts = t0 + static_cast<std::int64_t>(i) * 1'000'000;  // 1000 lines/s
      pipeline.on_entry({labels, ts, line}, ts);
      if (i % 5000 == 0) latest.store(pipeline.publish(ts));
    }
    latest.store(pipeline.publish(t0 + kLines * 1'000'000LL));
    done = true;
  });

  std::vector<std::thread> scrapers;
  std::atomic<int> scrapes{0};
  std::atomic<bool> monotonic{true};
  for (int s = 0; s < 3; ++s) {
    scrapers.emplace_back([&] {
      std::uint64_t last = 0;
      for (int k = 0; k < 2000 && !done.load(); ++k) {
        const auto state = latest.load();
        const std::string text = lle::metrics::render_exposition(*state);
        if (text.empty()) monotonic = false;
        const auto accepted = state->snapshot.views[0].accepted_total;
        if (accepted < last) monotonic = false;
        last = accepted;
        ++scrapes;
      }
    });
  }
  ingest.join();
  for (auto& t : scrapers) t.join();
  BOOST_TEST(monotonic.load());
  BOOST_TEST(scrapes.load() > 0);
  BOOST_TEST(latest.load()->snapshot.views[0].accepted_total == static_cast<std::uint64_t>(kLines));
}

BOOST_AUTO_TEST_SUITE_END()
