// Deterministic tests of faceted_search and preconfigured_search with a fake solr_querier
// (a small in-memory index that filters, facets and pages with cursor marks, and answers
// the fields of its description) and a fake d1_object that records what it was handed.
#include "actors/resolve/faceted_search.hpp"
#include "tests/support/test_paths.hpp"
#include "actors/resolve/preconfigured_search.hpp"
#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/path_codec.hpp"
#include "tests/support/actor_fixture.hpp"

#include <caf/event_based_actor.hpp>

#include <algorithm>
#include <map>
#include <memory>

namespace d1::test {
namespace {

// The fake index and what it was asked.
struct fake_index {
  std::vector<solr_record> docs;  // in id order
  std::vector<solr_query> queries;
  bool hold = false;  // keep every reply until release()
  bool fail = false;  // answer every select with an HTTP error
  std::vector<std::pair<caf::typed_response_promise<solr_response>, solr_response>> held;
  std::vector<std::pair<std::string, std::string>> object_requests;  // pid, next segment
  std::vector<query_field> description;  // the fields the querier answers
  size_t description_failures = 0;       // asks for the fields that fail before one answers
  size_t description_asks = 0;

  void add(const std::string& id, std::vector<solr_field> fields) {
    fields.insert(fields.begin(), solr_field{"id", {id}});
    docs.push_back(solr_record{std::move(fields)});
    std::sort(docs.begin(), docs.end(),
              [](auto& a, auto& b) { return a.first("id") < b.first("id"); });
  }
};

// Reads `field:"value"` as solr_field_query writes it.
std::pair<std::string, std::string> parse_fq(const std::string& fq) {
  auto colon = fq.find(':');
  std::string value;
  for (size_t i = colon + 2; i + 1 < fq.size(); ++i) {
    if (fq[i] == '\\')
      ++i;
    value += fq[i];
  }
  return {fq.substr(0, colon), value};
}

solr_response answer(const fake_index& idx, const solr_query& q) {
  std::vector<const solr_record*> match;
  for (auto& d : idx.docs) {
    bool ok = true;
    for (auto& fq : q.fq) {
      auto [field, value] = parse_fq(fq);
      auto values = d.all(field);
      ok = ok && std::find(values.begin(), values.end(), value) != values.end();
    }
    if (ok)
      match.push_back(&d);
  }
  solr_response r;
  r.num_found = match.size();
  size_t from = q.cursor_mark.empty() || q.cursor_mark == "*" ? q.start
                                                               : std::stoul(q.cursor_mark);
  size_t to = std::min(match.size(), from + q.rows);
  for (size_t i = from; i < to; ++i)
    r.docs.push_back(*match[i]);
  if (!q.cursor_mark.empty())
    r.next_cursor_mark = to == from ? q.cursor_mark : std::to_string(to);
  for (auto& field : q.facet_fields) {
    std::map<std::string, uint64_t> counts;
    for (auto* d : match)
      for (auto& v : d->all(field))
        ++counts[v];
    facet_field_counts fc{field, {}};
    for (auto& [v, n] : counts)
      if (n >= q.facet_mincount)
        fc.counts.push_back(facet_count{v, n});
    if (q.facet_sort != "index")
      std::stable_sort(fc.counts.begin(), fc.counts.end(),
                       [](auto& a, auto& b) { return a.count > b.count; });
    if (q.facet_limit >= 0 && fc.counts.size() > size_t(q.facet_limit))
      fc.counts.resize(q.facet_limit);
    r.facets.push_back(fc);
  }
  return r;
}

// Untyped so that it can take (tick_atom): deliver the held replies from inside the actor.
caf::behavior fake_solr(caf::event_based_actor* self, std::shared_ptr<fake_index> idx) {
  return {
    [=](tick_atom) {
      for (auto& [rp, r] : idx->held)
        rp.deliver(r);
      idx->held.clear();
    },
    [=](select_atom, const solr_query& q) -> caf::result<solr_response> {
      idx->queries.push_back(q);
      if (idx->fail)
        return make_error(ec::http_status, "HTTP 500 from the fake index");
      auto r = answer(*idx, q);
      if (!idx->hold)
        return r;
      idx->held.emplace_back(self->make_response_promise<solr_response>(), r);
      return idx->held.back().first;
    },
    [=](record_atom, const std::string&) -> caf::result<solr_record> {
      return make_error(ec::not_found, "not in this test");
    },
    [=](fields_atom) -> caf::result<std::vector<query_field>> {
      if (++idx->description_asks <= idx->description_failures)
        return make_error(ec::http_status, "HTTP 503 from the fake description");
      return idx->description;
    },
    [=](stats_atom) -> caf::result<solr_querier_stats> { return solr_querier_stats{}; },
  };
}

// Answers every object path with a marker, recording the PID and the rest of the path.
d1_object_actor::behavior_type fake_objects(d1_object_actor::pointer,
                                            std::shared_ptr<fake_index> idx) {
  auto rest = [](const resolve_request& req) {
    return req.remaining() ? req.current() : std::string{};
  };
  return {
    [=](get_attr_atom, const std::string& pid, const resolve_request& req)
      -> caf::result<node_info> {
      idx->object_requests.emplace_back(pid, rest(req));
      node_info info;
      info.cache = cache_class::immutable;
      return info;
    },
    [=](get_dir_atom, const std::string& pid, const resolve_request& req)
      -> caf::result<listing> {
      idx->object_requests.emplace_back(pid, rest(req));
      listing l;
      l.cache = cache_class::immutable;
      l.entries.push_back(dir_entry{"object " + pid, node_info{}});
      return l;
    },
    [=](get_atom, const std::string&) -> caf::result<object_descriptor> {
      return make_error(ec::not_found, "not in this test");
    },
  };
}

std::vector<query_field> fields_of(std::vector<std::string> names) {
  std::vector<query_field> out;
  for (auto& n : names)
    out.push_back(query_field{n, "string", true, true, true, ""});
  return out;
}

class faceted_search_test : public actor_fixture {
protected:
  faceted_search_test() : idx_(std::make_shared<fake_index>()) {
    idx_->add("a.1", {{"formatId", {"text/csv"}}, {"keywords", {"oak", "acorn"}}});
    idx_->add("a.2", {{"formatId", {"text/csv"}},
                      {"keywords", {"oak"}},
                      {"dateUploaded", {"2013-05-06T07:08:09.123Z"}}});
    idx_->add("b/1", {{"formatId", {"eml"}}, {"keywords", {"acorn"}}});
    idx_->add("c.1", {{"formatId", {"text/csv"}}});
    idx_->add("d.1", {{"formatId", {"image/tiff"}}, {"keywords", {"x/y"}}});
    config_.fields = fields_of({"formatId", "keywords", "origin", "checksum"});
    config_.allow_fields = {"formatId", "keywords", "origin"};
    config_.timeout_ms = 1000;
    solr_ = caf::actor_cast<solr_querier_actor>(sys_.spawn(fake_solr, idx_));
    objects_ = sys_.spawn(fake_objects, idx_);
  }

  ~faceted_search_test() override {
    for (auto a : {caf::actor_cast<caf::actor>(faceted_), caf::actor_cast<caf::actor>(pre_),
                   caf::actor_cast<caf::actor>(solr_), caf::actor_cast<caf::actor>(objects_)})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  void start() {
    faceted_ = sys_.spawn(faceted_search, config_, solr_, objects_);
    run();
  }

  static resolve_request path(std::vector<std::string> below) {
    below.insert(below.begin(), "FacetedSearch");
    return resolve_request{std::move(below), 1, 1};
  }

  caf::expected<listing> dir(std::vector<std::string> below) {
    return request<listing>(faceted_, get_dir_atom::value, path(std::move(below)));
  }

  caf::expected<node_info> attr(std::vector<std::string> below) {
    return request<node_info>(faceted_, get_attr_atom::value, path(std::move(below)));
  }

  static std::vector<std::string> names(const listing& l) {
    std::vector<std::string> out;
    for (auto& e : l.entries)
      out.push_back(e.name);
    return out;
  }

  std::shared_ptr<fake_index> idx_;
  faceted_search_config config_;
  solr_querier_actor solr_;
  d1_object_actor objects_;
  faceted_search_actor faceted_;
  resolver_actor pre_;
};

TEST_F(faceted_search_test, search_root_lists_fields_then_objects) {
  start();
  auto l = dir({});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), (std::vector<std::string>{"@formatId", "@keywords", "@origin", "a.1",
                                                 "a.2", "b%2F1", "c.1", "d.1"}));
  EXPECT_EQ(l->cache, cache_class::search);
  for (auto& e : l->entries)
    EXPECT_TRUE(e.info.is_dir());
  ASSERT_EQ(idx_->queries.size(), 1u);
  EXPECT_EQ(idx_->queries[0].sort, "id asc");
  EXPECT_EQ(idx_->queries[0].cursor_mark, "*");
  EXPECT_EQ(idx_->queries[0].fl, (std::vector<std::string>{"id", "dateUploaded"}));
  // An object folder carries its upload date (2013-05-06T07:08:09Z); unknown: 0.
  EXPECT_EQ(l->entries[4].info.mtime, 1367824089);
  EXPECT_EQ(l->entries[3].info.mtime, 0);
}

TEST_F(faceted_search_test, field_folder_lists_values_with_counts_escaped) {
  start();
  auto l = dir({"@keywords"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), (std::vector<std::string>{"#acorn", "#oak", "#x%2Fy"}));
  EXPECT_EQ(l->entries[0].info.size, 2u);
  EXPECT_EQ(l->entries[2].info.size, 1u);
  auto by_count = dir({"@formatId"});
  ASSERT_TRUE(by_count);
  EXPECT_EQ(names(*by_count)[0], "#text%2Fcsv");
  EXPECT_EQ(by_count->entries[0].info.size, 3u);
  auto& q = idx_->queries.back();
  EXPECT_EQ(q.rows, 0u);
  EXPECT_EQ(q.facet_fields, std::vector<std::string>{"formatId"});
  EXPECT_EQ(q.facet_mincount, 1u);
  EXPECT_EQ(q.facet_sort, "count");
}

TEST_F(faceted_search_test, nested_facets_filter_and_drop_applied_fields) {
  start();
  auto l = dir({"@formatId", "#text%2Fcsv"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), (std::vector<std::string>{"@keywords", "@origin", "a.1", "a.2", "c.1"}));
  auto deeper = dir({"@formatId", "#text%2Fcsv", "@keywords", "#acorn"});
  ASSERT_TRUE(deeper);
  EXPECT_EQ(names(*deeper), (std::vector<std::string>{"@origin", "a.1"}));
  EXPECT_EQ(idx_->queries.back().fq,
            (std::vector<std::string>{"formatId:\"text/csv\"", "keywords:\"acorn\""}));
  auto values = dir({"@formatId", "#text%2Fcsv", "@keywords"});
  ASSERT_TRUE(values);
  EXPECT_EQ(names(*values), (std::vector<std::string>{"#oak", "#acorn"}));
  auto a = attr({"@formatId", "#text%2Fcsv", "@keywords", "#oak"});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_dir());
}

TEST_F(faceted_search_test, object_path_drops_the_facets_and_runs_no_search) {
  start();
  auto l = dir({"@formatId", "#eml", "@keywords", "#nothing", "b%2F1"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), std::vector<std::string>{"object b/1"});
  auto a = attr({"@formatId", "#eml", "b%2F1", "system.xml"});
  ASSERT_TRUE(a);
  EXPECT_TRUE(idx_->queries.empty());
  ASSERT_EQ(idx_->object_requests.size(), 2u);
  EXPECT_EQ(idx_->object_requests[0], (std::pair<std::string, std::string>{"b/1", ""}));
  EXPECT_EQ(idx_->object_requests[1],
            (std::pair<std::string, std::string>{"b/1", "system.xml"}));
}

TEST_F(faceted_search_test, object_limit_pages_with_cursor_and_adds_one_info_file) {
  config_.object_limit = 3;
  config_.page_size = 2;
  start();
  auto l = dir({});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), (std::vector<std::string>{"@formatId", "@keywords", "@origin", "a.1",
                                                 "a.2", "b%2F1",
                                                 more_objects_name(3, 5)}));
  ASSERT_EQ(idx_->queries.size(), 2u);
  EXPECT_EQ(idx_->queries[0].rows, 2u);
  EXPECT_EQ(idx_->queries[1].rows, 1u);
  EXPECT_EQ(idx_->queries[1].cursor_mark, "2");
  auto& info = l->entries.back().info;
  EXPECT_EQ(info.kind, entry_kind::file);
  EXPECT_NE(info.text().find("first 3 of the 5 objects"), std::string::npos);
  EXPECT_NE(info.text().find("2 more are not listed"), std::string::npos);
  auto a = attr({more_objects_name(3, 5)});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text(), info.text());
  EXPECT_FALSE(attr({"@ 1 of 2 objects shown"}));
}

TEST_F(faceted_search_test, all_objects_are_listed_exactly_once_across_pages) {
  for (int i = 0; i < 25; ++i)
    idx_->add("p" + std::to_string(100 + i), {{"formatId", {"text/csv"}}});
  config_.object_limit = 1000;
  config_.page_size = 4;
  start();
  auto l = dir({"@formatId", "#text%2Fcsv"});
  ASSERT_TRUE(l);
  EXPECT_EQ(l->entries.size(), 2u + 28u);  // two fields, 28 objects, no info file
  auto n = names(*l);
  EXPECT_EQ(std::set<std::string>(n.begin(), n.end()).size(), n.size());
  EXPECT_EQ(idx_->queries.size(), 7u);  // ceil(28 / 4)
}

TEST_F(faceted_search_test, value_limit_cuts_with_an_info_file) {
  config_.value_limit = 2;
  start();
  auto l = dir({"@keywords"});
  ASSERT_TRUE(l);
  EXPECT_EQ(names(*l), (std::vector<std::string>{"#acorn", "#oak", more_values_name(2)}));
  EXPECT_EQ(idx_->queries.back().facet_limit, 3);
}

TEST_F(faceted_search_test, malformed_facet_paths_are_error_folders_naming_the_problem) {
  start();
  struct bad_case {
    std::vector<std::string> path;
    std::string says;
  };
  for (auto& c : std::vector<bad_case>{
         {{"#oak"}, "without a field"},
         {{"@nope"}, "unknown facet field 'nope'"},
         {{"@checksum"}, "unknown facet field 'checksum'"},  // described, not allowed
         {{"@keywords", "#oak", "@keywords"}, "applied twice"},
         {{"@keywords", "#bad%zz"}, "bad escape"},
         {{"@keywords", "oak"}, "is not a value of @keywords"},
         {{"bad%2"}, "bad escape"}}) {
    auto l = dir(c.path);
    ASSERT_TRUE(l) << c.says;
    ASSERT_EQ(l->entries.size(), 1u) << c.says;
    EXPECT_EQ(l->cache, cache_class::error) << c.says;
    EXPECT_NE(l->entries[0].name.find(c.says), std::string::npos) << l->entries[0].name;
    EXPECT_NE(l->entries[0].info.text().find("What to try"), std::string::npos);
  }
  // Below an error folder there is nothing but its file.
  auto below = dir({"@keywords", "#oak", "@keywords", "#acorn"});
  ASSERT_FALSE(below);
  EXPECT_EQ(code_of(below.error()), ec::not_found);
  // The error folder's attributes, its one file, and nothing else below it.
  auto a = attr({"@nope"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->cache, cache_class::error);
  auto l = dir({"@nope"});
  auto file = attr({"@nope", l->entries[0].name});
  ASSERT_TRUE(file);
  EXPECT_EQ(file->kind, entry_kind::file);
  EXPECT_FALSE(attr({"@nope", "x"}));
  EXPECT_FALSE(attr({"@nope", l->entries[0].name, "x"}));
  // Error folders further down name their own segment.
  auto deep = dir({"@keywords", "#oak", "@formatId", "#csv", "@nope"});
  ASSERT_TRUE(deep);
  EXPECT_NE(deep->entries[0].info.text().find("/@keywords/#oak/@formatId/#csv/@nope"),
            std::string::npos);
  EXPECT_TRUE(idx_->queries.empty());
}

TEST_F(faceted_search_test, concurrent_listings_of_one_folder_send_one_query) {
  start();
  idx_->hold = true;
  for (int i = 0; i < 10; ++i)
    self_->send(caf::actor_cast<caf::actor>(faceted_), get_dir_atom::value,
                path({"@formatId", "#eml"}));
  run();
  ASSERT_EQ(idx_->queries.size(), 1u);
  self_->send(caf::actor_cast<caf::actor>(solr_), tick_atom::value);
  run();
  int replies = 0;
  for (int i = 0; i < 10; ++i)
    self_->receive(
      [&](listing& l) {
        replies += names(l) == std::vector<std::string>{"@keywords", "@origin", "b%2F1"};
      },
      [&](caf::error&) {}, caf::after(std::chrono::seconds(0)) >> [] {});
  EXPECT_EQ(replies, 10);
  EXPECT_EQ(idx_->queries.size(), 1u);
  // Once answered, a new listing asks again (caching is dir_cache's job).
  idx_->hold = false;
  ASSERT_TRUE(dir({"@formatId", "#eml"}));
  EXPECT_EQ(idx_->queries.size(), 2u);
}

TEST_F(faceted_search_test, solr_failure_and_timeout_become_transient_error_folders) {
  start();
  idx_->fail = true;
  auto l = dir({"@keywords"});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->cache, cache_class::transient);
  EXPECT_NE(l->entries[0].info.text().find("HTTP 500"), std::string::npos);
  // Its error file is found by name (not taken for an object), with no new query.
  auto queries = idx_->queries.size();
  auto file = attr({"@keywords", l->entries[0].name});
  ASSERT_TRUE(file);
  EXPECT_EQ(file->kind, entry_kind::file);
  EXPECT_EQ(file->text(), l->entries[0].info.text());
  EXPECT_EQ(idx_->queries.size(), queries);
  EXPECT_TRUE(idx_->object_requests.empty());
  idx_->fail = false;
  idx_->hold = true;  // never answered: the resolver's own timeout fires
  self_->send(caf::actor_cast<caf::actor>(faceted_), get_dir_atom::value, path({}));
  run();
  advance(std::chrono::milliseconds(2 * config_.timeout_ms + 1));
  std::optional<listing> got;
  self_->receive([&](listing& x) { got = x; }, [&](caf::error&) {},
                 caf::after(std::chrono::seconds(0)) >> [] {});
  ASSERT_TRUE(got);
  ASSERT_EQ(got->entries.size(), 1u);
  EXPECT_EQ(got->cache, cache_class::transient);
  EXPECT_NE(got->entries[0].name.find("Timed out"), std::string::npos) << got->entries[0].name;
}

TEST_F(faceted_search_test, fields_come_from_the_querier_until_it_answers) {
  config_.fields.clear();
  config_.allow_fields = {"formatId", "keywords", "checksum", "dateUploaded", "noSuchField"};
  idx_->description = fields_of({"id", "formatId", "keywords"});
  idx_->description.push_back(query_field{"checksum", "string", false, true, false, ""});
  idx_->description.push_back(query_field{"dateUploaded", "tdate", true, true, false, ""});
  idx_->description_failures = 1;
  start();
  // The querier's first answer is a failure: a transient error folder.
  auto failed = dir({});
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->cache, cache_class::transient);
  EXPECT_NE(failed->entries[0].info.text().find("HTTP 503"), std::string::npos);
  EXPECT_TRUE(idx_->queries.empty());
  // The next listing asks again; `checksum` is not searchable, `noSuchField` not described.
  auto l = dir({});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l), (std::vector<std::string>{"@formatId", "@keywords", "@dateUploaded",
                                                 "a.1", "a.2", "b%2F1", "c.1", "d.1"}));
  // A field of a date type facets by year.
  auto year = dir({"@dateUploaded", "#May"});
  ASSERT_TRUE(year);
  EXPECT_EQ(year->cache, cache_class::error);
  ASSERT_TRUE(dir({"@keywords"}));
  EXPECT_EQ(idx_->description_asks, 2u);
}

TEST_F(faceted_search_test, preconfigured_searches_carry_their_filters) {
  start();
  std::vector<named_search> searches{{"CSV data", {"formatId:\"text/csv\""}},
                                     {"with/slash", {"keywords:\"oak\""}}};
  pre_ = sys_.spawn(preconfigured_search, searches, faceted_);
  run();
  auto top = request<listing>(pre_, get_dir_atom::value,
                              resolve_request{{"PreconfiguredSearch"}, 1, 1});
  ASSERT_TRUE(top);
  EXPECT_EQ(names(*top), (std::vector<std::string>{"CSV data", "with%2Fslash"}));
  auto l = request<listing>(pre_, get_dir_atom::value,
                            resolve_request{{"PreconfiguredSearch", "CSV data"}, 1, 1});
  ASSERT_TRUE(l) << sys_.render(l.error());
  EXPECT_EQ(names(*l),
            (std::vector<std::string>{"@formatId", "@keywords", "@origin", "a.1", "a.2", "c.1"}));
  auto nested = request<listing>(
    pre_, get_dir_atom::value,
    resolve_request{{"PreconfiguredSearch", "with%2Fslash", "@formatId"}, 1, 1});
  ASSERT_TRUE(nested);
  EXPECT_EQ(names(*nested), std::vector<std::string>{"#text%2Fcsv"});
  EXPECT_EQ(nested->entries[0].info.size, 2u);
  EXPECT_EQ(idx_->queries.back().fq, std::vector<std::string>{"keywords:\"oak\""});
  auto unknown = request<node_info>(pre_, get_attr_atom::value,
                                    resolve_request{{"PreconfiguredSearch", "nope"}, 1, 1});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(code_of(unknown.error()), ec::not_found);
}

TEST(preconfigured_search_config, rejects_empty_duplicate_and_filterless_searches) {
  EXPECT_FALSE(validate(std::vector<named_search>{{"a", {"x:1"}}, {"b", {"y:2"}}}));
  EXPECT_TRUE(validate(std::vector<named_search>{{"", {"x:1"}}}));
  EXPECT_TRUE(validate(std::vector<named_search>{{"a", {"x:1"}}, {"a", {"y:2"}}}));
  EXPECT_TRUE(validate(std::vector<named_search>{{"a", {}}}));
  EXPECT_TRUE(validate(std::vector<named_search>{{"a", {""}}}));
}

TEST(faceted_search_config, validation_names_the_field) {
  faceted_search_config c;
  EXPECT_FALSE(validate(c));
  c.value_sort = "random";
  EXPECT_TRUE(validate(c));
  c.value_sort = "index";
  c.object_limit = 0;
  EXPECT_TRUE(validate(c));
}

}  // namespace
}  // namespace d1::test
