// bench_getattr: stat() of one path in a loop; with attr_timeout=0 every call is one
// GETATTR round trip through FUSE, so items/s is round trips per second.
// usage: D1_BENCH_PATH=/mnt/x/file bench_getattr [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <sys/stat.h>

#include <cstdlib>

namespace {

void getattr_round_trip(benchmark::State& state) {
  const char* path = std::getenv("D1_BENCH_PATH");
  if (path == nullptr) {
    state.SkipWithError("set D1_BENCH_PATH to the file to stat");
    return;
  }
  struct stat st;
  for (auto _ : state) {
    if (::stat(path, &st) != 0) {
      state.SkipWithError("stat failed");
      break;
    }
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(getattr_round_trip)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
