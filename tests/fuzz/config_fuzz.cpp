// Fuzz target: the TOML configuration (actors/control/daemon_config.hpp), which an operator
// writes by hand. Whatever it reads must pass the range checks of every key.
#include "actors/control/daemon_config.hpp"
#include "tests/fuzz/fuzz_target.hpp"

D1_FUZZ_TARGET(config) {
  auto cfg = d1::parse_config(input, "fuzz.toml");
  if (!cfg)
    return;
  static_cast<void>(d1::validate(*cfg));
  using d1::fuzz::check;
  check(cfg->network.timeout_ms > 0 && cfg->network.connect_timeout_ms > 0
          && cfg->network.download_timeout_ms > 0,
        "a zero timeout was accepted");
  check(cfg->content.max_bytes > 0, "a content cache of 0 bytes was accepted");
  check(cfg->ttl.metadata >= 0 && cfg->ttl.search >= 0 && cfg->ttl.error >= 0
          && cfg->ttl.transient >= 0,
        "a negative TTL was accepted");
  check(cfg->crawl.burst >= 1 && cfg->crawl.rate_per_s >= 0, "crawl limits out of range");
}

// The shipped configuration files (read in place) and the keys the tests set.
D1_FUZZ_SEEDS(config) {
  std::vector<std::string> seeds;
  for (auto* name : {"/config/d1drive.toml", "/config/searches.example.toml"})
    seeds.push_back(d1::fuzz::read_file(std::string{D1_SOURCE_DIR} + name));
  seeds.push_back(R"(base_url = "http://127.0.0.1:8080/cn"
state_dir = "/srv/d1"
[network]
timeout_ms = 1234
max_retries = 5
[cache]
attr_memory_mb = 8
content_mb = 100
[cache.ttl]
search = 30
[cache.kernel_ttl]
search = 1.5
[crawl]
rate_per_s = 2.5
crawler_names = ["updatedb", "find"]
[[search]]
name = "csv"
fq = ["formatId:text/csv"]
[hosts."dtn1"]
roots = ["/fast", "/archive"]
[mobile]
copy_workers = 4
direct_reads = false
)");
  return seeds;
}
