// Scrape render (render_exposition of a published state, what /metrics serves) for 200
// and 10,000 services: targets <= 5 ms and <= 100 ms. Also the ingest thread's
// cost to publish (views of every service), and memory per service with a full
// 7-day state at several line rates (target <= 128 KiB).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "exporter/core/clock.h"
#include "exporter/metrics/text_render.h"
#include "exporter/metrics/translate.h"
#include "exporter/state/state_file.h"
#include "exporter/window/store.h"

namespace {

constexpr std::int64_t kT0 = 1'795'154'400LL * 1'000'000'000LL;
constexpr std::int64_t kMin = lle::core::kNanosPerMinute;

lle::window::Store make_store(std::size_t services, std::size_t teams = 50) {
  std::vector<lle::core::ServiceInfo> infos;
  for (std::size_t i = 0; i < services; ++i) {
    infos.push_back({"service-" + std::to_string(i),
                     "Service " + std::to_string(i),
                     "team-" + std::to_string(i % teams),
                     "2",
                     {"owner"}});
  }
  lle::window::Store store(std::move(infos), {});
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.5);
  // Two hours of one line a minute per service, with every reject reason seen.
  for (std::int64_t m = 0; m < 120; ++m) {
    const std::int64_t now = kT0 + m * kMin;
    for (std::size_t s = 0; s < services; ++s) store.add(s, now, lat(rng), 200, now);
  }
  for (std::size_t s = 0; s < services; ++s)
    store.reject(static_cast<int>(s), lle::core::RejectReason::kInvalidLatency);
  return store;
}

void BM_ScrapeRender(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)));
  lle::metrics::Published p{store.snapshot(kT0 + 120 * kMin), {"bench", "", 0, {}, {}, {}, {}}};
  std::size_t bytes = 0;
  for (auto _ : state) bytes = lle::metrics::render_exposition(p).size();
  state.counters["scrape_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ScrapeRender)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

// The same text answer with the shipped config's 6 classic bucket bounds (9 more
// series per service): what they add to a text scrape.
void BM_ScrapeRenderClassic(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)));
  lle::metrics::Published p{store.snapshot(kT0 + 120 * kMin), {"bench", "", 0, {}, {}, {}, {}}};
  const std::vector<double> bounds = {0.0625, 0.125, 0.25, 0.5, 1, 2};
  std::size_t bytes = 0;
  for (auto _ : state) bytes = lle::metrics::render_exposition(p, {}, bounds).size();
  state.counters["scrape_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ScrapeRenderClassic)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

// The protobuf answer (what Prometheus with native histograms asks for) at
// schema range(1), services with 2,000 lines each (lognormal sigma 0.5: about 40
// buckets at schema 3, 280 at schema 6). Target at 10,000 services, schema 3:
// <= 50 ms. histogram_bytes_per_series: what the buckets add to each series (the
// answer minus the same answer with empty histograms, per service).
void BM_ScrapeRenderProtobuf(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto store = make_store(n);
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.5);
  const std::int64_t now = kT0 + 120 * kMin;
  for (int i = 0; i < 1880; ++i)
    for (std::size_t s = 0; s < n; ++s) store.add(s, now, lat(rng), 200, now);
  lle::metrics::Published p{store.snapshot(now), {"bench", "", 0, {}, {}, {}, {}}};
  const int schema = static_cast<int>(state.range(1));
  std::size_t bytes = 0;
  for (auto _ : state) bytes = lle::metrics::render_protobuf(p, {}, schema).size();
  for (auto& v : p.snapshot.views) v.lifetime = std::make_shared<lle::sketch::LatencySketch>();
  const std::size_t without = lle::metrics::render_protobuf(p, {}, schema).size();
  state.counters["scrape_bytes"] = static_cast<double>(bytes);
  state.counters["histogram_bytes_per_series"] = static_cast<double>(bytes - without) / n;
}
BENCHMARK(BM_ScrapeRenderProtobuf)
    ->Args({200, 3})
    ->Args({1000, 3})
    ->Args({3000, 3})
    ->Args({10000, 3})
    ->Args({10000, 6})
    ->Unit(benchmark::kMillisecond);

// The path /metrics took before: metric families, then their text.
void BM_FamiliesThenText(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)));
  lle::metrics::Published p{store.snapshot(kT0 + 120 * kMin), {"bench", "", 0, {}, {}, {}, {}}};
  for (auto _ : state)
    benchmark::DoNotOptimize(lle::metrics::render_text(lle::metrics::translate(p)).size());
}
BENCHMARK(BM_FamiliesThenText)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_TranslateOnly(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)));
  lle::metrics::Published p{store.snapshot(kT0 + 120 * kMin), {"bench", "", 0, {}, {}, {}, {}}};
  for (auto _ : state) benchmark::DoNotOptimize(lle::metrics::translate(p).size());
}
BENCHMARK(BM_TranslateOnly)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_SerializeOnly(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)));
  const auto families =
      lle::metrics::translate({store.snapshot(kT0 + 120 * kMin), {"bench", "", 0, {}, {}, {}, {}}});
  for (auto _ : state) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    benchmark::DoNotOptimize(out.str().size());
  }
}
BENCHMARK(BM_SerializeOnly)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

// The renderer /metrics uses, on the same families as BM_SerializeOnly.
void BM_RenderTextOnly(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)));
  const auto families =
      lle::metrics::translate({store.snapshot(kT0 + 120 * kMin), {"bench", "", 0, {}, {}, {}, {}}});
  for (auto _ : state) benchmark::DoNotOptimize(lle::metrics::render_text(families).size());
}
BENCHMARK(BM_RenderTextOnly)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

// range(1): teams (their windows are merged from their services' on publication;
// target: at most 20% on top of the publish without them).
void BM_PublishAllServicesChanged(benchmark::State& state) {
  auto store = make_store(static_cast<std::size_t>(state.range(0)),
                          static_cast<std::size_t>(state.range(1)));
  std::int64_t now = kT0 + 120 * kMin;
  for (auto _ : state) {
    now += kMin;  // a new minute: every service's view is recomputed
    benchmark::DoNotOptimize(store.snapshot(now).views.size());
  }
}
BENCHMARK(BM_PublishAllServicesChanged)
    ->Args({200, 50})
    ->Args({10000, 500})
    ->Unit(benchmark::kMillisecond);

// Between minutes: a line for one service of each team since the last publication,
// so each team is re-gathered from one recomputed view and its other services'
// windows (the publish every publish_interval of a busy exporter).
void BM_PublishOneServicePerTeamChanged(benchmark::State& state) {
  const auto services = static_cast<std::size_t>(state.range(0));
  const auto teams = static_cast<std::size_t>(state.range(1));
  auto store = make_store(services, teams);
  const std::int64_t now = kT0 + 120 * kMin;
  store.snapshot(now);
  std::size_t next = 0;
  for (auto _ : state) {
    for (std::size_t t = 0; t < teams; ++t)
      store.add((t + next * teams) % services, now, 0.08, 200, now);
    next = (next + 1) % (services / teams);
    benchmark::DoNotOptimize(store.snapshot(now).teams.size());
  }
}
BENCHMARK(BM_PublishOneServicePerTeamChanged)->Args({10000, 500})->Unit(benchmark::kMillisecond);

// An hour of once-a-minute publishes, each after a minute of lines (one per
// service): every view recomputed each time, a 5-minute bucket completing every
// fifth, an hour completing once: the mix of a running exporter's minute
// publishes. range(1): teams. Timed per publish (the lines are not timed).
void BM_PublishEveryMinuteForAnHour(benchmark::State& state) {
  const auto services = static_cast<std::size_t>(state.range(0));
  auto store = make_store(services, static_cast<std::size_t>(state.range(1)));
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> lat(std::log(0.08), 0.5);
  std::int64_t now = kT0 + 120 * kMin;
  for (auto _ : state) {
    for (int minute = 0; minute < 60; ++minute) {
      state.PauseTiming();
      for (std::size_t s = 0; s < services; ++s) store.add(s, now, lat(rng), 200, now);
      now += kMin;
      state.ResumeTiming();
      benchmark::DoNotOptimize(store.snapshot(now).views.size());
    }
  }
  state.SetItemsProcessed(state.iterations() * 60);  // publishes
}
BENCHMARK(BM_PublishEveryMinuteForAnHour)->Args({10000, 500})->Unit(benchmark::kMillisecond);

// Fills the windows side by side with 8 days of lines at `rate` lines/s each
// (lognormal latencies around 80 ms): a full state, since the hourly archive keeps
// 8 days (7 for the baseline, one more for week over week); returns their end.
// Completed 5-minute buckets are handed over every 5 minutes, as to a Store.
// (The benchmarks below kept their names from when 7 days were full.)
std::int64_t fill_seven_days(std::vector<lle::window::ServiceWindow>& windows, double rate,
                             double sigma) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> lat(std::log(0.08), sigma);
  const auto step = static_cast<std::int64_t>(1e9 / rate);
  const std::int64_t end = kT0 + 8 * 24 * 60 * kMin;
  std::int64_t handed_over = kT0;
  for (std::int64_t t = kT0; t < end; t += step) {
    for (auto& w : windows) w.add(t, lat(rng), 200, t);
    if (t - handed_over < lle::window::kFiveMinutesNs) continue;
    // The store takes completed 5-minute buckets for team trends about this often.
    for (auto& w : windows) w.take_completed_fives([](std::int64_t, const auto&) {});
    handed_over = t;
  }
  return end;
}

// Memory of one service after 7 days at `lines per second` (range 0, in 1/100 s),
// with minutes held open for range 2 seconds: 300 is allowed_lateness alone (a
// replay), 421 the Loki input's hold with the default timings (docs/loki.md).
void BM_MemoryPerServiceSevenDays(benchmark::State& state) {
  const double rate = static_cast<double>(state.range(0)) / 100.0;
  const double sigma = static_cast<double>(state.range(1)) / 100.0;
  lle::window::Options options;
  options.hold_ns = state.range(2) * 1'000'000'000LL;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::vector<lle::window::ServiceWindow> one;
    one.emplace_back(options);
    const std::int64_t end = fill_seven_days(one, rate, sigma);
    bytes = one[0].view(end).memory_bytes;
  }
  state.counters["bytes_per_service"] = static_cast<double>(bytes);
}
BENCHMARK(BM_MemoryPerServiceSevenDays)
    ->Args({10, 50, 300})      // 0.1 lines/s, sigma 0.5
    ->Args({100, 50, 300})     // 1 line/s
    ->Args({1000, 50, 300})    // 10 lines/s
    ->Args({10000, 50, 300})   // 100 lines/s
    ->Args({10000, 120, 300})  // 100 lines/s, a wide (sigma 1.2) distribution
    ->Args({10, 50, 421})      // the same with the Loki input's default hold
    ->Args({100, 50, 421})
    ->Args({1000, 50, 421})
    ->Args({10000, 50, 421})
    ->Args({10000, 120, 421})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// The same as the process sees it: N services filled side by side (so that their
// allocations interleave as in a running exporter), the growth of the resident
// set per service next to the windows' own accounting (memory_bytes, which
// counts each heap block as glibc's malloc holds it). Arguments: lines/s x 100,
// sigma x 100, services.
//
// resident_per_service is the marginal cost: the growth while a second set of N
// services fills, the first still held. The first set's growth
// (first_resident_per_service) also holds what any first service faults in once,
// whatever the number of services: the code's pages, static tables, the heap's
// first pages (about 130 KB, 13 KiB a service when there are 10).
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void BM_MemoryPerServiceResident(benchmark::State& state) {
  const double rate = static_cast<double>(state.range(0)) / 100.0;
  const double sigma = static_cast<double>(state.range(1)) / 100.0;
  const auto n = static_cast<std::size_t>(state.range(2));
  const auto per_service = [n](std::size_t bytes) { return static_cast<double>(bytes) / n; };
  for (auto _ : state) {
    malloc_trim(0);  // what earlier benchmarks freed must not be reused unseen
    std::vector<lle::window::ServiceWindow> sets[2];
    std::size_t resident[3] = {resident_bytes()}, accounted = 0;
    for (int set = 0; set < 2; ++set) {
      auto& windows = sets[set];
      windows.reserve(n);
      for (std::size_t i = 0; i < n; ++i) windows.emplace_back(lle::window::Options{});
      const std::int64_t end = fill_seven_days(windows, rate, sigma);
      accounted = 0;
      for (auto& w : windows) accounted += w.view(end).memory_bytes;
      resident[set + 1] = resident_bytes();
    }
    state.counters["accounted_per_service"] = per_service(accounted);
    state.counters["first_resident_per_service"] = per_service(resident[1] - resident[0]);
    state.counters["resident_per_service"] = per_service(resident[2] - resident[1]);
  }
}
BENCHMARK(BM_MemoryPerServiceResident)
    ->Args({10, 50, 200})    // 0.1 lines/s
    ->Args({100, 50, 100})   // 1 line/s
    ->Args({1000, 50, 40})   // 10 lines/s
    ->Args({10000, 50, 10})  // 100 lines/s
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// State snapshot of N services, each with a full 7-day state at 1 line/s
// (lognormal sigma 0.5): restore (decode into a store) and save (encode),
// with the payload's size. Target: restore of 10,000 services in under 1 s.
// The file write (fsync) is not included: it depends on the disk.
const std::string& seven_day_window_bytes() {
  static const std::string bytes = [] {
    lle::window::ServiceWindow w({});
    std::mt19937_64 rng(3);
    std::lognormal_distribution<double> lat(std::log(0.08), 0.5);
    const std::int64_t end = kT0 + 7 * 24 * 60 * kMin;
    for (std::int64_t t = kT0; t < end; t += 1'000'000'000) w.add(t, lat(rng), 200, t);
    w.advance(end);
    lle::core::Writer out;
    w.save(out);
    return out.bytes();
  }();
  return bytes;
}

std::vector<lle::core::ServiceInfo> bench_infos(std::size_t n) {
  std::vector<lle::core::ServiceInfo> infos;
  for (std::size_t i = 0; i < n; ++i)
    infos.push_back({"service-" + std::to_string(i), "S", "t", "2", {"owner"}});
  return infos;
}

std::string full_state_payload(std::size_t n) {
  lle::core::Writer w;
  w.u64(n);
  for (std::size_t i = 0; i < n; ++i) {
    w.str("service-" + std::to_string(i));
    w.str(seven_day_window_bytes());
  }
  w.u64(0);  // no unknown-service rejects
  return w.bytes();
}

void BM_StateRestoreSevenDays(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string payload = full_state_payload(n);
  for (auto _ : state) {
    lle::window::Store store(bench_infos(n), {});
    lle::core::Reader r(payload);
    std::size_t restored = 0;
    if (!store.restore(r, lle::sketch::LatencySketch::Encoding::kBlockRice, &restored) ||
        restored != n)
      state.SkipWithError("restore failed");
  }
  state.counters["payload_bytes"] = static_cast<double>(payload.size());
}
BENCHMARK(BM_StateRestoreSevenDays)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

// What a restart pays: read the snapshot file (checking its CRC-32), then restore
// the store from it. The file is written once, outside the timing (page cache warm,
// as right after a restart of the process on the same node).
void BM_StateFileReadAndRestoreSevenDays(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto file = std::filesystem::temp_directory_path() / "lle-bench-state.bin";
  lle::state::write_atomic(file, full_state_payload(n));
  for (auto _ : state) {
    const auto loaded = lle::state::read(file);
    if (loaded.kind != lle::state::Loaded::Kind::kOk) state.SkipWithError("read failed");
    lle::window::Store store(bench_infos(n), {});
    std::string_view payload = loaded.payload;
    lle::core::Reader r(payload);
    std::size_t restored = 0;
    if (!store.restore(r, lle::sketch::LatencySketch::Encoding::kBlockRice, &restored) ||
        restored != n)
      state.SkipWithError("restore failed");
  }
  state.counters["file_bytes"] = static_cast<double>(std::filesystem::file_size(file));
  std::filesystem::remove(file);
}
BENCHMARK(BM_StateFileReadAndRestoreSevenDays)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_StateSaveSevenDays(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  lle::window::Store store(bench_infos(n), {});
  const std::string payload = full_state_payload(n);
  lle::core::Reader r(payload);
  std::size_t restored = 0;
  if (!store.restore(r, lle::sketch::LatencySketch::Encoding::kBlockRice, &restored) ||
      restored != n)
    state.SkipWithError("restore failed");
  std::size_t bytes = 0;
  for (auto _ : state) {
    lle::core::Writer w;
    store.save(w);
    bytes = w.bytes().size();
  }
  state.counters["payload_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_StateSaveSevenDays)->Arg(200)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
