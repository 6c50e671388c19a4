// Sketch insert, merge and quantile costs. Target: <= 5 ns per insert for one hot
// service, <= 30 ns spread over 10,000 services.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "exporter/sketch/latency_sketch.h"

namespace {

std::vector<double> lognormal(std::size_t n) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> d(std::log(0.08), 0.6);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void BM_InsertOneHotService(benchmark::State& state) {
  const auto values = lognormal(1 << 16);
  lle::sketch::LatencySketch s;
  std::size_t i = 0;
  for (auto _ : state) {
    s.add(values[i++ & 0xffff]);
  }
  benchmark::DoNotOptimize(s.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOneHotService);

void BM_InsertSpreadOverServices(benchmark::State& state) {
  const auto services = static_cast<std::size_t>(state.range(0));
  const auto values = lognormal(1 << 16);
  std::mt19937 rng(7);
  std::vector<std::uint32_t> target(1 << 16);
  for (auto& t : target) t = static_cast<std::uint32_t>(rng() % services);
  std::vector<lle::sketch::LatencySketch> sketches(services);
  for (std::size_t k = 0; k < services; ++k) {  // warm: ranges allocated as in steady state
    for (int j = 0; j < 64; ++j)
      sketches[k].add(values[(k * 64 + static_cast<std::size_t>(j)) & 0xffff]);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 0xffff;
    sketches[target[k]].add(values[k]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertSpreadOverServices)->Arg(200)->Arg(10000);

void BM_Merge(benchmark::State& state) {
  lle::sketch::LatencySketch a, b;
  for (double v : lognormal(100000)) a.add(v), b.add(v * 1.1);
  for (auto _ : state) {
    lle::sketch::LatencySketch c = a;
    c.merge(b);
    benchmark::DoNotOptimize(c.count());
  }
}
BENCHMARK(BM_Merge);

// Encoding a completed 5-minute bucket: of a sparse service (30 lines) and of a
// busy one (30,000), as each 5-minute roll-up does once per service.
void BM_EncodeFiveMinutes(benchmark::State& state) {
  lle::sketch::LatencySketch s;
  for (double v : lognormal(static_cast<std::size_t>(state.range(0)))) s.add(v);
  std::string bytes;
  for (auto _ : state) {
    s.encode(bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
}
BENCHMARK(BM_EncodeFiveMinutes)->Arg(30)->Arg(30000);

void BM_ThreeQuantiles(benchmark::State& state) {
  lle::sketch::LatencySketch a;
  for (double v : lognormal(100000)) a.add(v);
  const double qs[] = {0.5, 0.95, 0.99};
  double out[3];
  for (auto _ : state) {
    a.quantiles(qs, out);
    benchmark::DoNotOptimize(out[1]);
  }
}
BENCHMARK(BM_ThreeQuantiles);

}  // namespace

BENCHMARK_MAIN();
