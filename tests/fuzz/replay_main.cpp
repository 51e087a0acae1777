// The replay driver: runs a fuzz target over committed inputs (regressions) and its
// built-in seeds in an ordinary build, so `make test` proves every crash ever found stays
// fixed; `make fuzz` also uses it to write the seeds a fuzzing run starts from.
// Usage: fuzz_replay TARGET [--seeds] PATH...     replay (--seeds: the built-in seeds too)
//        fuzz_replay --write-seeds TARGET DIR     write the built-in seeds as files
//        fuzz_replay --list                       the names of all targets
#include "tests/fuzz/fuzz_target.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <vector>


namespace {

int usage() {
  std::cerr << "usage: fuzz_replay TARGET [--seeds] PATH...\n"
               "       fuzz_replay --write-seeds TARGET DIR\n"
               "       fuzz_replay --list\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace d1::fuzz;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--list") {
    for (auto& [name, fn] : targets())
      std::cout << name << "\n";
    return 0;
  }
  if (args.size() == 3 && args[0] == "--write-seeds") {
    if (!targets().count(args[1]))
      return usage();
    fs::create_directories(args[2]);
    auto seeds = seeds_of(args[1]);
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream out(fs::path(args[2]) / ("seed-" + std::to_string(i)), std::ios::binary);
      out << seeds[i];
    }
    std::cout << args[1] << ": " << seeds.size() << " seeds written to " << args[2] << "\n";
    return 0;
  }
  if (args.empty() || !targets().count(args[0]))
    return usage();
  auto fn = targets()[args[0]];
  size_t replayed = 0;
  auto replay = [&](const std::string& what, const std::string& bytes) {
    std::cerr << "replaying " << what << " (" << bytes.size() << " bytes)\n";
    fn(bytes);
    ++replayed;
  };
  for (size_t i = 1; i < args.size(); ++i) {
    std::error_code ec;
    if (args[i] == "--seeds") {
      auto seeds = seeds_of(args[0]);
      for (size_t k = 0; k < seeds.size(); ++k)
        replay("seed " + std::to_string(k), seeds[k]);
    } else if (fs::is_directory(args[i], ec)) {
      for (auto& e : fs::recursive_directory_iterator(args[i]))
        if (e.is_regular_file())
          replay(e.path().string(), read_file(e.path().string()));
    } else if (fs::is_regular_file(args[i], ec)) {
      replay(args[i], read_file(args[i]));
    } else {
      std::cerr << "fuzz_replay: no such input " << args[i] << "\n";
      return 2;
    }
  }
  std::cout << args[0] << ": " << replayed << " inputs replayed, no failure\n";
  return 0;
}
