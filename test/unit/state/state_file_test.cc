#include "exporter/state/state_file.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <functional>

#include "test/support/files.h"

using lle::state::Loaded;

namespace {
std::string payload() {
  std::string p;
  for (int i = 0; i < 5000; ++i) p += static_cast<char>(i * 7 % 256);
  return p;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(state_file)

BOOST_AUTO_TEST_CASE(what_is_written_is_read_back_and_no_temp_file_is_left) {
  lle::test::TempDir dir;
  const auto file = dir.path() / "state.bin";
  BOOST_TEST((lle::state::read(file).kind == Loaded::Kind::kMissing));
  lle::state::write_atomic(file, payload());
  lle::state::write_atomic(file, payload() + "more");  // replaces
  const auto l = lle::state::read(file);
  BOOST_TEST_REQUIRE((l.kind == Loaded::Kind::kOk));
  BOOST_TEST(l.payload == payload() + "more");
  for (const auto& f : std::filesystem::directory_iterator(dir.path()))
    BOOST_TEST(f.path().filename().string().find(".tmp") == std::string::npos, f.path());
}

// A version-1 file made byte by byte, with the CRC-32 (ISO-HDLC, as zlib and
// boost::crc_32_type compute it) of "123456789", 0xCBF43926: files written by
// earlier builds keep reading back.
BOOST_AUTO_TEST_CASE(a_version_1_file_from_an_earlier_build_reads_back) {
  lle::test::TempDir dir;
  std::string bytes = "LLESTATE";
  bytes += std::string("\x01\x00\x00\x00", 4);                  // version 1
  bytes += std::string("\x09\x00\x00\x00\x00\x00\x00\x00", 8);  // payload length
  bytes += "123456789";                                         // payload
  bytes += std::string("\x26\x39\xf4\xcb", 4);                  // CRC-32, LE
  dir.write("state.bin", bytes);
  const auto l = lle::state::read(dir.path() / "state.bin");
  BOOST_TEST_REQUIRE((l.kind == Loaded::Kind::kOk), l.why);
  BOOST_TEST(l.payload == "123456789");
}

BOOST_AUTO_TEST_CASE(truncated_corrupted_foreign_and_future_files_are_rejected_with_a_reason) {
  lle::test::TempDir dir;
  const auto file = dir.path() / "state.bin";
  lle::state::write_atomic(file, payload());
  const std::string good = lle::test::read_file(file);
  const auto reason = [&](const std::string& bytes) {
    dir.write("state.bin", bytes);
    const auto l = lle::state::read(file);
    BOOST_TEST((l.kind == Loaded::Kind::kRejected));
    return l.why;
  };
  for (std::size_t len : {std::size_t{0}, std::size_t{10}, good.size() / 2, good.size() - 1})
    BOOST_TEST(reason(good.substr(0, len)).find("truncated") != std::string::npos);
  std::string flipped = good;
  flipped[100] ^= 0x40;
  BOOST_TEST(reason(flipped) == "checksum mismatch");
  std::string future = good;
  future[8] = static_cast<char>(lle::state::kFormatVersion + 1);
  BOOST_TEST(reason(future).find("newer than this build") != std::string::npos);
  BOOST_TEST(reason("#!/bin/sh\nnot a state file at all\n") == "not a state file");
  BOOST_TEST(reason(good + "x").find("padded") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_rejected_file_is_moved_aside_not_deleted) {
  lle::test::TempDir dir;
  const auto file = dir.path() / "state.bin";
  dir.write("state.bin", "garbage");
  const auto aside = lle::state::move_aside(file, "123");
  BOOST_TEST(aside == file.string() + ".rejected-123");
  BOOST_TEST(lle::test::read_file(aside) == "garbage");
  BOOST_TEST((lle::state::read(file).kind == Loaded::Kind::kMissing));
}

// A directory, a FIFO or a device where the state file should be: rejected
// unread (a directory used to throw bad_alloc, a FIFO to hang the start), so the
// caller moves it aside and starts cold.
BOOST_AUTO_TEST_CASE(anything_but_a_regular_file_is_rejected_unread_and_moved_aside) {
  lle::test::TempDir dir;
  const auto file = dir.path() / "state.bin";
  const std::function<void()> make[] = {
      [&] { std::filesystem::create_directory(file); },
      [&] { BOOST_TEST_REQUIRE(::mkfifo(file.c_str(), 0600) == 0); },
      [&] { std::filesystem::create_symlink("/dev/zero", file); },
      [&] { std::filesystem::create_symlink(dir.path(), file); },
  };
  int n = 0;
  for (const auto& m : make) {
    m();
    const Loaded l = lle::state::read(file);
    BOOST_TEST((l.kind == Loaded::Kind::kRejected), n);
    BOOST_TEST(l.why.find("is a") == 0u, l.why);
    BOOST_TEST(!lle::state::move_aside(file, std::to_string(n++)).empty());
    BOOST_TEST((lle::state::read(file).kind == Loaded::Kind::kMissing));
  }
}

BOOST_AUTO_TEST_CASE(an_unwritable_directory_is_an_error_naming_the_file) {
  try {
    lle::state::write_atomic("/nonexistent-dir/state.bin", "x");
    BOOST_FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("/nonexistent-dir/state.bin") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
