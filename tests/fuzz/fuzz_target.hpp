// One fuzz target per parser of outside input. A target is a function of raw bytes that
// must never crash, leak or hit undefined behaviour, and that checks the parser's own
// contract (round trips, bounds); built with -DD1_LIBFUZZER it is a libFuzzer entry point,
// otherwise it registers itself with the replay driver that `make test` runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace d1::fuzz {

using target_fn = void (*)(std::string_view input);
using seeds_fn = std::vector<std::string> (*)();

/// Registers `fn` under `name` for the replay driver; returns true.
bool register_target(const char* name, target_fn fn);

/// Every registered target and seed maker, by name (the replay driver's view).
std::map<std::string, target_fn>& targets();
std::map<std::string, seeds_fn>& seed_makers();
std::vector<std::string> seeds_of(const std::string& target);

/// Registers the built-in seed inputs of target `name` (`fuzz_replay --write-seeds`).
bool register_seeds(const char* name, seeds_fn fn);

/// The fixture directory (../shared/fixtures/dataone, or $D1_FIXTURES), or "" if absent.
std::string fixtures_dir();

/// The whole file as bytes, or "" if it cannot be read.
std::string read_file(const std::string& path);

/// `doc` (an XML document) cut after the `keep`-th closing tag `</element>` and closed
/// with the document's last closing tag: a well-formed seed small enough to mutate fast.
/// `doc` itself if it has fewer such elements.
std::string first_elements(const std::string& doc, const std::string& element, size_t keep);

/// The fixture files of fixture_files(subdir, part), each also cut to its first one and
/// first four `element`s (first_elements).
std::vector<std::string> fixture_and_cuts(const std::string& subdir, const std::string& part,
                                          const std::string& element);

/// The contents of every file in the fixture folder `subdir` whose name contains `part`
/// (read in place); none without fixtures.
std::vector<std::string> fixture_files(const std::string& subdir, const std::string& part = "");

/// Aborts (a crash libFuzzer records and replay reports) when a parser broke its contract.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz contract violated: %s\n", what);
    std::abort();
  }
}

}  // namespace d1::fuzz

#ifdef D1_LIBFUZZER
#  define D1_FUZZ_ENTRY(name, fn)                                                        \
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {            \
      fn(std::string_view{reinterpret_cast<const char*>(data), size});                   \
      return 0;                                                                          \
    }
#else
#  define D1_FUZZ_ENTRY(name, fn)                                                        \
    [[maybe_unused]] static const bool d1_fuzz_registered_##name                         \
      = ::d1::fuzz::register_target(#name, fn);
#endif

#ifdef D1_LIBFUZZER
#  define D1_FUZZ_SEEDS_ENTRY(name, fn)
#else
#  define D1_FUZZ_SEEDS_ENTRY(name, fn)                                                  \
    [[maybe_unused]] static const bool d1_fuzz_seeds_registered_##name                   \
      = ::d1::fuzz::register_seeds(#name, fn);
#endif

/// Defines the built-in seeds of target `name` (inputs taken from the tests and built from
/// the fixtures, read in place): D1_FUZZ_SEEDS(path_codec) { return {...}; }
#define D1_FUZZ_SEEDS(name)                                                              \
  [[maybe_unused]] static std::vector<std::string> d1_fuzz_seeds_##name();               \
  D1_FUZZ_SEEDS_ENTRY(name, d1_fuzz_seeds_##name)                                        \
  static std::vector<std::string> d1_fuzz_seeds_##name()

/// Defines the fuzz target `name`: D1_FUZZ_TARGET(path_codec) { ... uses `input` ... }
#define D1_FUZZ_TARGET(name)                                                             \
  static void d1_fuzz_##name(std::string_view input);                                    \
  D1_FUZZ_ENTRY(name, d1_fuzz_##name)                                                    \
  static void d1_fuzz_##name(std::string_view input)
