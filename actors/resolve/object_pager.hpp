// object_pager: the objects of a search folder, walked with Solr cursorMark pages. Each page
// is listed while the next one is on its way; past object_limit an informational file says
// how many more match.
#pragma once

#include "actors/resolve/faceted_search.hpp"
#include "messages/listing_stream.hpp"

#include <string>
#include <vector>

namespace d1 {

/// Lists `head` (the folder's @field folders) followed by one folder per object matching
/// the filters `fq`, by id, at most config.object_limit of them (then an informational
/// file). With a `stream`, the entries go there page by page and it is sealed at the end;
/// `done` then gets the listing only if other callers joined the listing `key`, else an
/// empty one (the stream's owner takes the sealed listing). A failed page, or the walk
/// taking over 2 × config.timeout_ms, answers `done` with the error.
void list_objects(faceted_search_ptr self, std::vector<std::string> fq, listing head,
                  listing_stream_ptr stream, std::string key, listing_callback done);

}  // namespace d1
