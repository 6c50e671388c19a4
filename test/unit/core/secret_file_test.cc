#include "exporter/core/secret_file.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "test/support/files.h"

namespace fs = std::filesystem;
using lle::core::read_secret_file;

namespace {

// The message of what read_secret_file throws, or "" if it does not.
std::string error_of(const std::string& path) {
  try {
    read_secret_file(path, "password");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_secret_file)

BOOST_AUTO_TEST_CASE(the_value_is_the_content_without_surrounding_whitespace) {
  lle::test::TempDir dir;
  const auto path = dir.write("password", "  s3cret value\n\n");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  const auto secret = read_secret_file(path, "password");
  BOOST_TEST(secret.value == "s3cret value");
  BOOST_TEST(!secret.readable_by_others);
}

BOOST_AUTO_TEST_CASE(a_file_every_user_may_read_is_flagged) {
  lle::test::TempDir dir;
  const auto path = dir.write("password", "s3cret");
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  BOOST_TEST(read_secret_file(path, "password").readable_by_others);
  // Group-readable only, as Kubernetes mounts a Secret with fsGroup: not flagged.
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read);
  BOOST_TEST(!read_secret_file(path, "password").readable_by_others);
}

BOOST_AUTO_TEST_CASE(missing_and_empty_files_are_errors_naming_the_file_not_the_content) {
  lle::test::TempDir dir;
  const auto missing = (dir.path() / "nope").string();
  BOOST_TEST(error_of(missing) ==
             "cannot read the password file " + missing + ": it does not exist");
  const auto blank = dir.write("blank", " \n\t\n");
  BOOST_TEST(error_of(blank) == "the password file " + blank + " is empty");
}

// Not a regular file, or too large to be a secret: refused at once, unread. A
// FIFO would block the start and /dev/zero would read until memory runs out.
BOOST_AUTO_TEST_CASE(directories_fifos_devices_and_huge_files_are_refused) {
  lle::test::TempDir dir;
  const auto fifo = (dir.path() / "fifo").string();
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::filesystem::create_symlink("/dev/zero", dir.path() / "zero");
  const auto big = dir.write("big", std::string(lle::core::kMaxSecretFileBytes + 1, 'x'));
  const std::pair<std::string, std::string> cases[] = {
      {dir.path().string(), "it is a directory"},
      {fifo, "it is a FIFO, not a regular file"},
      {(dir.path() / "zero").string(), "it is a device, not a regular file"},
      {big, "it is larger than 65536 bytes"},
  };
  for (const auto& [path, why] : cases) {
    BOOST_TEST(error_of(path) == "cannot read the password file " + path + ": " + why, path);
  }
}

BOOST_AUTO_TEST_SUITE_END()
