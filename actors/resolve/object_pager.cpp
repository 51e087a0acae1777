// object_pager: one cursorMark walk per search folder (object_walk), its pages asked for
// one ahead of the entries being made.
#include "actors/resolve/object_pager.hpp"

#include "actors/resolve/facet_path.hpp"
#include "actors/resolve/science_object.hpp"
#include "messages/path_codec.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

namespace d1 {

namespace {

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

std::chrono::milliseconds remaining(faceted_search_ptr self, caf::actor_clock::time_point deadline) {
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
    auto info = search_folder_attr();
    info.mtime = parse_iso8601(doc.first("dateUploaded"));
    entries.push_back(dir_entry{st.long_names->name_for(full), std::move(info)});
  }
  publish(w);
}

void finish_walk(faceted_search_ptr self, const std::shared_ptr<object_walk>& w) {
  auto& st = self->state;
  if (w->num_found > w->received) {
    auto name = more_objects_name(w->received, w->num_found);
    w->out.entries.push_back(
      dir_entry{name, info_file_attr(*info_file_text(name, st.config.object_limit))});
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

void next_page(faceted_search_ptr self, std::shared_ptr<object_walk> w) {
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

}  // namespace

void list_objects(faceted_search_ptr self, std::vector<std::string> fq, listing head,
                  listing_stream_ptr stream, std::string key, listing_callback done) {
  auto& st = self->state;
  auto w = std::make_shared<object_walk>();
  w->query.fq = std::move(fq);
  w->query.fl = {"id", "dateUploaded"};
  w->query.sort = "id asc";
  w->query.cursor_mark = "*";
  w->deadline = self->clock().now() + std::chrono::milliseconds(2ull * st.config.timeout_ms);
  w->done = std::move(done);
  w->stream = std::move(stream);
  w->key = std::move(key);
  w->out = std::move(head);
  w->out.cache = cache_class::search;
  next_page(self, w);
}

}  // namespace d1
