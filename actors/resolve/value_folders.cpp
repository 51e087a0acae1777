// value_folders: a facet query for an `@field/` folder; for a date field two one-row
// queries for the first and last year, then one facet.query per year in between.
#include "actors/resolve/value_folders.hpp"

#include "actors/resolve/facet_path.hpp"
#include "messages/path_codec.hpp"
#include "messages/solr_query.hpp"

#include <chrono>
#include <memory>
#include <utility>

namespace d1 {

namespace {

// The first and last years of a date field among the matching objects (0: none known).
struct year_bounds {
  int first = 0;
  int last = 0;
  int pending = 2;  // the two one-row queries still out
  caf::error failure;
};

// `@dateField/` between the first and last years: one #year folder per year with matches,
// oldest first; past value_limit years, the most recent ones.
void count_years(faceted_search_ptr self, std::vector<std::string> fq, const std::string& field,
                 const year_bounds& b, listing_callback finish) {
  auto limit = self->state.config.value_limit;
  bool cut = static_cast<uint64_t>(b.last - b.first) >= limit;
  int first = cut ? b.last - static_cast<int>(limit) + 1 : b.first;
  int last = b.last;
  solr_query q;
  q.fq = std::move(fq);
  q.rows = 0;
  for (int y = first; y <= last; ++y)
    if (auto yq = year_query(field, std::to_string(y)))
      q.facet_queries.push_back(*yq);
  ++self->state.counters.selects_sent;
  self->request(self->state.solr, std::chrono::milliseconds(self->state.config.timeout_ms),
                select_atom::value, q)
    .then(
      [self, field, finish, first, last, cut](solr_response& resp) {
        auto& st = self->state;
        listing out;
        out.cache = cache_class::search;
        for (int y = first; y <= last; ++y) {
          auto yq = year_query(field, std::to_string(y));
          for (auto& c : resp.facet_queries)
            if (yq && c.value == *yq && c.count > 0)
              out.entries.push_back(
                dir_entry{facet_value_segment(std::to_string(y)), search_folder_attr(c.count)});
        }
        if (cut) {
          auto name = more_values_name(st.config.value_limit);
          out.entries.push_back(
            dir_entry{name, info_file_attr(*info_file_text(name, st.config.object_limit))});
        }
        finish(std::move(out));
      },
      [finish](caf::error& err) { finish(std::move(err)); });
}

// `@dateField/`: the first and last years come from two one-row queries sorted both ways,
// the counts from count_years.
void list_years(faceted_search_ptr self, std::vector<std::string> fq, const std::string& field,
                listing_callback finish) {
  auto& st = self->state;
  auto b = std::make_shared<year_bounds>();
  auto both = [self, b, fq, field, finish]() {
    if (--b->pending > 0)
      return;
    if (b->failure) {
      finish(b->failure);
      return;
    }
    if (b->first == 0 || b->last < b->first) {
      finish(listing{{}, cache_class::search});  // no object has the field (or no year)
      return;
    }
    count_years(self, fq, field, *b, finish);
  };
  for (bool ascending : {true, false}) {
    solr_query q;
    q.fq = fq;
    q.fq.push_back(field + ":[* TO *]");
    q.fl = {field};
    q.rows = 1;
    q.sort = field + (ascending ? " asc" : " desc");
    ++st.counters.selects_sent;
    self->request(st.solr, std::chrono::milliseconds(st.config.timeout_ms), select_atom::value,
                  q)
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

// The value folders of a facet response for `field`, at most value_limit of them.
listing value_folders_of(faceted_search_state& st, const std::string& field,
                         const solr_response& resp) {
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
      out.entries.push_back(dir_entry{st.long_names->name_for(facet_value_segment(c.value)),
                                      search_folder_attr(c.count)});
    }
  }
  if (cut) {
    auto name = more_values_name(shown);
    out.entries.push_back(
      dir_entry{name, info_file_attr(*info_file_text(name, st.config.object_limit))});
  }
  return out;
}

}  // namespace

void list_values(faceted_search_ptr self, std::vector<std::string> fq, std::string field,
                 listing_callback done) {
  auto& st = self->state;
  if (st.date_fields.count(field)) {
    list_years(self, std::move(fq), field, std::move(done));
    return;
  }
  solr_query q;
  q.fq = std::move(fq);
  q.rows = 0;
  q.facet_fields = {field};
  q.facet_limit = static_cast<int64_t>(st.config.value_limit) + 1;
  q.facet_mincount = 1;
  q.facet_sort = st.config.value_sort;
  ++st.counters.selects_sent;
  self->request(st.solr, std::chrono::milliseconds(st.config.timeout_ms), select_atom::value,
                q)
    .then(
      [self, field, done](solr_response& resp) {
        done(value_folders_of(self->state, field, resp));
      },
      [done](caf::error& err) { done(std::move(err)); });
}

}  // namespace d1
