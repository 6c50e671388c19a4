#include "exporter/core/atomic_file.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "test/support/files.h"

BOOST_AUTO_TEST_SUITE(core_atomic_file)

// Writers of one file each use a temp file of their own: with a fixed
// "<file>.tmp" they truncated and renamed each other's ("rename: No such file").
// Every write succeeds, the file always holds one writer's whole content, and
// no temp file is left.
BOOST_AUTO_TEST_CASE(concurrent_writers_of_one_file_never_fail_or_mix) {
  lle::test::TempDir dir;
  const auto file = dir.path() / "rules.yaml";
  constexpr int kThreads = 4, kWrites = 200;
  std::atomic<int> failed{0}, torn{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string content(4096 + t, static_cast<char>('a' + t));
      for (int i = 0; i < kWrites; ++i) {
        try {
          lle::core::write_file_atomic(file, {content}, 0644);
        } catch (const std::exception&) {
          ++failed;
        }
        const std::string seen = lle::test::read_file(file);
        if (seen.empty() || seen.find_first_not_of(seen[0]) != std::string::npos ||
            seen.size() != 4096u + static_cast<unsigned>(seen[0] - 'a')) {
          ++torn;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(failed == 0);
  BOOST_TEST(torn == 0);
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    BOOST_TEST(f.path().filename() == "rules.yaml");
  }
  BOOST_TEST(files == 1);
  using std::filesystem::perms;
  const bool mode_0644 =
      (std::filesystem::status(file).permissions() & perms::all) ==
      (perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
  BOOST_TEST(mode_0644);
}

BOOST_AUTO_TEST_SUITE_END()
