#include "exporter/source/replay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "exporter/parse/loki_json.h"

namespace lle::source {
namespace {

constexpr std::size_t kBlockBytes = 1 << 20;  // records read at a time by run()

std::runtime_error io_error(const std::string& what, const std::string& path) {
  return std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

// Where the next record in text[pos..] lies. Records are the non-blank lines
// (JSONL), or else top-level JSON values (objects or arrays, strings aware) with
// anything else up to the end of its line a (malformed) record of its own.
// kMore: text ends inside it and more may come; at the end of the input the
// rest is the record.
enum class Found { kRecord, kMore, kNone };
Found next_record(std::string_view text, std::size_t& pos, bool jsonl, bool at_end,
                  std::string_view& record) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  for (;;) {
    std::size_t i = pos;
    if (jsonl) {
      const auto eol = text.find('\n', i);
      if (eol == std::string_view::npos && !at_end) return Found::kMore;
      const std::size_t end = eol == std::string_view::npos ? text.size() : eol;
      if (i >= text.size()) return Found::kNone;
      pos = end == text.size() ? end : end + 1;
      const auto line = text.substr(i, end - i);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      record = line;
      return Found::kRecord;
    }
    while (i < text.size() && space(text[i])) ++i;
    if (i >= text.size()) {
      pos = i;
      return at_end ? Found::kNone : Found::kMore;
    }
    std::size_t end = i;
    if (text[i] != '{' && text[i] != '[') {
      end = text.find('\n', i);
      if (end == std::string_view::npos) {
        if (!at_end) return Found::kMore;
        end = text.size();
      }
    } else {
      int depth = 0;
      bool in_string = false, closed = false;
      for (; end < text.size() && !closed; ++end) {
        const char c = text[end];
        if (in_string) {
          if (c == '\\')
            ++end;
          else if (c == '"')
            in_string = false;
        } else if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          closed = true;
        }
      }
      if (!closed && !at_end) return Found::kMore;
      end = std::min(end, text.size());
    }
    record = text.substr(i, end - i);
    pos = end;
    return Found::kRecord;
  }
}

// JSONL when the first non-blank line is a whole JSON value by itself.
bool looks_like_jsonl(std::string_view first_line) {
  std::size_t pos = 0;
  std::string_view value;
  if (next_record(first_line, pos, false, true, value) != Found::kRecord) return true;
  return (value.back() == '}' || value.back() == ']') &&
         first_line.find_first_not_of(" \t\r", pos) == std::string_view::npos;
}

// The input as a file descriptor that can be read twice: a regular file as it
// is, anything else (stdin, a pipe) copied to an unlinked temporary file.
int open_input(const ReplayOptions& options, std::istream& standard_input) {
  int fd = -1;
  if (options.path != "-") {
    fd = ::open(options.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw io_error("cannot open replay input", options.path);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) return fd;
  }
  const char* dir = std::getenv("TMPDIR");
  std::string name = std::string(dir && *dir ? dir : "/tmp") + "/lle-replay-XXXXXX";
  const int spool = ::mkstemp(name.data());
  if (spool < 0) {
    if (fd >= 0) ::close(fd);
    throw io_error("cannot create a temporary file for the replay input", name);
  }
  ::unlink(name.c_str());
  std::string buf(kBlockBytes, '\0');
  for (;;) {
    std::size_t got = 0;
    if (fd >= 0) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      got = n > 0 ? static_cast<std::size_t>(n) : 0;
    } else {
      standard_input.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      got = static_cast<std::size_t>(standard_input.gcount());
    }
    if (got == 0) break;
    for (std::size_t done = 0; done < got;) {
      const ssize_t n = ::write(spool, buf.data() + done, got - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const auto err = io_error("cannot copy the replay input to a temporary file", name);
        ::close(spool);
        if (fd >= 0) ::close(fd);
        throw err;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  if (fd >= 0) ::close(fd);
  return spool;
}

// Reads bytes [offset, offset + n) of fd into dst; how many there were (fewer
// at the end of the file).
std::size_t read_at(int fd, std::uint64_t offset, char* dst, std::size_t n,
                    const std::string& path) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, dst + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw io_error("cannot read replay input", path);
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

// The records of fd from the start, in order, each with its offset; the buffer
// grows (doubling) only while one record does not fit.
class RecordReader {
 public:
  RecordReader(int fd, const std::string& path) : fd_(fd), path_(path) { fill(); }

  // The first non-blank line (or as much as there is), without consuming it.
  std::string_view first_line() {
    for (;;) {
      const auto start = buf_.find_first_not_of(" \t\r\n");
      const auto eol = start == std::string::npos ? std::string::npos : buf_.find('\n', start);
      if (eol != std::string::npos || eof_) {
        return start == std::string::npos
                   ? std::string_view()
                   : std::string_view(buf_).substr(start,
                                                   eol == std::string::npos ? eol : eol - start);
      }
      fill();
    }
  }

  bool next(bool jsonl, std::string_view& record, std::uint64_t& offset) {
    for (;;) {
      switch (next_record(buf_, pos_, jsonl, eof_, record)) {
        case Found::kRecord:
          offset = base_ + static_cast<std::uint64_t>(record.data() - buf_.data());
          return true;
        case Found::kNone:
          return false;
        case Found::kMore:
          fill();
      }
    }
  }
  std::uint64_t end() const { return base_ + buf_.size(); }

 private:
  // Drops what was consumed and reads at least as much again as is kept.
  void fill() {
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
    const std::size_t kept = buf_.size(), want = std::max(kBlockBytes, kept);
    buf_.resize(kept + want);
    buf_.resize(kept + read_at(fd_, base_ + kept, buf_.data() + kept, want, path_));
    eof_ = buf_.size() == kept;
  }

  int fd_;
  const std::string& path_;
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t base_ = 0;  // offset of buf_[0] in the input
  bool eof_ = false;
};

// Delivery time: the median of three consecutive timestamps, never going back.
std::int64_t median(std::int64_t a, std::int64_t b, std::int64_t c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

// The entries of one run of whole records, in delivery order. An entry's views
// point into the block's own copy, so they outlive the decoder's callback.
struct Block {
  std::string arena;
  std::vector<core::Label> labels;
  std::vector<core::Entry> entries;
};

}  // namespace

// The input's blocks one after another in delivery order (backwards for a
// newest-first export), each entry reachable until the cursor moves past it.
class Replay::Blocks {
 public:
  explicit Blocks(const Replay& r)
      : r_(r), next_(r.newest_first_ ? r.blocks_.size() - 2 : 0), left_(r.blocks_.size() - 1) {}

  // The entry `ahead` places after the current one (0: the current), or nullptr.
  const core::Entry* peek(std::size_t ahead) {
    std::size_t i = pos_ + ahead;
    for (const auto& b : queue_) {
      if (i < b.entries.size()) return &b.entries[i];
      i -= b.entries.size();
    }
    while (load_next()) {
      if (i < queue_.back().entries.size()) return &queue_.back().entries[i];
      i -= queue_.back().entries.size();
    }
    return nullptr;
  }
  void pop() {
    if (++pos_ < queue_.front().entries.size()) return;
    queue_.pop_front();
    pos_ = 0;
  }

 private:
  // Decodes the next block that holds any entry; false when none is left.
  bool load_next() {
    while (left_ > 0) {
      --left_;
      const std::size_t k = r_.newest_first_ ? next_-- : next_++;
      Block& b = queue_.emplace_back();  // built in place: views into a moved string may dangle
      text_.resize(r_.blocks_[k + 1] - r_.blocks_[k]);
      text_.resize(read_at(r_.fd_, r_.blocks_[k], text_.data(), text_.size(), r_.options_.path));
      // Decoded lines are no longer than their JSON text; labels repeat per entry
      // but are few: one allocation for most blocks instead of a doubling chain.
      b.arena.reserve(text_.size());
      at_.clear();
      label_at_.clear();
      auto& at = at_;
      auto& label_at = label_at_;
      const auto copy = [&](std::string_view s) {
        b.arena.append(s);
        return b.arena.size() - s.size();
      };
      std::size_t pos = 0;
      std::string_view record;
      while (next_record(text_, pos, r_.jsonl_, true, record) == Found::kRecord) {
        decoder_.decode(record, [&](const core::Entry& e) {
          const std::size_t first = label_at.size();
          for (const auto& l : e.labels) {
            label_at.push_back(copy(l.name));
            label_at.push_back(l.name.size());
            label_at.push_back(copy(l.value));
            label_at.push_back(l.value.size());
          }
          at.push_back({first, label_at.size(), copy(e.line), e.line.size(), e.timestamp_ns});
        });
      }
      if (at.empty()) {
        queue_.pop_back();
        continue;
      }
      const std::string_view arena = b.arena;
      b.labels.reserve(label_at.size() / 4);
      b.entries.reserve(at.size());
      for (std::size_t i = 0; i < label_at.size(); i += 4)
        b.labels.push_back({arena.substr(label_at[i], label_at[i + 1]),
                            arena.substr(label_at[i + 2], label_at[i + 3])});
      for (const auto& a : at) {
        b.entries.push_back({std::span<const core::Label>(b.labels.data() + a.labels_begin / 4,
                                                          (a.labels_end - a.labels_begin) / 4),
                             a.ts, arena.substr(a.line_begin, a.line_size)});
      }
      if (r_.newest_first_) std::reverse(b.entries.begin(), b.entries.end());
      return true;
    }
    return false;
  }

  const Replay& r_;
  parse::LokiDecoder decoder_;
  std::string text_;  // the block being decoded; entries point into its arena
  // Where each entry's copies sit in the arena while the block is decoded.
  struct At {
    std::size_t labels_begin, labels_end, line_begin, line_size;
    std::int64_t ts;
  };
  std::vector<At> at_;
  std::vector<std::size_t> label_at_;  // name offset, name size, value offset, value size
  std::deque<Block> queue_;            // references stay valid as blocks come and go
  std::size_t pos_ = 0;                // the current entry in queue_.front()
  std::size_t next_, left_;            // the next block to read, how many are left
};

Replay::Replay(Replay&& other) noexcept
    : options_(std::move(other.options_)),
      fd_(std::exchange(other.fd_, -1)),
      jsonl_(other.jsonl_),
      newest_first_(other.newest_first_),
      shift_(other.shift_),
      blocks_(std::move(other.blocks_)),
      stats_(std::move(other.stats_)),
      stopped_(other.stopped_.load()) {}  // moved from load(), before any delivery

Replay::~Replay() { finish(); }

// One pass over the input: its records and entries counted, its order judged
// from every neighbouring pair (one line far off at either end does not turn
// the export around), where replay time ends (the largest median of three
// neighbours, the same read forwards or backwards), and where blocks begin.
Replay Replay::load(const ReplayOptions& options, const core::Clock& wall,
                    std::istream& standard_input) {
  Replay r;
  r.options_ = options;
  r.fd_ = open_input(options, standard_input);
  RecordReader reader(r.fd_, options.path);
  r.jsonl_ = looks_like_jsonl(reader.first_line());

  parse::LokiDecoder decoder;
  std::uint64_t descending = 0, n = 0;
  std::int64_t ts1 = 0, ts2 = 0;  // the previous two timestamps
  std::int64_t end_now = std::numeric_limits<std::int64_t>::min();
  std::uint64_t next_block = 0;
  std::string_view record;
  std::uint64_t offset = 0;
  auto& st = r.stats_;
  while (reader.next(r.jsonl_, record, offset)) {
    if (offset >= next_block || r.blocks_.empty()) {
      r.blocks_.push_back(offset);
      next_block = offset + kBlockBytes;
    }
    ++st.records;
    const auto result = decoder.decode(record, [&](const core::Entry& e) {
      const std::int64_t ts = e.timestamp_ns;
      if (n > 0) descending += ts < ts1;
      if (n >= 2) end_now = std::max(end_now, median(ts2, ts1, ts));
      ts2 = ts1;
      ts1 = ts;
      ++n;
    });
    st.malformed_entries += result.bad_entries;
    if (!result.error.empty()) ++st.malformed_records;
    if ((!result.error.empty() || result.bad_entries > 0) && st.first_errors.size() < 10) {
      st.first_errors.push_back("record " + std::to_string(st.records) + ": " +
                                (result.error.empty()
                                     ? std::to_string(result.bad_entries) + " malformed entries"
                                     : result.error));
    }
  }
  r.blocks_.push_back(reader.end());
  st.entries = n;
  if (n == 1) end_now = ts1;
  if (n == 2) end_now = std::max(ts1, ts2);
  r.newest_first_ = n > 1 && 2 * descending > n - 1;
  // 0 only when the bulk itself sits at the int64 ends
  if (options.rebase_to_now && n > 0 && __builtin_sub_overflow(wall.now_ns(), end_now, &r.shift_))
    r.shift_ = 0;
  return r;
}

// Entry i is delivered at the median of its own timestamp and its two
// neighbours' (the window moved inwards at either end), never going back: one
// line stamped far from its neighbours cannot move time, so the gates judge it
// against the bulk of the data; a gap that two lines agree on does.
const core::Entry* Replay::next(std::int64_t* now) {
  if (!blocks_cursor_) blocks_cursor_ = std::make_unique<Blocks>(*this);
  const core::Entry* e = blocks_cursor_->peek(0);
  if (e == nullptr) return nullptr;
  const std::uint64_t n = stats_.entries, i = delivered_;
  // The window's first entry relative to this one: -2, -1 or 0.
  const std::int64_t j = n <= 3
                             ? -static_cast<std::int64_t>(i)
                             : static_cast<std::int64_t>(std::clamp<std::uint64_t>(i, 1, n - 2)) -
                                   1 - static_cast<std::int64_t>(i);
  std::int64_t window[3];
  std::size_t k = 0;
  for (std::int64_t d = j; k < 3 && d <= 2; ++d) {
    if (d < 0) {
      window[k++] = d == -1 ? ts1_ : ts2_;
    } else if (const core::Entry* w = blocks_cursor_->peek(static_cast<std::size_t>(d))) {
      window[k++] = w->timestamp_ns;
    }
  }
  std::sort(window, window + k);
  now_ = std::max(now_, window[k / 2]);
  *now = now_;
  return e;
}

void Replay::deliver(const core::Entry& e, std::int64_t now, const Sink& sink) {
  if (delivered_ == 0) {
    first_now_ = now;
    paced_from_ = std::chrono::steady_clock::now();
  }
  sink(core::Entry{e.labels, core::saturating_add(e.timestamp_ns, shift_), e.line},
       core::saturating_add(now, shift_));
  ts2_ = ts1_;
  ts1_ = e.timestamp_ns;
  ++delivered_;
  blocks_cursor_->pop();
}

void Replay::finish() {
  blocks_cursor_.reset();
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

bool Replay::run(const Sink& sink) {
  if (fd_ < 0) throw std::runtime_error(options_.path + ": a replay runs once");
  std::int64_t now;
  while (const core::Entry* e = next(&now)) {
    if (stopped_.load(std::memory_order_relaxed)) return false;
    deliver(*e, now, sink);
  }
  finish();
  return true;
}

void Replay::start(boost::asio::io_context& io, Hooks hooks) {
  if (!counted_) {
    counted_ = true;
    hooks.progress({stats_.records, stats_.malformed_records, stats_.malformed_entries, 0});
  }
  boost::asio::co_spawn(io, deliver_all(std::move(hooks)), boost::asio::detached);
}

// Batches of entries, yielding to the io_context's other work (publication,
// stop) between them; at a speed, a timer waits until each entry is due.
boost::asio::awaitable<void> Replay::deliver_all(Hooks hooks) {
  using steady = std::chrono::steady_clock;
  constexpr int kBatch = 1024;
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor);
  const Sink sink = hooks.held_entry
                        ? Sink(hooks.held_entry)
                        : [&hooks](const core::Entry& e, std::int64_t now) { hooks.entry(e, now); };
  std::string error;
  for (bool more = fd_ >= 0; more;) {
    const auto started = steady::now();
    std::optional<steady::time_point> due;
    try {
      std::int64_t now;
      const core::Entry* e = nullptr;
      for (int n = 0; n < kBatch && (e = next(&now)) != nullptr; ++n) {
        if (options_.speed > 0 && delivered_ > 0) {
          const auto at =
              paced_from_ + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                (static_cast<double>(now) - first_now_) / options_.speed));
          if (at > steady::now()) {
            due = at;
            break;
          }
        }
        deliver(*e, now, sink);
      }
      more = e != nullptr;
    } catch (const std::exception& ex) {
      error = ex.what();
      more = false;
    }
    hooks.progress({0, 0, 0, std::chrono::duration<double>(steady::now() - started).count()});
    if (!more) break;
    if (due) {
      timer.expires_at(*due);
      co_await timer.async_wait(boost::asio::use_awaitable);
    } else {
      co_await boost::asio::post(executor, boost::asio::use_awaitable);
    }
  }
  finish();
  hooks.ended(error);
}

std::int64_t Replay::vouched_ns() const {
  return delivered_ == 0 ? 0 : core::saturating_add(now_, shift_);
}

}  // namespace lle::source
