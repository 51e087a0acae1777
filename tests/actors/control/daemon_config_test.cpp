// The TOML config: defaults, every section, clear errors with file and line, and the
// loopback-only rule for plain http.
#include "actors/control/daemon_config.hpp"
#include "actors/control/daemon.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace d1 {
namespace {

class daemon_config_test : public ::testing::Test {
protected:
  caf::expected<daemon_config> load(const std::string& text) {
    std::ofstream{path_} << text;
    return load_config(path_, true);
  }
  test::temp_dir dir_;
  std::string path_ = dir_ / "d1drive.toml";
};

TEST_F(daemon_config_test, reads_every_section) {
  auto cfg = load(R"(
base_url = "https://cn-stage.test.dataone.org/cn"
state_dir = "/srv/d1"
[network]
timeout_ms = 1234
max_retries = 5
[tls]
ca_file = "/etc/ssl/ca.pem"
[cache]
attr_memory_mb = 8
content_mb = 100
[cache.ttl]
search = 30
transient = 2
[cache.kernel_ttl]
search = 1.5
[log]
level = "debug"
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  EXPECT_EQ(cfg->base_url, "https://cn-stage.test.dataone.org/cn");
  EXPECT_EQ(cfg->state_dir, "/srv/d1");
  EXPECT_EQ(cfg->network.timeout_ms, 1234u);
  EXPECT_EQ(cfg->network.max_retries, 5u);
  EXPECT_EQ(cfg->ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(cfg->attr_cache_memory_bytes, 8ull << 20);
  EXPECT_EQ(cfg->content.max_bytes, 100ull << 20);
  EXPECT_EQ(cfg->ttl.search, 30);
  EXPECT_EQ(cfg->ttl.transient, 2);
  EXPECT_EQ(cfg->ttl.metadata, 3600);  // untouched default
  EXPECT_DOUBLE_EQ(cfg->kernel_ttl.search, 1.5);
  EXPECT_EQ(cfg->log_level, "debug");
  EXPECT_FALSE(validate(*cfg));
}

TEST_F(daemon_config_test, reads_streaming_and_byte_budget_settings) {
  auto cfg = load(R"(
state_dir = "/srv/d1"
[network]
stall_ms = 2500
[cache]
chunk_mb = 8
readahead_mb = 64
[crawl]
cold_burst_mb = 512
cold_mb_per_s = 16.5
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  EXPECT_EQ(cfg->network.stall_ms, 2500u);
  EXPECT_EQ(cfg->content.chunk_bytes, 8ull << 20);
  EXPECT_EQ(cfg->content.readahead_bytes, 64ull << 20);
  EXPECT_DOUBLE_EQ(cfg->crawl.cold_bytes_burst, 512.0 * (1 << 20));
  EXPECT_DOUBLE_EQ(cfg->crawl.cold_bytes_per_s, 16.5 * (1 << 20));
  EXPECT_FALSE(validate(*cfg));
  auto defaults = load("");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->network.stall_ms, 30000u);
  EXPECT_EQ(defaults->content.chunk_bytes, 4ull << 20);
  EXPECT_EQ(defaults->content.readahead_bytes, 32ull << 20);
  auto bad = load("state_dir = \"/srv/d1\"\n[cache]\nchunk_mb = 8\nreadahead_mb = 4\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(code_of(validate(*bad)), ec::invalid_argument);
  // A zero stall timeout is out of range where it is read, naming the key.
  auto no_stall = load("state_dir = \"/srv/d1\"\n[network]\nstall_ms = 0\n");
  ASSERT_FALSE(no_stall);
  EXPECT_EQ(code_of(no_stall.error()), ec::invalid_argument);
  EXPECT_NE(describe(no_stall.error()).find("network.stall_ms"), std::string::npos)
    << describe(no_stall.error());
}

TEST_F(daemon_config_test, reads_mobile_settings_and_host_roots_and_checks_their_range) {
  auto cfg = load(R"(
[mobile]
copy_workers = 4
hash_workers = 3
copy_batch_files = 1024
copy_batch_bytes = 1048576
max_active_jobs = 1
direct_reads = false
[hosts."dtn1"]
roots = ["/fast", "/archive"]
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  EXPECT_EQ(cfg->copy_workers, 4u);
  EXPECT_EQ(cfg->hash_workers, 3u);
  EXPECT_EQ(cfg->jobs.copy_batch_files, 1024u);
  EXPECT_EQ(cfg->jobs.copy_batch_bytes, 1048576u);
  EXPECT_EQ(cfg->jobs.max_active_jobs, 1u);
  EXPECT_FALSE(cfg->direct_reads);
  EXPECT_TRUE(daemon_config{}.direct_reads);
  ASSERT_EQ(cfg->host_roots.count("dtn1"), 1u);
  EXPECT_EQ(cfg->host_roots["dtn1"], (std::vector<std::string>{"/fast", "/archive"}));
  cfg->state_dir = "/tmp/x";
  EXPECT_FALSE(validate(*cfg));
  for (auto bad : {"copy_workers = 0", "hash_workers = 65", "copy_batch_files = 0",
                   "copy_batch_bytes = 0", "max_active_jobs = 0", "max_active_jobs = 65",
                   "direct_reads = 1"}) {
    auto loaded = load(std::string{"state_dir = \"/tmp/x\"\n[mobile]\n"} + bad + "\n");
    auto err = loaded ? validate(*loaded) : loaded.error();
    EXPECT_TRUE(err) << bad;
  }
}

TEST_F(daemon_config_test, reads_stage_parallel_and_checks_its_range) {
  auto cfg = load("[stage]\nparallel = 12\n");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  EXPECT_EQ(cfg->stage.parallel, 12u);
  EXPECT_EQ(daemon_config{}.stage.parallel, 4u);
  for (auto bad : {"parallel = 0", "parallel = 65", "parallel = \"4\"", "parralel = 4"})
    EXPECT_FALSE(load(std::string{"[stage]\n"} + bad + "\n")) << bad;
}

TEST_F(daemon_config_test, the_shipped_example_is_valid) {
  auto cfg = load_config(d1::test::source_dir() + "/config/d1drive.toml", true);
  ASSERT_TRUE(cfg) << describe(cfg.error());
  cfg->state_dir = "/tmp/x";
  EXPECT_FALSE(validate(*cfg));
}

TEST_F(daemon_config_test, errors_name_file_line_and_key) {
  auto unknown = load("base_url = \"https://x/cn\"\n[network]\ntimeout = 5\n");
  ASSERT_FALSE(unknown);
  auto text = describe(unknown.error());
  EXPECT_NE(text.find(path_ + ":3"), std::string::npos) << text;
  EXPECT_NE(text.find("network.timeout is not a known key"), std::string::npos) << text;
  auto wrong_type = load("[network]\ntimeout_ms = \"fast\"\n");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(describe(wrong_type.error()).find("must be an integer"), std::string::npos);
  auto syntax = load("base_url = \n");
  ASSERT_FALSE(syntax);
  EXPECT_NE(describe(syntax.error()).find(path_ + ":1"), std::string::npos)
    << describe(syntax.error());
  EXPECT_FALSE(load_config("/nonexistent/d1drive.toml", true));
  EXPECT_TRUE(load_config("/nonexistent/d1drive.toml", false));
}

TEST_F(daemon_config_test, numbers_out_of_range_are_errors_naming_the_key) {
  // Each of these once wrapped or overflowed silently: 4294968296 ms became 1000 ms,
  // content_mb << 20 wrapped to 0, a huge TTL overflowed an expiry time.
  struct bad_value {
    const char* toml;
    const char* key;
  };
  for (auto [toml, key] : {bad_value{"[network]\ntimeout_ms = 4294968296", "network.timeout_ms"},
                           bad_value{"[network]\nmax_retries = -1", "network.max_retries"},
                           bad_value{"[cache]\ncontent_mb = 17592186044416", "cache.content_mb"},
                           bad_value{"[cache.ttl]\nsearch = 9223372036854775807",
                                     "cache.ttl.search"},
                           bad_value{"[cache.kernel_ttl]\nsearch = nan", "cache.kernel_ttl.search"},
                           bad_value{"[crawl]\nrate_per_s = inf", "crawl.rate_per_s"},
                           bad_value{"[crawl]\nwindow_s = 0", "crawl.window_s"},
                           bad_value{"[faceted_search]\npage_size = 1.5", "faceted_search.page_size"},
                           bad_value{"[mobile]\ncopy_workers = 4294967297", "mobile.copy_workers"}}) {
    auto loaded = load(toml);
    ASSERT_FALSE(loaded) << toml;
    auto text = describe(loaded.error());
    EXPECT_NE(text.find(key), std::string::npos) << text;
  }
  auto fits = load("[network]\ntimeout_ms = 86400000\n[cache]\ncontent_mb = 1073741824\n");
  ASSERT_TRUE(fits) << describe(fits.error());
  EXPECT_EQ(fits->network.timeout_ms, 86'400'000u);
  EXPECT_EQ(fits->content.max_bytes, uint64_t{1} << 50);
}

TEST_F(daemon_config_test, flat_space_recent_objects_has_a_default_and_a_range) {
  auto plain = load("");
  ASSERT_TRUE(plain) << describe(plain.error());
  EXPECT_EQ(plain->flat_space.recent_objects, 100u);
  auto set = load("[flat_space]\nrecent_objects = 2500\n");
  ASSERT_TRUE(set) << describe(set.error());
  EXPECT_EQ(set->flat_space.recent_objects, 2500u);
  for (auto bad : {"[flat_space]\nrecent_objects = 0", "[flat_space]\nrecent_objects = 100001",
                   "[flat_space]\nrecent_objects = \"many\"", "[flat_space]\nrecents = 5"}) {
    auto loaded = load(bad);
    ASSERT_FALSE(loaded) << bad;
    EXPECT_NE(describe(loaded.error()).find("flat_space.recent"), std::string::npos)
      << describe(loaded.error());
  }
}

// The settings every mount actor gets from a daemon_config: a default one gives the values
// config/d1drive.toml documents, the shipped file gives the same, and an actor spawned
// alone (its config's own defaults) behaves as the daemon's.
TEST_F(daemon_config_test, the_daemon_spawns_its_actors_with_the_documented_defaults) {
  daemon_state state;
  state.content_dir = "/tmp/d1-content";  // validate wants one; nothing is created
  auto c = mount_configs_of(daemon_config{}, state);
  for (auto timeout : {c.nodes.timeout_ms, c.solr.timeout_ms, c.search.timeout_ms,
                       c.package.timeout_ms, c.objects.timeout_ms, c.status.timeout_ms,
                       c.resources.timeout_ms, c.gateway.timeout_ms})
    EXPECT_EQ(timeout, 15000u);
  for (auto retries : {c.nodes.max_retries, c.solr.max_retries, c.content.retries_per_location})
    EXPECT_EQ(retries, 2u);
  for (auto delay : {c.nodes.retry_base_delay_ms, c.solr.retry_base_delay_ms})
    EXPECT_EQ(delay, 200u);
  EXPECT_EQ(c.nodes.stall_ms, 30000u);
  EXPECT_EQ(c.http.connect_timeout_ms, 10000u);
  for (auto& url : {c.nodes.base_url, c.solr.base_url, c.status.base_url})
    EXPECT_EQ(url, "https://cn.dataone.org/cn");
  EXPECT_EQ(c.attrs.memory_budget, 64ull << 20);
  EXPECT_EQ(c.dirs.memory_budget, 128ull << 20);
  EXPECT_EQ(c.attrs.ttl.search, 600);
  EXPECT_EQ(c.dirs.ttl.metadata, 3600);
  EXPECT_EQ(c.content.max_bytes, 10ull << 30);
  EXPECT_EQ(c.content.chunk_bytes, 4ull << 20);
  EXPECT_EQ(c.content.readahead_bytes, 32ull << 20);
  EXPECT_EQ(c.flat_space.recent_objects, 100u);
  EXPECT_EQ(c.search.object_limit, 1000u);
  EXPECT_EQ(c.search.value_sort, "count");
  EXPECT_EQ(c.search.allow_fields, default_facet_fields());
  EXPECT_EQ(c.crawl.crawler_names, default_crawler_names());
  EXPECT_DOUBLE_EQ(c.crawl.burst, 40.0);
  EXPECT_DOUBLE_EQ(c.crawl.cold_bytes_burst, 8192.0 * (1 << 20));
  EXPECT_DOUBLE_EQ(c.crawl.cold_bytes_per_s, 64.0 * (1 << 20));
  EXPECT_FALSE(validate(c));

  auto jobs = daemon_config{}.jobs;
  EXPECT_EQ(jobs.copy_batch_files, 256u);
  EXPECT_EQ(jobs.copy_batch_bytes, 256ull << 20);
  EXPECT_EQ(jobs.max_active_jobs, 2u);
  EXPECT_EQ(jobs.file_retries, 3u);
  EXPECT_EQ(jobs.worker_timeout, std::chrono::seconds(120));
  EXPECT_EQ(jobs.scrub_every.count(), 0);
  EXPECT_EQ(jobs.scrub_rate, 50ull << 20);
  EXPECT_EQ(jobs.recheck, recheck_mode::stat);

  // The shipped file writes the defaults out: reading it changes nothing.
  auto shipped_cfg = load_config(d1::test::source_dir() + "/config/d1drive.toml", true);
  ASSERT_TRUE(shipped_cfg) << describe(shipped_cfg.error());
  auto shipped = mount_configs_of(*shipped_cfg, state);
  EXPECT_EQ(shipped.nodes.timeout_ms, c.nodes.timeout_ms);
  EXPECT_EQ(shipped.nodes.stall_ms, c.nodes.stall_ms);
  EXPECT_EQ(shipped.nodes.max_retries, c.nodes.max_retries);
  EXPECT_EQ(shipped.nodes.retry_base_delay_ms, c.nodes.retry_base_delay_ms);
  EXPECT_EQ(shipped.http.connect_timeout_ms, c.http.connect_timeout_ms);
  EXPECT_EQ(shipped.attrs.memory_budget, c.attrs.memory_budget);
  EXPECT_EQ(shipped.dirs.memory_budget, c.dirs.memory_budget);
  EXPECT_EQ(shipped.attrs.ttl.metadata, c.attrs.ttl.metadata);
  EXPECT_EQ(shipped.attrs.ttl.search, c.attrs.ttl.search);
  EXPECT_EQ(shipped.attrs.ttl.error, c.attrs.ttl.error);
  EXPECT_EQ(shipped.attrs.ttl.transient, c.attrs.ttl.transient);
  EXPECT_EQ(shipped.content.max_bytes, c.content.max_bytes);
  EXPECT_EQ(shipped.content.chunk_bytes, c.content.chunk_bytes);
  EXPECT_EQ(shipped.content.readahead_bytes, c.content.readahead_bytes);
  EXPECT_EQ(shipped.flat_space.recent_objects, c.flat_space.recent_objects);
  EXPECT_EQ(shipped.search.object_limit, c.search.object_limit);
  EXPECT_EQ(shipped.search.page_size, c.search.page_size);
  EXPECT_EQ(shipped.search.value_limit, c.search.value_limit);
  EXPECT_EQ(shipped.search.allow_fields, c.search.allow_fields);
  EXPECT_EQ(shipped.crawl.enabled, c.crawl.enabled);
  EXPECT_DOUBLE_EQ(shipped.crawl.rate_per_s, c.crawl.rate_per_s);
  EXPECT_DOUBLE_EQ(shipped.crawl.burst, c.crawl.burst);
  EXPECT_EQ(shipped.crawl.depth_first_threshold, c.crawl.depth_first_threshold);
  EXPECT_EQ(shipped.crawl.window_s, c.crawl.window_s);
  EXPECT_EQ(shipped.crawl.cooldown_s, c.crawl.cooldown_s);
  EXPECT_DOUBLE_EQ(shipped.crawl.cold_bytes_burst, c.crawl.cold_bytes_burst);
  EXPECT_DOUBLE_EQ(shipped.crawl.cold_bytes_per_s, c.crawl.cold_bytes_per_s);
  auto& sj = shipped_cfg->jobs;
  EXPECT_EQ(sj.copy_batch_files, jobs.copy_batch_files);
  EXPECT_EQ(sj.copy_batch_bytes, jobs.copy_batch_bytes);
  EXPECT_EQ(sj.max_active_jobs, jobs.max_active_jobs);
  EXPECT_EQ(sj.file_retries, jobs.file_retries);
  EXPECT_EQ(sj.worker_timeout, jobs.worker_timeout);
  EXPECT_EQ(sj.scrub_rate, jobs.scrub_rate);
  EXPECT_EQ(sj.recheck, jobs.recheck);

  // An actor spawned alone, with its config's own defaults, gets the same settings.
  EXPECT_EQ(node_client_config{}.timeout_ms, c.nodes.timeout_ms);
  EXPECT_EQ(node_client_config{}.retry_base_delay_ms, c.nodes.retry_base_delay_ms);
  EXPECT_EQ(solr_querier_config{}.timeout_ms, c.solr.timeout_ms);
  EXPECT_EQ(solr_querier_config{}.retry_base_delay_ms, c.solr.retry_base_delay_ms);
  EXPECT_EQ(fs_gateway_config{}.timeout_ms, c.gateway.timeout_ms);
  EXPECT_EQ(content_cache_config{}.max_bytes, c.content.max_bytes);
}

TEST_F(daemon_config_test, mobile_recheck_and_durations_are_read_into_the_job_manager_config) {
  auto cfg = load("[mobile]\nrecheck = \"hash\"\nworker_timeout_s = 30\nscrub_every = \"12h\"\n"
                  "scrub_rate_mb_s = 7\n");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  EXPECT_EQ(cfg->jobs.recheck, recheck_mode::hash);
  EXPECT_EQ(cfg->jobs.worker_timeout, std::chrono::seconds(30));
  EXPECT_EQ(cfg->jobs.scrub_every, std::chrono::hours(12));
  EXPECT_EQ(cfg->jobs.scrub_rate, 7ull << 20);
  auto bad = load("[mobile]\nrecheck = \"md5\"\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(describe(bad.error()).find("mobile.recheck"), std::string::npos)
    << describe(bad.error());
}

TEST_F(daemon_config_test, plain_http_only_on_loopback) {
  daemon_config cfg;
  cfg.state_dir = "/tmp/x";
  for (auto url : {"http://127.0.0.1:8080/cn", "http://localhost/cn", "http://[::1]:80/cn",
                   "http://127.1.2.3/cn", "https://cn.dataone.org/cn"}) {
    cfg.base_url = url;
    EXPECT_FALSE(validate(cfg)) << url;
  }
  for (auto url : {"http://cn.dataone.org/cn", "http://127.0.0.1.evil.org/cn",
                   "http://user@10.0.0.1/cn", "ftp://127.0.0.1/cn", "cn.dataone.org"}) {
    cfg.base_url = url;
    auto err = validate(cfg);
    EXPECT_TRUE(err) << url;
  }
  cfg.base_url = "https://cn.dataone.org/cn";
  cfg.log_level = "loud";
  EXPECT_TRUE(validate(cfg));
}

}  // namespace
}  // namespace d1
