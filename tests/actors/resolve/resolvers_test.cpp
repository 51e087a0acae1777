// Deterministic tests of the resolver chain root → flat_space → d1_object →
// science_object, with fake node_client and solr_querier actors that count requests.
#include "actors/resolve/d1_object.hpp"
#include "actors/resolve/flat_space.hpp"
#include "actors/resolve/root.hpp"
#include "actors/resolve/science_object.hpp"
#include "messages/error.hpp"
#include "messages/path_codec.hpp"
#include "storage/lmdb_store.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"

#include <map>
#include <memory>

namespace d1::test {
namespace {

// What the fake CN knows, and how often it was asked.
struct fake_cn {
  std::map<std::string, system_metadata> meta;
  std::map<std::string, solr_record> records;
  std::vector<object_format> formats{{"text/csv", "CSV", "DATA", "text/csv", "csv"},
                                     {"eml://ecoinformatics.org/eml-2.1.0", "EML", "METADATA",
                                      "text/xml", "xml"}};
  bool silent = false;  // never answer: the caller's timeout must fire
  std::vector<caf::typed_response_promise<system_metadata>> held;  // never delivered
  int meta_requests = 0;
  int record_requests = 0;
};

node_client_actor::behavior_type fake_node_client(node_client_actor::pointer self,
                                                  std::shared_ptr<fake_cn> cn) {
  return {
    [=](meta_atom, const std::string& pid) -> caf::result<system_metadata> {
      ++cn->meta_requests;
      if (cn->silent) {
        cn->held.push_back(self->make_response_promise<system_metadata>());
        return cn->held.back();
      }
      auto i = cn->meta.find(pid);
      if (i == cn->meta.end())
        return make_error(ec::not_found, "NotFound (404): no " + pid);
      return i->second;
    },
    [=](resolve_atom, const std::string&) -> caf::result<std::vector<object_location>> {
      return std::vector<object_location>{};
    },
    [=](formats_atom) -> caf::result<std::vector<object_format>> { return cn->formats; },
    [=](nodes_atom) -> caf::result<std::vector<node_description>> {
      return std::vector<node_description>{};
    },
    [=](fetch_atom, const object_location&, uint64_t, uint64_t,
        const body_sink_ptr&) -> caf::result<uint64_t> {
      return make_error(ec::network, "not in this test");
    },
  };
}

solr_querier_actor::behavior_type fake_solr(solr_querier_actor::pointer,
                                            std::shared_ptr<fake_cn> cn) {
  return {
    [=](select_atom, const solr_query&) -> caf::result<solr_response> {
      return solr_response{};
    },
    [=](record_atom, const std::string& pid) -> caf::result<solr_record> {
      ++cn->record_requests;
      auto i = cn->records.find(pid);
      if (i == cn->records.end())
        return make_error(ec::not_found, "no record");
      return i->second;
    },
    [=](fields_atom) -> caf::result<std::vector<query_field>> {
      return make_error(ec::not_found, "not in this test");
    },
    [=](stats_atom) -> caf::result<solr_querier_stats> { return solr_querier_stats{}; },
  };
}

system_metadata meta_of(const std::string& pid, const std::string& format, uint64_t size) {
  system_metadata m;
  m.identifier = pid;
  m.format_id = format;
  m.size = size;
  m.checksum = {"MD5", "0123456789abcdef0123456789abcdef"};
  m.date_uploaded = "2012-12-05T00:00:00.000+00:00";
  m.xml = "<systemMetadata>" + pid + "</systemMetadata>";
  return m;
}

class resolvers_test : public actor_fixture {
protected:
  resolvers_test() : cn_(std::make_shared<fake_cn>()) {
    cn_->meta["cbfs.38.9"] = meta_of("cbfs.38.9", "text/csv", 756);
    cn_->records["cbfs.38.9"] = solr_record{{solr_field{"id", {"cbfs.38.9"}},
                                             solr_field{"formatType", {"DATA"}},
                                             solr_field{"keywords", {"a", "b"}}}};
    cn_->meta["doi:10.1/x y"] = meta_of("doi:10.1/x y", "text/csv", 10);
    cn_->records["doi:10.1/x y"] = solr_record{{solr_field{"id", {"doi:10.1/x y"}},
                                                solr_field{"fileName", {"data.csv"}}}};
    cn_->meta["unindexed"] = meta_of("unindexed", "eml://ecoinformatics.org/eml-2.1.0", 5);
    nodes_ = sys_.spawn(fake_node_client, cn_);
    solr_ = sys_.spawn(fake_solr, cn_);
    science_ = sys_.spawn(science_object);
    d1_object_config cfg;
    cfg.timeout_ms = 1000;
    objects_ = sys_.spawn(d1_object, cfg, nodes_, solr_, science_);
    flat_space_config flat_cfg;
    flat_cfg.recent_objects = 3;
    flat_ = sys_.spawn(flat_space, flat_cfg, objects_);
    root_ = sys_.spawn(root, flat_);
    run();
  }

  ~resolvers_test() override {
    for (auto a : {caf::actor_cast<caf::actor>(root_), caf::actor_cast<caf::actor>(flat_),
                   caf::actor_cast<caf::actor>(objects_), caf::actor_cast<caf::actor>(science_),
                   caf::actor_cast<caf::actor>(solr_), caf::actor_cast<caf::actor>(nodes_)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  caf::expected<node_info> attr(std::vector<std::string> segments) {
    return request<node_info>(root_, get_attr_atom::value,
                              resolve_request{std::move(segments), 0, 1});
  }

  caf::expected<listing> dir(std::vector<std::string> segments) {
    return request<listing>(root_, get_dir_atom::value,
                            resolve_request{std::move(segments), 0, 1});
  }

  static std::vector<std::string> names(const listing& l) {
    std::vector<std::string> out;
    for (auto& e : l.entries)
      out.push_back(e.name);
    return out;
  }

  std::shared_ptr<fake_cn> cn_;
  node_client_actor nodes_;
  solr_querier_actor solr_;
  object_resolver_actor science_;
  d1_object_actor objects_;
  resolver_actor flat_;
  resolver_actor root_;
};

TEST_F(resolvers_test, root_lists_flat_space_and_rejects_unknown_names) {
  auto l = dir({});
  ASSERT_TRUE(l);
  EXPECT_EQ(names(*l), std::vector<std::string>{"FlatSpace"});
  auto bad = attr({"Nope"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), ec::not_found);
}

TEST_F(resolvers_test, object_folder_has_bytes_system_xml_and_search_fields) {
  auto l = dir({"FlatSpace", "cbfs.38.9"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l),
            (std::vector<std::string>{"cbfs.38.9.csv", "system.xml", "search_fields.txt"}));
  auto& bytes = l->entries[0].info;
  EXPECT_EQ(bytes.content, content_kind::object_bytes);
  EXPECT_EQ(bytes.size, 756u);
  EXPECT_EQ(bytes.cache, cache_class::immutable);
  EXPECT_EQ(bytes.object().checksum_algorithm, "MD5");
  EXPECT_EQ(bytes.mtime, 1354665600);  // 2012-12-05T00:00:00Z
  EXPECT_EQ(l->entries[1].info.text(), "<systemMetadata>cbfs.38.9</systemMetadata>");
  EXPECT_EQ(l->entries[2].info.text(),
            "id: cbfs.38.9\nformatType: DATA\nkeywords: a\nkeywords: b\n");
  auto file = attr({"FlatSpace", "cbfs.38.9", "system.xml"});
  ASSERT_TRUE(file);
  EXPECT_EQ(file->kind, entry_kind::file);
  EXPECT_FALSE(attr({"FlatSpace", "cbfs.38.9", "other.txt"}));
}

TEST_F(resolvers_test, file_name_comes_from_solr_then_pid_plus_extension) {
  auto named = dir({"FlatSpace", "doi:10.1%2Fx y"});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->entries[0].name, "data.csv");
  auto unindexed = dir({"FlatSpace", "unindexed"});
  ASSERT_TRUE(unindexed);
  EXPECT_EQ(unindexed->entries[0].name, "unindexed.xml");
  EXPECT_NE(unindexed->entries[2].info.text().find("no record"), std::string::npos);
}

TEST_F(resolvers_test, descriptor_is_fetched_once_for_many_requests) {
  // Three requests in flight at once, then more after: one meta and one record request.
  for (int i = 0; i < 3; ++i)
    self_->send(caf::actor_cast<caf::actor>(root_), get_attr_atom::value,
                resolve_request{{"FlatSpace", "cbfs.38.9"}, 0, 1});
  run();
  int replies = 0;
  for (int i = 0; i < 3; ++i)
    self_->receive([&](node_info&) { ++replies; }, [&](caf::error&) {},
                   caf::after(std::chrono::seconds(0)) >> [] {});
  EXPECT_EQ(replies, 3);
  ASSERT_TRUE(dir({"FlatSpace", "cbfs.38.9"}));
  EXPECT_EQ(cn_->meta_requests, 1);
  EXPECT_EQ(cn_->record_requests, 1);
}

TEST_F(resolvers_test, unknown_pid_is_a_permanent_error_folder) {
  auto a = attr({"FlatSpace", "missing"});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_dir());
  EXPECT_EQ(a->cache, cache_class::error);
  auto l = dir({"FlatSpace", "missing"});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->entries[0].name, "Not found - object 'missing'");
  auto f = attr({"FlatSpace", "missing", l->entries[0].name});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->content, content_kind::inline_text);
  EXPECT_NE(f->text().find("NotFound (404)"), std::string::npos) << f->text();
  // The listing right after the lookup reused the failure: one meta request in all.
  EXPECT_EQ(cn_->meta_requests, 1);
}

TEST_F(resolvers_test, silent_node_gives_a_transient_error_folder_after_the_timeout) {
  cn_->silent = true;
  self_->send(caf::actor_cast<caf::actor>(root_), get_dir_atom::value,
              resolve_request{{"FlatSpace", "cbfs.38.9"}, 0, 1});
  run();
  advance(std::chrono::milliseconds(1001));
  std::optional<listing> l;
  self_->receive([&](listing& x) { l = x; }, [&](caf::error&) {},
                 caf::after(std::chrono::seconds(0)) >> [] {});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->cache, cache_class::transient);
  EXPECT_NE(l->entries[0].name.find("Timed out"), std::string::npos) << l->entries[0].name;
}

TEST_F(resolvers_test, malformed_segment_is_an_invalid_path_folder) {
  auto l = dir({"FlatSpace", "bad%zz"});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_NE(l->entries[0].name.find("Invalid path"), std::string::npos);
  EXPECT_EQ(cn_->meta_requests, 0);
}

TEST_F(resolvers_test, flat_space_lists_recently_visited_objects_only) {
  ASSERT_TRUE(attr({"FlatSpace", "missing"}));
  ASSERT_TRUE(attr({"FlatSpace", "cbfs.38.9"}));
  ASSERT_TRUE(attr({"FlatSpace", "doi:10.1%2Fx y"}));
  auto l = dir({"FlatSpace"});
  ASSERT_TRUE(l);
  EXPECT_EQ(names(*l), (std::vector<std::string>{"doi:10.1%2Fx y", "cbfs.38.9"}));
  EXPECT_EQ(l->cache, cache_class::live);
}

TEST_F(resolvers_test, data_folder_shows_the_metadata_documents_that_describe_it) {
  auto eml = meta_of("eml.1", "eml://ecoinformatics.org/eml-2.1.0", 321);
  eml.checksum = {"SHA-1", "00112233445566778899aabbccddeeff00112233"};
  eml.date_uploaded = "2013-01-01T00:00:00Z";
  cn_->meta["eml.1"] = eml;
  cn_->records["eml.1"] = solr_record{{solr_field{"id", {"eml.1"}},
                                       solr_field{"formatType", {"METADATA"}},
                                       solr_field{"fileName", {"eml.xml"}}}};
  // A second document whose file name is the data's own: listed under its PID instead.
  cn_->meta["eml.2"] = meta_of("eml.2", "text/csv", 7);
  cn_->records["eml.2"] = solr_record{{solr_field{"id", {"eml.2"}},
                                       solr_field{"fileName", {"data.csv"}}}};
  cn_->records["doi:10.1/x y"].fields.push_back(solr_field{"formatType", {"DATA"}});
  cn_->records["doi:10.1/x y"].fields.push_back(
    solr_field{"isDocumentedBy", {"eml.1", "eml.2", "doi:10.1/x y", "eml.1"}});
  auto l = dir({"FlatSpace", "doi:10.1%2Fx y"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), (std::vector<std::string>{"data.csv", "system.xml", "search_fields.txt",
                                                 "eml.xml", "eml.2"}));
  EXPECT_EQ(l->cache, cache_class::immutable);
  auto& doc = l->entries[3].info;
  EXPECT_EQ(doc.content, content_kind::object_bytes);
  EXPECT_EQ(doc.object(), (object_ref{"eml.1", 321, "SHA-1",
                                      "00112233445566778899aabbccddeeff00112233"}));
  EXPECT_EQ(doc.size, 321u);
  EXPECT_EQ(doc.mtime, 1356998400);  // 2013-01-01T00:00:00Z, the document's own date
  auto file = attr({"FlatSpace", "doi:10.1%2Fx y", "eml.xml"});
  ASSERT_TRUE(file) << sys_.render(file.error());
  EXPECT_EQ(*file, doc);
  // The metadata object's own folder lists no documents of its own.
  auto own = dir({"FlatSpace", "eml.1"});
  ASSERT_TRUE(own);
  EXPECT_EQ(names(*own), (std::vector<std::string>{"eml.xml", "system.xml", "search_fields.txt"}));
}

TEST_F(resolvers_test, a_document_that_cannot_be_resolved_is_left_out_for_now) {
  cn_->records["cbfs.38.9"].fields.push_back(solr_field{"isDocumentedBy", {"gone.1"}});
  auto l = dir({"FlatSpace", "cbfs.38.9"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l),
            (std::vector<std::string>{"cbfs.38.9.csv", "system.xml", "search_fields.txt"}));
  EXPECT_EQ(l->cache, cache_class::metadata) << "a listing missing a document is asked again";
}

// FlatSpace over a real LMDB environment, spawned again on the same one ("restart").
class flat_space_restart_test : public resolvers_test {
protected:
  std::shared_ptr<storage::kv_store> store() {
    if (!store_) {
      storage::environment_options opts;
      opts.durable = false;
      opts.map_size = 1 << 20;
      auto s = storage::lmdb_store::open(dir_.path(), opts);
      EXPECT_TRUE(s) << describe(s.error());
      if (s)
        store_ = *s;
    }
    return store_;
  }

  // Stops the FlatSpace of the fixture and spawns a new one on the same store.
  void restart_flat_space(size_t recent) {
    caf::anon_send_exit(flat_, caf::exit_reason::user_shutdown);
    run();
    flat_space_config cfg;
    cfg.recent_objects = recent;
    cfg.store = store();
    flat_ = sys_.spawn(flat_space, cfg, objects_);
    caf::anon_send_exit(root_, caf::exit_reason::user_shutdown);
    root_ = sys_.spawn(root, flat_);
    run();
  }

  temp_dir dir_;
  std::shared_ptr<storage::kv_store> store_;
};

TEST_F(flat_space_restart_test, recent_objects_survive_a_restart_in_order_and_bounded) {
  restart_flat_space(3);
  ASSERT_TRUE(attr({"FlatSpace", "cbfs.38.9"}));
  ASSERT_TRUE(attr({"FlatSpace", "unindexed"}));
  ASSERT_TRUE(attr({"FlatSpace", "doi:10.1%2Fx y"}));
  restart_flat_space(3);
  auto l = dir({"FlatSpace"});
  ASSERT_TRUE(l);
  EXPECT_EQ(names(*l), (std::vector<std::string>{"doi:10.1%2Fx y", "unindexed", "cbfs.38.9"}));
  EXPECT_EQ(l->entries[2].info.mtime, 1354665600) << "the folder's date is kept too";
  // A smaller bound keeps the most recent ones.
  restart_flat_space(2);
  l = dir({"FlatSpace"});
  ASSERT_TRUE(l);
  EXPECT_EQ(names(*l), (std::vector<std::string>{"doi:10.1%2Fx y", "unindexed"}));
}

TEST_F(flat_space_restart_test, a_shortened_name_resolves_after_a_restart) {
  std::string pid = "doi:10.1/" + std::string(300, 'z');
  cn_->meta[pid] = meta_of(pid, "text/csv", 3);
  restart_flat_space(3);
  // The only way to a shortened name: a listing that shows it.
  long_name_map{store(), 10}.name_for(escape_segment(pid));
  auto name = shorten_segment(escape_segment(pid));
  restart_flat_space(3);
  auto l = dir({"FlatSpace", name});
  ASSERT_TRUE(l) << sys_.render(l.error());
  ASSERT_EQ(l->entries.size(), 3u) << l->entries[0].name;
  EXPECT_EQ(l->entries[1].name, "system.xml");
  EXPECT_EQ(l->entries[1].info.text(), "<systemMetadata>" + pid + "</systemMetadata>");
}

TEST_F(flat_space_restart_test, an_invalid_bound_stops_the_actor_with_an_error) {
  flat_space_config cfg;
  cfg.recent_objects = 0;
  EXPECT_TRUE(validate(cfg));
  cfg.recent_objects = max_recent_objects + 1;
  EXPECT_TRUE(validate(cfg));
  cfg.recent_objects = max_recent_objects;
  EXPECT_FALSE(validate(cfg));
}

}  // namespace
}  // namespace d1::test
