// faceted_search: resolving a facet path (actors/resolve/facet_path) to a search folder, a
// value folder (value_folders), an object (d1_object) or an error folder; one computation
// per identical folder in flight; search folders are paged by object_pager.
#include "actors/resolve/faceted_search.hpp"

#include "actors/resolve/object_pager.hpp"
#include "actors/resolve/value_folders.hpp"
#include "messages/error.hpp"
#include "messages/path_codec.hpp"
#include "messages/solr_query.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace d1 {

namespace {

using self_ptr = faceted_search_ptr;

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
                   fmt::join(*st.fields, ", "));
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

void search_listing(self_ptr self, const std::vector<std::string>& base, const facet_path& path,
                    listing_stream_ptr stream, listing_callback done) {
  auto fq = filter_queries(self->state, base, path);
  auto key = key_of("objects", "", fq);
  coalesced(self, key, std::move(done), [self, fq, path, stream, key](listing_callback finish) {
    listing head;  // the fields not applied yet, before the objects
    for (auto& f : *self->state.fields) {
      bool applied = std::any_of(path.applied.begin(), path.applied.end(),
                                 [&](auto& fv) { return fv.first == f; });
      if (!applied)
        head.entries.push_back(dir_entry{facet_field_segment(f), search_folder_attr()});
    }
    list_objects(self, fq, std::move(head), stream, key, std::move(finish));
  });
}

void value_listing(self_ptr self, const std::vector<std::string>& base, const facet_path& path,
                   listing_callback done) {
  auto fq = filter_queries(self->state, base, path);
  auto field = *path.open_field;
  coalesced(self, key_of("values", field, fq), std::move(done),
            [self, fq, field](listing_callback finish) {
              list_values(self, fq, field, std::move(finish));
            });
}

// -- resolving ---------------------------------------------------------------------------

long_name_fn long_name_lookup(self_ptr self) {
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
                    ? info_file_text(segs[*path.info_at], self->state.config.object_limit)
                    : std::nullopt;
      if (text)
        rp.deliver(info_file_attr(std::move(*text)));
      else
        rp.deliver(make_error(ec::not_found, "no such informational file"));
      return;
    }
    rp.deliver(search_folder_attr());
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
        return search_folder_attr();
      return attr_of(self, whole_index, req);
    },
    [self](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      return dir_of(self, whole_index, req);
    },
    [self](get_attr_atom, const std::vector<std::string>& base,
           const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return search_folder_attr();
      return attr_of(self, base, req);
    },
    [self](get_dir_atom, const std::vector<std::string>& base,
           const resolve_request& req) -> caf::result<listing> {
      return dir_of(self, base, req);
    },
  };
}

}  // namespace d1
