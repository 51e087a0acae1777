// Every typed actor interface of d1drive, in one place: this header is the map of who
// talks to whom. Errors travel as caf::error with category "d1" (messages/error.hpp).
#pragma once

#include "messages/atoms.hpp"
#include "messages/cache_types.hpp"
#include "messages/dataone_types.hpp"
#include "messages/datum_types.hpp"
#include "messages/fs_reply.hpp"
#include "messages/fs_types.hpp"
#include "messages/http_types.hpp"
#include "messages/mobile_types.hpp"
#include "messages/object_bytes.hpp"

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <string>
#include <vector>

namespace d1 {

// -- network -------------------------------------------------------------------------

/// Performs one HTTP transfer (libcurl multi in one event-loop thread). Any HTTP status is
/// a response; transport failures are ec::timeout or ec::network.
using http_client_actor = caf::typed_actor<
  // Transfers `request`; replies when the whole body has arrived.
  caf::replies_to<http_request>::with<http_response>>;

// -- DataONE ---------------------------------------------------------------------------

/// Queries the Coordinating Node's Solr index. Identical concurrent queries are sent once.
using solr_querier_actor = caf::typed_actor<
  // Runs a select query; Solr errors are ec::http_status with Solr's message.
  caf::replies_to<select_atom, solr_query>::with<solr_response>,
  // Returns the index record of one PID; ec::not_found if the index has none.
  caf::replies_to<record_atom, std::string>::with<solr_record>,
  // CN query/solr: the fields of the query engine description, read once and then kept
  // (a failed read is not kept: the next caller reads again).
  caf::replies_to<fields_atom>::with<std::vector<query_field>>,
  // What the querier did since it started (for Status).
  caf::replies_to<stats_atom>::with<solr_querier_stats>>;

/// Reads the CN and member-node REST APIs.
using node_client_actor = caf::typed_actor<
  // CN meta/{pid}: system metadata; ec::not_found for an unknown PID.
  caf::replies_to<meta_atom, std::string>::with<system_metadata>,
  // CN resolve/{pid}: where the bytes are, authoritative node first.
  caf::replies_to<resolve_atom, std::string>::with<std::vector<object_location>>,
  // CN formats: the object format list (fetched once, then kept).
  caf::replies_to<formats_atom>::with<std::vector<object_format>>,
  // CN node: the node list.
  caf::replies_to<nodes_atom>::with<std::vector<node_description>>,
  // Streams the bytes [begin, end) at `location` (HTTP Range, no retries: the caller
  // resumes) into the sink, which checks the response headers before any byte; replies
  // the body bytes the sink took. A connection that stalls for network.stall_ms is
  // ec::timeout, a reset or short body ec::network, a 5xx ec::http_status, a 416
  // ec::invalid_argument; the sink's own failures come back as it made them.
  caf::replies_to<fetch_atom, object_location, uint64_t, uint64_t, body_sink_ptr>::with<
    uint64_t>>;

/// Object bytes on local disk, fetched in ranges as readers need them, verified against
/// their system-metadata checksum before the last chunk is served. See docs/streaming.md.
using content_cache_actor = caf::typed_actor<
  // The bytes of an object for reading (nothing is fetched before a read asks); pinned
  // against eviction while a reader has it open. ec::invalid_argument for a ref without
  // a known checksum.
  caf::replies_to<open_atom, object_ref>::with<object_bytes_ptr>,
  // Returns the path of a verified local copy, downloading it first if needed;
  // ec::checksum_mismatch if no location has matching bytes (they are never served).
  caf::replies_to<fetch_atom, object_ref>::with<std::string>,
  caf::replies_to<stats_atom>::with<cache_stats>,
  // Status/downloads: objects being fetched, partial ones, recent failures, as text.
  caf::replies_to<list_atom>::with<std::string>,
  // Status/content: objects and bytes held, downloads in flight with their rates, the
  // last checksum failures (PID, replica, expected and computed values).
  caf::replies_to<report_atom>::with<content_report>>;

// -- resolvers -------------------------------------------------------------------------

/// One level of the mount tree (root, flat_space, …): answers for the path segments it
/// owns and hands the rest to the next level. Error folders are answers, not errors;
/// a caf::error means "no such entry" (ec::not_found) or an internal failure.
using resolver_actor = caf::typed_actor<
  caf::replies_to<get_attr_atom, resolve_request>::with<node_info>,
  caf::replies_to<get_dir_atom, resolve_request>::with<listing>>;

/// Turns a PID into an object folder (or an error folder) and delegates to the
/// object_resolver that fits its format type.
using d1_object_actor = caf::typed_actor<
  // Attributes of the path below the object whose PID is given; request.depth points at
  // the first segment below the object folder.
  caf::replies_to<get_attr_atom, std::string, resolve_request>::with<node_info>,
  caf::replies_to<get_dir_atom, std::string, resolve_request>::with<listing>,
  // The descriptor of one PID (system metadata, index record, file name).
  caf::replies_to<get_atom, std::string>::with<object_descriptor>>;

/// The folder of one known object (science_object; later package).
using object_resolver_actor = caf::typed_actor<
  caf::replies_to<get_attr_atom, object_descriptor, resolve_request>::with<node_info>,
  caf::replies_to<get_dir_atom, object_descriptor, resolve_request>::with<listing>>;

/// The folder of a package (formatType RESOURCE): members are object folders, resolved
/// through d1_object, whose handle it is given once both are spawned (they need each other).
using package_actor = object_resolver_actor::extend<
  caf::reacts_to<put_atom, d1_object_actor>>;

/// Faceted search (FacetedSearch/, and PreconfiguredSearch/<name>/ through the second pair
/// of handlers): a resolver whose folders are Solr queries. The vector holds base filter
/// queries (fq) that every query below the folder carries; an empty one is the whole index.
using faceted_search_actor = resolver_actor::extend<
  caf::replies_to<get_attr_atom, std::vector<std::string>, resolve_request>::with<node_info>,
  caf::replies_to<get_dir_atom, std::vector<std::string>, resolve_request>::with<listing>>;

// -- file system -----------------------------------------------------------------------

/// Attributes by mount path: bounded LRU in memory over an LMDB table, TTL per class.
using attr_cache_actor = caf::typed_actor<
  caf::replies_to<get_atom, std::string>::with<cached_attr>,
  caf::reacts_to<put_atom, std::string, node_info>,
  caf::replies_to<stats_atom>::with<cache_stats>,
  // Writes pending records to LMDB now (they are otherwise batched for up to 50 ms).
  caf::reacts_to<flush_atom>>;

/// Listings by mount path: bounded LRU in memory over an LMDB table, TTL per class.
/// Listings travel as listing_ptr (shared, never copied); a null listing_ptr is a miss.
using dir_cache_actor = caf::typed_actor<
  caf::replies_to<get_atom, std::string>::with<listing_ptr>,
  // The attributes of the entry `name` (2nd string) of the cached listing of a folder
  // (1st string), if that listing is unexpired and the entry's own class may be served
  // that long: lookups after a listing need no per-child attr_cache record.
  caf::replies_to<get_atom, std::string, std::string>::with<cached_attr>,
  caf::reacts_to<put_atom, std::string, listing_ptr>,
  caf::replies_to<stats_atom>::with<cache_stats>,
  // Writes pending records to LMDB now (they are otherwise batched for up to 50 ms).
  caf::reacts_to<flush_atom>>;

/// Where every FUSE request enters the actor world. Paths are absolute mount paths
/// ("/FlatSpace/x"); the int32_t is the calling process (0 if unknown).
using fs_gateway_actor = caf::typed_actor<
  // Attributes of `name` inside the directory `parent`.
  caf::reacts_to<lookup_atom, fs_reply_ptr, std::string, std::string, int32_t>,
  // Attributes of a path whose cached attributes expired.
  caf::reacts_to<get_attr_atom, fs_reply_ptr, std::string, int32_t>,
  // The listing of a directory being opened.
  caf::reacts_to<opendir_atom, fs_reply_ptr, std::string, int32_t>,
  // An open of an object's bytes (the reply gets them through fs_reply::object).
  caf::reacts_to<open_atom, fs_reply_ptr, object_ref, int32_t>>;

/// Decides which processes may spend cold (uncached) queries: known crawlers never,
/// everyone else from a per-process token bucket, depth-first listers are flagged.
using crawl_guard_actor = caf::typed_actor<
  // May process `pid` spend a cold query on the mount path? The bool is true for a
  // listing (opendir), false for a lookup. Replies "" to go ahead, else why not.
  caf::replies_to<admit_atom, int32_t, std::string, bool>::with<std::string>,
  // May process `pid` start reading the uncached object whose PID is given, of the
  // given size in bytes (charged to its byte budget)? Replies "" or why not.
  caf::replies_to<admit_atom, int32_t, std::string, uint64_t>::with<std::string>,
  // Process `pid` read a file's bytes: it is not a pure crawl.
  caf::reacts_to<read_atom, int32_t>,
  // The state as text (Status/crawl, `d1drive crawl list`).
  caf::replies_to<list_atom>::with<std::string>,
  // Trusts a pid or a process name; replies what it did.
  caf::replies_to<allow_atom, std::string>::with<std::string>,
  // Forgets flags and trust of a pid or name; replies what it did.
  caf::replies_to<forget_atom, std::string>::with<std::string>>;

// -- mobile files ----------------------------------------------------------------------
// Semantics, errors and dry runs: docs/mobile-files.md.

/// The catalogue (its own durable LMDB environment, <state_dir>/catalogue.lmdb): resources,
/// files, reference counts, history, journal. Reads only: registration and every location
/// change go through job_manager (same catalogue_db).
using catalogue_actor = caf::typed_actor<
  // One resource with all its file records (every root); ec::not_found.
  caf::replies_to<get_atom, resource_atom, std::string>::with<resource_detail>,
  // Every resource, by uid.
  caf::replies_to<list_atom, resource_atom>::with<std::vector<resource_record>>,
  // The location history of one resource, oldest first ("" = of every resource).
  caf::replies_to<history_atom, std::string>::with<std::vector<history_entry>>,
  // Journal entries with seq > the first argument, oldest first, at most `limit` (0: all).
  caf::replies_to<journal_atom, uint64_t, uint32_t>::with<std::vector<journal_entry>>,
  // Where a resource's copies are, best first for this host; ec::not_found.
  caf::replies_to<locate_atom, std::string>::with<location_report>,
  // Reads every record and checks the catalogue's invariants (every resource has a
  // verified copy or a recorded forced removal, reference counts equal references, every
  // job's files belong to its resource); a record that does not decode is a problem too.
  caf::replies_to<check_atom>::with<catalogue_report>,
  // The datums of a resource in registration order, each with its recorded statistics;
  // ec::not_found for an unknown resource.
  caf::replies_to<list_atom, datum_atom, std::string>::with<std::vector<datum_detail>>,
  // One datum (by datum id) with its recorded statistics; ec::not_found.
  caf::replies_to<get_atom, datum_atom, std::string>::with<datum_detail>>;

/// Runs the background jobs that change or check where files are: up to max_active_jobs at
/// once when their files do not overlap, otherwise in submission order; files go to the
/// workers in batches. Jobs are persisted with a per-file checkpoint and resumed after a
/// restart.
using job_manager_actor = caf::typed_actor<
  // Registers a resource (as catalogue's register) and queues the job that hashes its
  // files; replies the job id and the resource uid. Errors as catalogue's register.
  caf::replies_to<register_atom, job_request>::with<job_ticket>,
  // Adds datums to a registered resource (one transaction, journaled). Files the datums
  // add to the resource's list (AD_TIFF without num_points) get unhashed records on the
  // resource's root and a register job that hashes only them. ec::not_found for an unknown
  // resource; ec::invalid_argument for datum kwargs the spec refuses, a bad or taken
  // datum id (nothing is written then).
  caf::replies_to<register_atom, datum_atom, datum_registration>::with<datum_ticket>,
  // Queues a copy, move, remove, change_root, verify or datum_hash job (request.kind); with dry_run
  // (copy/move/remove) replies the plan and does nothing. ec::not_found for an unknown
  // resource; ec::invalid_argument for a bad root, no verified source copy, or removing
  // the last verified copy without force_last.
  caf::replies_to<submit_atom, job_request>::with<job_ticket>,
  // Every job known (persisted), newest first.
  caf::replies_to<list_atom, job_atom>::with<std::vector<job_record>>,
  // For Status: every queued or running job and the `ended` newest finished ones, newest
  // first; each job's files hold only its failed steps (at most a few; the count is in
  // progress.files_failed).
  caf::replies_to<list_atom, job_atom, uint32_t>::with<std::vector<job_record>>,
  // One job with its progress and per-file states; ec::not_found.
  caf::replies_to<get_atom, job_atom, uint64_t>::with<job_record>,
  // The same without the per-file states (files empty): cheap for a job of many files,
  // what a progress display polls. ec::not_found.
  caf::replies_to<progress_atom, uint64_t>::with<job_record>,
  // Cancels a queued or running job: it ends `cancelled` at once, its workers stop within
  // a file or a piece, and what they completed is still recorded when they answer;
  // replies the job as it then is. A finished job is replied unchanged. ec::not_found.
  caf::replies_to<cancel_atom, uint64_t>::with<job_record>,
  // Replies when the job has ended (done, failed or cancelled); at once if it has.
  // ec::not_found.
  caf::replies_to<wait_atom, uint64_t>::with<job_record>,
  // Submits again the files a finished job did not complete (failed, pending), as a new
  // job of the same kind; ec::not_found, ec::invalid_argument for a job still running or
  // one with nothing to retry.
  caf::replies_to<retry_atom, uint64_t>::with<job_ticket>,
  // `resource shift-root`: moves `by` leading components of the resource's path into its
  // root (by < 0: trailing components of the root back into the path), at once and
  // journaled; files untouched. ec::not_found; ec::invalid_argument for a shift past
  // either end (nothing changes); ec::refused while a job on the resource is queued or
  // running.
  caf::replies_to<shift_atom, std::string, int32_t>::with<root_shift>,
  // Its own timers: a job's retry or pacing time has come; time to look for copies due
  // for a scrub.
  caf::reacts_to<tick_atom, uint64_t>,
  caf::reacts_to<scrub_atom>>;

/// Copies and deletes single files beneath roots. Takes only values: it may run on
/// another machine and shares neither a filesystem view nor LMDB with the job manager.
using copy_worker_actor = caf::typed_actor<
  // Copies the items of one batch (see copy_batch_request) from src_root to the same
  // relative paths under dst_root: a fresh temporary name in the destination directory
  // (O_EXCL, 0600), hash of the bytes written, the source's owner, mode and mtime, one
  // syncfs, compare with expected_digest, rename, fsync of each directory. One outcome per
  // item, in order: ec::checksum_mismatch, ec::io_error, ec::no_space, ec::invalid_path
  // for escapes, symlinks and files that are not regular, ec::refused for a destination
  // that is the source itself (an alias of its root). A failed item leaves nothing behind
  // and does not stop the others unless the destination is full (then the rest fail with
  // the same ec::no_space) or the job was cancelled (ec::cancelled).
  caf::replies_to<copy_batch_atom, copy_batch_request>::with<copy_batch_result>,
  // Deletes root/<each item> once the item and one of its witnesses were re-checked on
  // disk (see remove_batch_request), then fsyncs each directory once. One outcome per
  // item, in order: an absent file is removed=false; ec::refused when a re-check fails
  // (nothing deleted), ec::invalid_path, ec::io_error.
  caf::replies_to<remove_atom, remove_batch_request>::with<std::vector<remove_outcome>>>;

/// A copy worker's second thread: syncs, checks and renames the batch the worker has just
/// written, while the worker writes the next one. The worker delegates each copy_batch
/// request here, so this reply is the reply to the job manager. Values only: it reopens
/// the destination's directories by path.
using copy_finisher_actor = caf::typed_actor<
  caf::replies_to<copy_batch_atom, staged_copy_batch>::with<copy_batch_result>>;

/// Checks and hashes single files beneath roots (values only, like copy_worker).
using hash_worker_actor = caf::typed_actor<
  // Checks each root/rel_path to its request's level, in turn, one result per request, in
  // order; a missing or mismatching file is a result. Stops early once more than
  // max_bytes were read: fewer results than requests means the rest were not attempted.
  // A bad path (escape, symlink) or unknown algorithm is a result with state error.
  caf::replies_to<hash_atom, std::vector<hash_request>, uint64_t>::with<
    std::vector<hash_result>>,
  // Reads each datum's values from its root and hashes them canonically with their
  // statistics (hash_datum), in turn, one result per request, in order; an unreadable or
  // mismatching datum is a result. Fewer results than requests: the job was cancelled or
  // the daemon stops, the rest were not attempted.
  caf::replies_to<datum_atom, std::vector<datum_hash_request>>::with<
    std::vector<datum_hash_result>>>;

/// Makes the catalogue's rolling backups (detached: a copy blocks on the disk).
using catalogue_backup_actor = caf::typed_actor<
  // Makes a backup now and schedules the next one.
  caf::reacts_to<tick_atom>>;

}  // namespace d1
