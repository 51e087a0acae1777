// value_folders: the listing of an `@field/` folder: one `#value/` folder per value with
// matches (by count or by value), or for a date field one `#year/` folder per year with
// matches; past value_limit an informational file.
#pragma once

#include "actors/resolve/faceted_search.hpp"

#include <string>
#include <vector>

namespace d1 {

/// Lists the values of `field` among the objects matching the filters `fq`, each folder
/// sized by its count; `done` gets the listing or the error of a failed query.
void list_values(faceted_search_ptr self, std::vector<std::string> fq, std::string field,
                 listing_callback done);

}  // namespace d1
