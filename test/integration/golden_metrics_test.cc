// Golden test: a small recorded export -> pipeline -> /metrics text. Set
// LLE_UPDATE_GOLDEN=1 to rewrite the golden file after an intended change.
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "exporter/config/config.h"
#include "exporter/core/clock.h"
#include "exporter/ingest/pipeline.h"
#include "exporter/metrics/text_render.h"
#include "exporter/source/replay.h"
#include "test/support/files.h"

BOOST_AUTO_TEST_SUITE(integration_golden_metrics)

BOOST_AUTO_TEST_CASE(small_export_renders_the_golden_metrics_text) {
  const auto root = lle::test::source_dir();
  const auto cfg = lle::config::load((root / "deploy/config/exporter.yaml").string());
  lle::ingest::Pipeline pipeline(cfg, {"test", "golden", 0, {}, {}, {}, {}});
  std::istringstream no_stdin;
  const lle::core::ManualClock wall(0);
  auto replay = lle::source::Replay::load(
      {(root / "test/testdata/golden/small.jsonl").string(), false, 0}, wall, no_stdin);
  const std::int64_t end = lle::ingest::replay_into(replay, pipeline).now_ns;
  pipeline.input().parse_seconds_total = 0;  // wall-clock timing: the one non-reproducible value
  const auto state = pipeline.publish(end);
  const std::string text = lle::metrics::render_exposition(*state);
  BOOST_TEST(text == lle::metrics::render_text(lle::metrics::translate(*state)));

  const auto golden = root / "test/testdata/golden/small.metrics.txt";
  if (std::getenv("LLE_UPDATE_GOLDEN")) {
    std::ofstream(golden) << text;
    BOOST_TEST_MESSAGE("rewrote " << golden);
  }
  BOOST_TEST(text == lle::test::read_file(golden));
}

BOOST_AUTO_TEST_SUITE_END()
