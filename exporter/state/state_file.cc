#include "exporter/state/state_file.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "exporter/core/atomic_file.h"
#include "exporter/core/regular_file.h"

namespace lle::state {
namespace {

constexpr std::string_view kMagic = "LLESTATE";
constexpr std::size_t kHeader = 8 + 4 + 8, kTrailer = 4;

// CRC-32/ISO-HDLC, zlib's (the same values as boost::crc_32_type, several times
// faster: a 680 MB snapshot is checked in well under a second).
std::uint32_t crc32(std::string_view s) {
  return static_cast<std::uint32_t>(
      ::crc32_z(0, reinterpret_cast<const Bytef*>(s.data()), s.size()));
}

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

}  // namespace

void write_atomic(const std::filesystem::path& file, std::string_view payload) {
  std::string header(kMagic);
  put_le(header, kFormatVersion, 4);
  put_le(header, payload.size(), 8);
  std::string trailer;
  put_le(trailer, crc32(payload), 4);
  core::write_file_atomic(file, {header, payload, trailer}, 0600);
}

Loaded read(const std::filesystem::path& file) {
  const auto reject = [](std::string why) {
    return Loaded{Loaded::Kind::kRejected, {}, std::move(why)};
  };
  // Read whole: the payload is later cut out of this buffer in place. Anything
  // but a regular file (a directory, a FIFO, a device) is rejected unread.
  core::FileRead read = core::read_regular_file(file.string(), kMaxFileBytes);
  if (read.status == core::FileRead::Status::kMissing) return Loaded{};
  if (read.status == core::FileRead::Status::kRefused) return reject(read.why);
  std::string all = std::move(read.content);
  if (all.size() < kHeader + kTrailer) return reject("truncated (shorter than its header)");
  if (std::string_view(all).substr(0, kMagic.size()) != kMagic) return reject("not a state file");
  const auto version = static_cast<std::uint32_t>(get_le(all, 8, 4));
  if (version > kFormatVersion) {
    return reject("format version " + std::to_string(version) + " is newer than this build's " +
                  std::to_string(kFormatVersion));
  }
  if (version == 0) return reject("format version 0 does not exist");
  const std::uint64_t length = get_le(all, 12, 8);
  if (length != all.size() - kHeader - kTrailer) {
    return reject("truncated or padded: payload of " +
                  std::to_string(all.size() - kHeader - kTrailer) +
                  " bytes where the header says " + std::to_string(length));
  }
  const std::string_view payload = std::string_view(all).substr(kHeader, length);
  if (crc32(payload) != static_cast<std::uint32_t>(get_le(all, kHeader + length, 4))) {
    return reject("checksum mismatch");
  }
  all.resize(kHeader + length);
  all.erase(0, kHeader);
  return Loaded{Loaded::Kind::kOk, std::move(all), {}};
}

std::filesystem::path move_aside(const std::filesystem::path& file, const std::string& suffix) {
  std::filesystem::path aside = file.string() + ".rejected-" + suffix;
  std::error_code ec;
  std::filesystem::rename(file, aside, ec);
  return ec ? std::filesystem::path() : aside;
}

}  // namespace lle::state
