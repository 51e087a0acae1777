// What the parts of content_cache share: its entries, their bytes on disk and records
// (content_cache_store.cpp), the ranged transfers that fill them
// (content_cache_transfers.cpp) and the Status texts (content_cache_report.cpp).
// Internal to actors/dataone.
#pragma once

#include "actors/dataone/content_cache.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace d1::content_cache_internal {

using self_ptr = content_cache_engine_actor::stateful_pointer<content_cache_state>;
using entry = content_cache_state::entry;

// -- names and texts (content_cache_store.cpp) ----------------------------------------

/// Returns `s` in lower case (checksums compare without case).
std::string lower(std::string s);

/// Returns `x` rounded up to a multiple of `unit` (`x` itself for a zero unit).
uint64_t round_up(uint64_t x, uint64_t unit);

/// Returns the path of the verified bytes of the object named `name`.
std::string final_path(const content_cache_state& st, const std::string& name);

/// Returns the path of the partial bytes of the object named `name`.
std::string part_path(const content_cache_state& st, const std::string& name);

/// Keeps `line`, stamped with the time, for Status/downloads (bounded).
void remember_failure(content_cache_state& st, const std::string& line);

/// Returns "bytes <begin>-<end - 1>", as the log and Status name a range.
std::string range_text(uint64_t begin, uint64_t end);

/// Returns the node and URL of location `location` of `e`, or "no location".
std::string where(const entry& e, size_t location);

// -- entries, accounting and records (content_cache_store.cpp) ------------------------

/// Sets the bytes `e` holds on disk and the cache's total with them.
void set_disk_bytes(content_cache_state& st, entry& e, uint64_t bytes);

/// Stops every transfer of `e`; what they wrote stays (and is persisted).
void cancel_transfers(content_cache_state& st, entry& e);

/// Erases the record of partial object `name` (a failure is logged).
void erase_record(content_cache_state& st, const std::string& name);

/// Sends the cache its next tick unless one is on its way.
void schedule_tick(self_ptr self);

/// Writes the present ranges of every partial object that changed, in one batch.
void persist(content_cache_state& st);

/// Deletes least recently used objects nobody holds until the total fits in `budget`
/// (`keep` stays even if it alone is over it). Returns the bytes freed.
uint64_t evict(content_cache_state& st, const std::string& keep, uint64_t budget);

/// evict() down to the configured max_bytes.
void evict(content_cache_state& st, const std::string& keep);

/// Hashes the bytes of `stream` that landed before its digest could follow them, in a
/// worker of its own.
void spawn_catch_up(self_ptr self, std::shared_ptr<object_stream> stream);

/// Returns the stream of `e`, opened if needed; ec::io_error if its file cannot be opened.
caf::expected<std::shared_ptr<object_stream>> ensure_stream(self_ptr self,
                                                            const std::string& name, entry& e);

/// Returns the file name and entry of `ref`, created if needed: a verified file that
/// vanished or a partial one for other bytes (a changed checksum) starts over.
/// ec::invalid_argument for a bad ref or one whose old bytes are still open.
caf::expected<std::pair<std::string, entry*>> entry_for(self_ptr self, const object_ref& ref);

/// Rebuilds the entries from the directory: verified files by name, oldest first in the
/// LRU; partial files whose record survived; other .part files (and records without a
/// file) are leftovers and go. Returns ec::io_error if the directory cannot be made or
/// listed.
caf::error scan(content_cache_state& st);

// -- transfers (content_cache_transfers.cpp) ------------------------------------------

/// Reads need [begin, end): fetches it, once the locations are known (resolving them
/// first if needed).
void on_demand(self_ptr self, const std::string& name, entry& e, uint64_t begin,
               uint64_t end);

/// Keeps [from, from + readahead) landed or being fetched, and sets the mark whose
/// passing asks for more.
void extend_window(self_ptr self, const std::string& name, entry& e, uint64_t from);

/// Fetches what is missing from the start, a few transfers at a time, so the whole
/// object can be verified (a tail read or a fetch waits for it).
void fill(self_ptr self, const std::string& name, entry& e);

// -- Status (content_cache_report.cpp) ------------------------------------------------

/// Returns the text of Status/downloads.
std::string downloads_text(const content_cache_state& st);

/// Returns the values behind Status/content.
content_report make_report(self_ptr self);

/// Returns the cache's counters with the present entries and bytes filled in.
cache_stats make_stats(const content_cache_state& st);

}  // namespace d1::content_cache_internal
