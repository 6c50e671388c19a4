// The snapshot payload's sections: a file of state format 1 keeps its windows in a
// section of its own (varint-coded sketches), which still restores.
#include "exporter/ingest/snapshot_payload.h"

#include <boost/test/unit_test.hpp>

#include "test/support/files.h"

namespace {

std::vector<lle::core::ServiceInfo> infos() {
  std::vector<lle::core::ServiceInfo> out;
  for (const char* id : {"a", "b"}) out.push_back({id, id, "t", "1", {"x"}});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(app_state_payload)

BOOST_AUTO_TEST_CASE(the_windows_section_of_state_format_1_restores) {
  const std::string windows =
      lle::test::read_file(lle::test::source_dir() / "test/testdata/state/store-format-1.bin");
  lle::core::Writer saved_at, payload;
  saved_at.i64(1'763'636'340'000'000'000);
  payload.u64(1);  // saved at
  payload.str(saved_at.bytes());
  payload.u64(2);  // the windows, state format 1
  payload.str(windows);
  lle::window::Store store(infos(), {});
  const auto restored = lle::ingest::restore_payload(payload.bytes(), store, nullptr);
  BOOST_TEST_REQUIRE(restored.has_value());
  BOOST_TEST(restored->services == 2u);
  BOOST_TEST(restored->saved_at_ns == 1'763'636'340'000'000'000);
  BOOST_TEST(store.snapshot(restored->saved_at_ns).views[0].accepted_total == 180u * 7u);

  // What this build writes restores the same, in the current section.
  lle::window::Store again(infos(), {});
  const auto round = lle::ingest::restore_payload(
      lle::ingest::state_payload(store, nullptr, restored->saved_at_ns), again, nullptr);
  BOOST_TEST_REQUIRE(round.has_value());
  BOOST_TEST(again.snapshot(restored->saved_at_ns).views[1].accepted_total == 180u * 7u);
}

BOOST_AUTO_TEST_SUITE_END()
