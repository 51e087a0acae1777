// faceted_search: the facet path grammar, search and value listings (cursorMark paging,
// one computation per identical folder in flight), informational files, and error folders.
#include "actors/resolve/faceted_search.hpp"

#include "actors/resolve/science_object.hpp"
#include "messages/error.hpp"
#include "messages/listing_stream.hpp"
#include "messages/path_codec.hpp"
#include "messages/solr_query.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <set>
#include <string_view>

namespace d1 {

namespace {

using self_ptr = faceted_search_actor::stateful_pointer<faceted_search_state>;
using listing_callback = std::function<void(caf::expected<listing>)>;

constexpr const char* info_prefix = "@ ";

node_info folder_attr(uint64_t size = 0) {
  node_info info;
  info.kind = entry_kind::directory;
  info.cache = cache_class::search;
  info.size = size;
  return info;
}

node_info text_attr(std::string text) {
  node_info info;
  info.kind = entry_kind::file;
  info.cache = cache_class::search;
  info.content = content_kind::inline_text;
  info.size = text.size();
  info.set_text(std::move(text));
  return info;
}

std::string path_upto(const std::vector<std::string>& segments, size_t n) {
  std::vector<std::string> head(segments.begin(),
                                segments.begin() + std::min(n, segments.size()));
  return join_path(head);
}

problem path_problem(const std::vector<std::string>& segments, size_t at, std::string title,
                     std::string what, std::string advice) {
  problem p;
  p.title = "Invalid path - " + std::move(title);
  p.transient = false;
  p.details = "Path: " + path_upto(segments, at + 1) + "\nProblem: " + std::move(what)
              + "\nWhat to try: " + std::move(advice) + "\n";
  return p;
}

std::string field_list(const std::vector<std::string>& fields) {
  std::string out;
  for (auto& f : fields)
    out += (out.empty() ? "" : ", ") + f;
  return out;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The text of an informational file, from its name; nullopt if `name` is none of ours.
std::optional<std::string> info_text(const std::string& name, uint64_t object_limit) {
  unsigned long long shown = 0;
  unsigned long long found = 0;
  if (std::sscanf(name.c_str(), "@ %llu of %llu objects shown", &shown, &found) == 2
      && name == more_objects_name(shown, found)) {
    return "This folder lists the first " + std::to_string(shown) + " of the "
           + std::to_string(found) + " objects that match its filters; "
           + std::to_string(found - shown) + " more are not listed.\n"
           + "To reach them, narrow the search: open one of the @field folders here and then "
             "one of its #value folders (e.g. @formatId/ then #text%2Fcsv/); each level "
             "lists fewer objects.\n"
           + "An object you know is always reachable by its identifier below any search "
             "folder, or under FlatSpace/.\n"
           + "The number listed at once is the [faceted_search] object_limit of the config "
             "(now " + std::to_string(object_limit) + ").\n";
  }
  if (std::sscanf(name.c_str(), "@ first %llu values shown", &shown) == 1
      && name == more_values_name(shown)) {
    return "This field has more values than the " + std::to_string(shown)
           + " listed here (the [faceted_search] value_limit of the config).\n"
             "Narrow the search first (apply another @field/#value above this folder), or "
             "set value_sort = \"index\" to list values in order instead of by count.\n";
  }
  return std::nullopt;
}

// -- the query engine description -----------------------------------------------------

void with_fields(self_ptr self, std::function<void(caf::error)> k) {
  auto& st = self->state;
  if (st.fields) {
    k(caf::none);
    return;
  }
  if (!st.fields_fetch.join(std::move(k)))
    return;
  auto finish = [self](caf::expected<std::vector<query_field>> described) {
    auto& st = self->state;
    caf::error err;
    if (described) {
      st.fields = facetable_fields(*described, st.config.allow_fields, st.config.deny_fields);
      for (auto& f : *described)
        if (is_date_type(f.type))
          st.date_fields.insert(f.name);
      spdlog::info("faceted_search: {} facetable fields: {}", st.fields->size(),
                   field_list(*st.fields));
    } else {
      err = described.error();
      spdlog::warn("faceted_search: no query engine description: {}", describe(err));
    }
    st.fields_fetch.finish(std::move(err));
  };
  if (!st.config.fields.empty()) {
    finish(st.config.fields);
    return;
  }
  // The querier reads it within its own bound; this one only guards against a lost answer.
  self->request(st.solr, std::chrono::milliseconds(2ull * st.config.timeout_ms),
                fields_atom::value)
    .then([finish](std::vector<query_field>& described) { finish(std::move(described)); },
          [finish](caf::error& err) { finish(std::move(err)); });
}

// -- listings ----------------------------------------------------------------------------

std::vector<std::string> filter_queries(const faceted_search_state& st,
                                        const std::vector<std::string>& base,
                                        const facet_path& path) {
  auto fq = base;
  for (auto& [field, value] : path.applied) {
    auto year = st.date_fields.count(field) ? year_query(field, value) : std::nullopt;
    fq.push_back(year ? *year : solr_field_query(field, value));  // parsing checked the year
  }
  return fq;
}

std::string listed_name(faceted_search_state& st, const std::string& full) {
  return st.long_names->name_for(full);
}

// Runs `compute` once for every caller asking for the listing `key` while it runs.
void coalesced(self_ptr self, const std::string& key, listing_callback done,
               std::function<void(listing_callback)> compute) {
  auto& st = self->state;
  ++st.counters.listings;
  if (!st.listings.join(key, std::move(done))) {
    ++st.counters.coalesced;
    return;
  }
  compute([self, key](caf::expected<listing> result) {
    auto& st = self->state;
    if (!result)
      ++st.counters.failures;
    st.long_names->flush();  // the shortened names of this listing outlive a restart
    // The last waiter (usually the only one) takes the listing: a 10k-entry copy less.
    st.listings.finish(key, std::move(result));
  });
}

std::string key_of(const char* kind, const std::string& field,
                   const std::vector<std::string>& fq) {
  std::string key = kind;
  key += '\x1f';
  key += field;
  for (auto& q : fq) {
    key += '\x1f';
    key += q;
  }
  return key;
}

// One cursorMark walk over the objects of a search folder. The listing is built page by
// page while the next page is on its way, so little is left to do after the last one.
struct object_walk {
  solr_query query;
  listing out;            // the unapplied @field folders, then one folder per object
  uint64_t received = 0;  // object ids received (some may not be listable)
  bool reserved = false;  // entries sized for num_found
  uint64_t num_found = 0;
  caf::actor_clock::time_point deadline;
  listing_callback done;
  // Null: nobody reads the listing before it is complete. Else the entries go there page
  // by page (moved out of `out`) and the stream is sealed into the listing at the end.
  listing_stream_ptr stream;
  std::string key;  // of the coalesced listing
};

// Moves the entries added to the walk's listing into its stream, so an open directory
// serves them while the next page is on its way.
void publish(object_walk& w) {
  auto& entries = w.out.entries;
  if (!w.stream || entries.empty())
    return;
  w.stream->append(std::move(entries));
  entries.clear();
}

std::chrono::milliseconds remaining(self_ptr self, caf::actor_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                    - self->clock().now());
  return std::max(left, std::chrono::milliseconds(1));
}

// Adds one page's objects to the walk's listing.
void add_page(faceted_search_state& st, object_walk& w, const solr_response& resp) {
  auto& entries = w.out.entries;
  if (!w.reserved) {
    w.reserved = true;
    // Exact capacity once the total is known: this listing is what the caches keep
    // (doubling would waste up to half).
    auto total = entries.size() + std::min<uint64_t>(w.num_found, st.config.object_limit) + 1;
    if (w.stream)
      w.stream->reserve(total);
    else
      entries.reserve(total);
  }
  for (auto& doc : resp.docs) {
    auto& id = doc.first("id");
    if (id.empty())
      continue;
    auto full = escape_segment(id);
    if (full.empty())
      continue;
    // The object folder's own date (its getattr says the same), not the mount's.
    auto info = folder_attr();
    info.mtime = parse_iso8601(doc.first("dateUploaded"));
    entries.push_back(dir_entry{listed_name(st, full), std::move(info)});
  }
  publish(w);
}

void finish_walk(self_ptr self, const std::shared_ptr<object_walk>& w) {
  auto& st = self->state;
  if (w->num_found > w->received) {
    auto name = more_objects_name(w->received, w->num_found);
    w->out.entries.push_back(
      dir_entry{name, text_attr(*info_text(name, st.config.object_limit))});
    publish(*w);
  }
  if (!w->stream) {
    w->done(std::move(w->out));
    return;
  }
  // The stream holds every entry: it becomes the listing. Callers that joined this walk
  // for another folder (same filters) get a copy; the stream's own caller (fs_gateway)
  // takes the sealed listing and ignores this answer.
  auto whole = w->stream->seal(cache_class::search);
  bool joined = st.listings.waiting(w->key) > 1;
  w->done(joined ? listing{*whole} : listing{{}, cache_class::search});
}

void next_page(self_ptr self, std::shared_ptr<object_walk> w) {
  auto& st = self->state;
  auto want = st.config.object_limit - w->received;
  w->query.rows = std::min<uint64_t>(st.config.page_size, want);
  // The page after this one, if the walk will want it, is fetched ahead by solr_querier
  // as soon as this one's cursor is known, with the rows this function will ask for then
  // (else the URLs differ and the page is fetched twice). Before numFound is known (the
  // first page) a guess: the querier asks ahead only if more match than the page held.
  auto after = want - w->query.rows;
  if (w->num_found > 0 && w->num_found <= w->received + w->query.rows)
    after = 0;
  w->query.prefetch_rows = std::min<uint64_t>(st.config.page_size, after);
  ++st.counters.selects_sent;
  self->request(st.solr, remaining(self, w->deadline), select_atom::value, w->query)
    .then(
      [self, w](solr_response& resp) {
        auto& st = self->state;
        w->num_found = resp.num_found;
        for (auto& doc : resp.docs)
          w->received += doc.first("id").empty() ? 0 : 1;
        bool over = resp.docs.empty() || resp.next_cursor_mark.empty()
                    || resp.next_cursor_mark == w->query.cursor_mark
                    || w->received >= st.config.object_limit
                    || w->received >= w->num_found;
        if (!over) {
          // The next page is asked for first: this page's entries are made while it is
          // on its way.
          w->query.cursor_mark = resp.next_cursor_mark;
          next_page(self, w);
        }
        add_page(st, *w, resp);
        if (over)
          finish_walk(self, w);
      },
      [w](caf::error& err) { w->done(std::move(err)); });
}

void search_listing(self_ptr self, const std::vector<std::string>& base, const facet_path& path,
                    listing_stream_ptr stream, listing_callback done) {
  auto fq = filter_queries(self->state, base, path);
  auto key = key_of("objects", "", fq);
  coalesced(self, key, std::move(done),
            [self, fq, path, stream, key](listing_callback finish) {
              auto& st = self->state;
              auto w = std::make_shared<object_walk>();
              w->query.fq = fq;
              w->query.fl = {"id", "dateUploaded"};
              w->query.sort = "id asc";
              w->query.cursor_mark = "*";
              w->deadline = self->clock().now()
                            + std::chrono::milliseconds(2ull * st.config.timeout_ms);
              w->done = std::move(finish);
              w->stream = stream;
              w->key = key;
              w->out.cache = cache_class::search;
              for (auto& f : *st.fields) {
                bool applied = std::any_of(path.applied.begin(), path.applied.end(),
                                           [&](auto& fv) { return fv.first == f; });
                if (!applied)
                  w->out.entries.push_back(dir_entry{facet_field_segment(f), folder_attr()});
              }
              next_page(self, w);
            });
}

// The year of an instant as Solr writes it ("2013-05-06T…"); 0 if it has none.
bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

int year_of(const std::string& instant) {
  if (instant.size() < 4 || !all_digits(std::string_view{instant}.substr(0, 4)))
    return 0;
  return std::stoi(instant.substr(0, 4));
}

// `@dateField/`: one #year folder per year with matches, oldest first. The first and last
// years come from two one-row queries sorted both ways, the counts from one facet.query
// per year in between (a range query each).
void year_listing(self_ptr self, std::vector<std::string> fq, const std::string& field,
                  listing_callback finish) {
  auto& st = self->state;
  struct bounds {
    int first = 0;
    int last = 0;
    int pending = 2;
    caf::error failure;
  };
  auto b = std::make_shared<bounds>();
  auto timeout = std::chrono::milliseconds(st.config.timeout_ms);
  auto both = [self, b, fq, field, finish, timeout]() {
    if (--b->pending > 0)
      return;
    if (b->failure) {
      finish(b->failure);
      return;
    }
    listing out;
    out.cache = cache_class::search;
    if (b->first == 0 || b->last < b->first) {
      finish(std::move(out));  // no object has the field (or no readable year)
      return;
    }
    // Past value_limit years, the most recent ones.
    auto limit = self->state.config.value_limit;
    bool cut = static_cast<uint64_t>(b->last - b->first) >= limit;
    int first = cut ? b->last - static_cast<int>(limit) + 1 : b->first;
    solr_query q;
    q.fq = fq;
    q.rows = 0;
    for (int y = first; y <= b->last; ++y)
      if (auto yq = year_query(field, std::to_string(y)))
        q.facet_queries.push_back(*yq);
    ++self->state.counters.selects_sent;
    self->request(self->state.solr, timeout, select_atom::value, q)
      .then(
        [self, field, finish, first, cut, b](solr_response& resp) {
          auto& st = self->state;
          listing out;
          out.cache = cache_class::search;
          for (int y = first; y <= b->last; ++y) {
            auto yq = year_query(field, std::to_string(y));
            for (auto& c : resp.facet_queries)
              if (yq && c.value == *yq && c.count > 0)
                out.entries.push_back(
                  dir_entry{facet_value_segment(std::to_string(y)), folder_attr(c.count)});
          }
          if (cut) {
            auto name = more_values_name(st.config.value_limit);
            out.entries.push_back(
              dir_entry{name, text_attr(*info_text(name, st.config.object_limit))});
          }
          finish(std::move(out));
        },
        [finish](caf::error& err) { finish(std::move(err)); });
  };
  for (bool ascending : {true, false}) {
    solr_query q;
    q.fq = fq;
    q.fq.push_back(field + ":[* TO *]");
    q.fl = {field};
    q.rows = 1;
    q.sort = field + (ascending ? " asc" : " desc");
    ++st.counters.selects_sent;
    self->request(st.solr, timeout, select_atom::value, q)
      .then(
        [b, field, ascending, both](solr_response& resp) {
          if (!resp.docs.empty())
            (ascending ? b->first : b->last) = year_of(resp.docs.front().first(field));
          both();
        },
        [b, both](caf::error& err) {
          if (!b->failure)
            b->failure = std::move(err);
          both();
        });
  }
}

void value_listing(self_ptr self, const std::vector<std::string>& base, const facet_path& path,
                   listing_callback done) {
  auto fq = filter_queries(self->state, base, path);
  auto field = *path.open_field;
  coalesced(self, key_of("values", field, fq), std::move(done),
            [self, fq, field](listing_callback finish) {
              auto& st = self->state;
              if (st.date_fields.count(field)) {
                year_listing(self, fq, field, std::move(finish));
                return;
              }
              solr_query q;
              q.fq = fq;
              q.rows = 0;
              q.facet_fields = {field};
              q.facet_limit = static_cast<int64_t>(st.config.value_limit) + 1;
              q.facet_mincount = 1;
              q.facet_sort = st.config.value_sort;
              ++st.counters.selects_sent;
              self->request(st.solr, std::chrono::milliseconds(st.config.timeout_ms),
                            select_atom::value, q)
                .then(
                  [self, field, finish](solr_response& resp) {
                    auto& st = self->state;
                    listing out;
                    out.cache = cache_class::search;
                    uint64_t shown = 0;
                    bool cut = false;
                    for (auto& ff : resp.facets) {
                      if (ff.field != field)
                        continue;
                      for (auto& c : ff.counts) {
                        if (c.count == 0)
                          continue;
                        if (shown == st.config.value_limit) {
                          cut = true;
                          break;
                        }
                        ++shown;
                        out.entries.push_back(dir_entry{
                          listed_name(st, facet_value_segment(c.value)), folder_attr(c.count)});
                      }
                    }
                    if (cut) {
                      auto name = more_values_name(shown);
                      out.entries.push_back(
                        dir_entry{name, text_attr(*info_text(name, st.config.object_limit))});
                    }
                    finish(std::move(out));
                  },
                  [finish](caf::error& err) { finish(std::move(err)); });
            });
}

// -- resolving ---------------------------------------------------------------------------

std::function<std::optional<std::string>(const std::string&)> long_name_lookup(self_ptr self) {
  return [self](const std::string& name) -> std::optional<std::string> {
    return self->state.long_names->full_of(name);
  };
}

// The problem of a search folder that could not be listed or whose fields are unknown.
problem search_problem(const caf::error& err, const resolve_request& req, size_t upto) {
  auto path = path_upto(req.segments, upto);
  return problem_from_error(err, "search '" + path + "'", path);
}

// Failed listings are remembered as long as an error folder may be cached (a few minutes).
constexpr std::chrono::minutes failure_memory{10};
constexpr size_t max_failures = 10000;

void remember_failure(self_ptr self, const std::string& path, const problem& p) {
  auto& failed = self->state.failed;
  if (failed.size() >= max_failures)
    failed.clear();  // a bound, not a policy
  failed[path] = {p, self->clock().now()};
}

// The error file of a folder whose listing failed recently, if `req` names it.
std::optional<node_info> recent_error_file(self_ptr self, const resolve_request& req) {
  auto& segs = req.segments;
  if (segs.empty())
    return std::nullopt;
  auto& failed = self->state.failed;
  auto i = failed.find(path_upto(segs, segs.size() - 1));
  if (i == failed.end())
    return std::nullopt;
  if (self->clock().now() - i->second.second > failure_memory) {
    failed.erase(i);
    return std::nullopt;
  }
  auto file = error_folder_child(i->second.first, segs.back());
  if (!file)
    return std::nullopt;
  return std::move(*file);
}

caf::result<node_info> attr_of(self_ptr self, const std::vector<std::string>& base,
                               const resolve_request& req) {
  if (auto file = recent_error_file(self, req))
    return std::move(*file);
  auto rp = self->make_response_promise<node_info>();
  with_fields(self, [self, base, req, rp](caf::error err) mutable {
    auto& segs = req.segments;
    if (err) {
      // The first segment below the search root stands for the failure.
      auto p = search_problem(err, req, req.depth + 1);
      if (req.remaining() == 1)
        rp.deliver(error_folder_attr(p));
      else if (req.remaining() == 2) {
        auto child = error_folder_child(p, segs[req.depth + 1]);
        child ? rp.deliver(std::move(*child)) : rp.deliver(child.error());
      } else
        rp.deliver(make_error(ec::not_found, "below an error folder"));
      return;
    }
    auto path = parse_facet_path(segs, req.depth, *self->state.fields, long_name_lookup(self),
                                 self->state.date_fields);
    if (path.error_at) {
      auto k = *path.error_at;
      if (k + 1 == segs.size())
        rp.deliver(error_folder_attr(path.error));
      else if (k + 2 == segs.size()) {
        auto child = error_folder_child(path.error, segs[k + 1]);
        child ? rp.deliver(std::move(*child)) : rp.deliver(child.error());
      } else
        rp.deliver(make_error(ec::not_found, "below an error folder"));
      return;
    }
    if (path.object_at) {
      auto below = req;
      below.depth = static_cast<uint32_t>(*path.object_at + 1);
      rp.delegate(self->state.objects, get_attr_atom::value, path.pid, below);
      return;
    }
    if (path.info_at) {
      auto text = *path.info_at + 1 == segs.size()
                    ? info_text(segs[*path.info_at], self->state.config.object_limit)
                    : std::nullopt;
      if (text)
        rp.deliver(text_attr(std::move(*text)));
      else
        rp.deliver(make_error(ec::not_found, "no such informational file"));
      return;
    }
    rp.deliver(folder_attr());
  });
  return rp;
}

caf::result<listing> dir_of(self_ptr self, const std::vector<std::string>& base,
                            const resolve_request& req) {
  auto rp = self->make_response_promise<listing>();
  with_fields(self, [self, base, req, rp](caf::error err) mutable {
    auto& segs = req.segments;
    auto as_folder = [self, rp, req](caf::expected<listing> result) mutable {
      if (result) {
        rp.deliver(std::move(*result));
        return;
      }
      auto p = search_problem(result.error(), req, req.segments.size());
      remember_failure(self, join_path(req.segments), p);
      rp.deliver(error_folder_listing(p));
    };
    if (err) {
      if (req.remaining() <= 1) {
        auto p = search_problem(err, req, req.depth + 1);
        remember_failure(self, path_upto(segs, req.depth + 1), p);
        rp.deliver(error_folder_listing(p));
      } else
        rp.deliver(make_error(ec::not_found, "below an error folder"));
      return;
    }
    auto path = parse_facet_path(segs, req.depth, *self->state.fields, long_name_lookup(self),
                                 self->state.date_fields);
    if (path.error_at) {
      if (*path.error_at + 1 == segs.size())
        rp.deliver(error_folder_listing(path.error));
      else
        rp.deliver(make_error(ec::not_found, "below an error folder"));
      return;
    }
    if (path.object_at) {
      auto below = req;
      below.depth = static_cast<uint32_t>(*path.object_at + 1);
      rp.delegate(self->state.objects, get_dir_atom::value, path.pid, below);
      return;
    }
    if (path.info_at) {
      rp.deliver(make_error(ec::not_found, "an informational file is no folder"));
      return;
    }
    if (path.open_field)
      value_listing(self, base, path, std::move(as_folder));
    else
      search_listing(self, base, path, req.stream, std::move(as_folder));
  });
  return rp;
}

}  // namespace

std::vector<std::string> default_facet_fields() {
  return {"formatId",   "formatType", "author",         "origin",    "keywords",
          "datasource", "authoritativeMN", "rightsHolder", "submitter", "project",
          "site",       "LTERSite",   "investigator",   "kingdom",   "phylum",
          "class",      "order",      "family",         "genus",     "species",
          "scientificName", "decade", "mediaType",      "isPublic",  "dateUploaded",
          "pubDate",    "beginDate",  "endDate"};
}

bool is_date_type(const std::string& type) {
  return type == "date" || type == "tdate" || type == "pdate";
}

std::optional<std::string> year_query(const std::string& field, const std::string& year) {
  if (year.size() != 4 || !all_digits(year) || year[0] == '0' || year == "9999")
    return std::nullopt;
  auto next = std::to_string(std::stoi(year) + 1);
  return field + ":[" + year + "-01-01T00:00:00Z TO " + next + "-01-01T00:00:00Z}";
}

caf::error validate(const faceted_search_config& config) {
  if (config.timeout_ms == 0)
    return make_error(ec::invalid_argument, "faceted_search timeout_ms must be > 0");
  if (config.object_limit == 0)
    return make_error(ec::invalid_argument, "faceted_search object_limit must be ≥ 1");
  if (config.page_size == 0)
    return make_error(ec::invalid_argument, "faceted_search page_size must be ≥ 1");
  if (config.value_limit == 0)
    return make_error(ec::invalid_argument, "faceted_search value_limit must be ≥ 1");
  if (config.value_sort != "count" && config.value_sort != "index")
    return make_error(ec::invalid_argument, "faceted_search value_sort must be \"count\" or "
                                            "\"index\", not \"" + config.value_sort + "\"");
  if (config.max_long_names == 0)
    return make_error(ec::invalid_argument, "faceted_search max_long_names must be ≥ 1");
  return caf::none;
}

std::vector<std::string> facetable_fields(const std::vector<query_field>& described,
                                          const std::vector<std::string>& allow,
                                          const std::vector<std::string>& deny) {
  std::set<std::string> denied(deny.begin(), deny.end());
  std::set<std::string> usable;
  std::vector<std::string> in_order;
  for (auto& f : described) {
    if (f.searchable && f.returnable && !denied.count(f.name) && usable.insert(f.name).second)
      in_order.push_back(f.name);
  }
  if (allow.empty())
    return in_order;
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto& f : allow)
    if (usable.count(f) && seen.insert(f).second)
      out.push_back(f);
  return out;
}

std::string more_objects_name(uint64_t shown, uint64_t found) {
  return std::string{info_prefix} + std::to_string(shown) + " of " + std::to_string(found)
         + " objects shown - open an @ folder to narrow.txt";
}

std::string more_values_name(uint64_t shown) {
  return std::string{info_prefix} + "first " + std::to_string(shown)
         + " values shown - narrow the search to see the rest.txt";
}

facet_path parse_facet_path(const std::vector<std::string>& segments, size_t from,
                            const std::vector<std::string>& fields,
                            const std::function<std::optional<std::string>(
                              const std::string&)>& long_name,
                            const std::set<std::string>& date_fields) {
  facet_path out;
  auto fail = [&](size_t at, std::string title, std::string what, std::string advice) {
    out.error_at = at;
    out.error = path_problem(segments, at, std::move(title), std::move(what),
                             std::move(advice));
    return out;
  };
  // A segment as it was before shortening; nullopt (and an error) if it cannot be known.
  auto full = [&](size_t at) -> std::optional<std::string> {
    auto& seg = segments[at];
    if (!is_shortened(seg))
      return seg;
    if (auto f = long_name(seg))
      return f;
    fail(at, "unknown shortened name",
         "the shortened name '" + seg + "' was not listed by this search recently",
         "List the folder that contains it first; names longer than 255 bytes are "
         "shortened and mapped back through the listing.");
    return std::nullopt;
  };
  auto known_fields = "Facet fields here: " + field_list(fields) + ".";
  size_t i = from;
  while (i < segments.size()) {
    auto seg = full(i);
    if (!seg)
      return out;
    if (starts_with(*seg, info_prefix)) {
      out.info_at = i;
      return out;
    }
    if (auto field = facet_field_of(*seg)) {
      if (std::find(fields.begin(), fields.end(), *field) == fields.end())
        return fail(i, "unknown facet field '" + *field + "'",
                    "'" + *field + "' is not a facetable field of this search",
                    "List the search folder to see its @field folders. " + known_fields);
      for (auto& [applied, value] : out.applied)
        if (applied == *field)
          return fail(i, "facet field '" + *field + "' applied twice",
                      "the filter on '" + *field + "' is already applied above (#" + value
                        + "); a field can be applied once per path",
                      "Remove one of the @" + *field + "/#value pairs.");
      if (i + 1 == segments.size()) {
        out.open_field = *field;
        return out;
      }
      auto next = full(i + 1);
      if (!next)
        return out;
      if (starts_with(*next, info_prefix)) {
        out.open_field = *field;
        out.info_at = i + 1;
        return out;
      }
      if ((*next)[0] != '#')
        return fail(i + 1, "'" + *next + "' is not a value of @" + *field,
                    "below @" + *field + "/ every folder is a value and starts with '#'",
                    "List @" + *field + "/ to see its values.");
      auto value = facet_value_of(*next);
      if (!value)
        return fail(i + 1, "bad escape in facet value '" + *next + "'", describe(value.error()),
                    "Values are escaped like identifiers: '%' is %25, '/' is %2F.");
      if (date_fields.count(*field) && !year_query(*field, *value))
        return fail(i + 1, "'" + *next + "' is not a year of @" + *field,
                    "@" + *field + " holds dates; its folders are years (#2013)",
                    "List @" + *field + "/ to see the years that have objects.");
      out.applied.emplace_back(*field, std::move(*value));
      i += 2;
      continue;
    }
    if ((*seg)[0] == '#')
      return fail(i, "value '" + *seg + "' without a field",
                  "a #value folder must follow an @field folder",
                  "Open an @field folder first, e.g. @formatId/" + *seg + "/. " + known_fields);
    auto pid = unescape_segment(*seg);
    if (!pid)
      return fail(i, "bad escape in identifier '" + *seg + "'", describe(pid.error()),
                  "Identifiers are one path segment: '%' is %25, '/' is %2F.");
    out.object_at = i;
    out.pid = std::move(*pid);
    return out;
  }
  return out;
}

faceted_search_actor::behavior_type
faceted_search(faceted_search_actor::stateful_pointer<faceted_search_state> self,
               faceted_search_config config, solr_querier_actor solr, d1_object_actor objects) {
  if (auto err = validate(config)) {
    self->quit(err);
    return faceted_search_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.config = std::move(config);
  st.solr = std::move(solr);
  st.objects = std::move(objects);
  st.long_names = std::make_unique<long_name_map>(st.config.store, st.config.max_long_names);
  static const std::vector<std::string> whole_index;
  return {
    [self](get_attr_atom, const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return folder_attr();
      return attr_of(self, whole_index, req);
    },
    [self](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      return dir_of(self, whole_index, req);
    },
    [self](get_attr_atom, const std::vector<std::string>& base,
           const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return folder_attr();
      return attr_of(self, base, req);
    },
    [self](get_dir_atom, const std::vector<std::string>& base,
           const resolve_request& req) -> caf::result<listing> {
      return dir_of(self, base, req);
    },
  };
}

}  // namespace d1
