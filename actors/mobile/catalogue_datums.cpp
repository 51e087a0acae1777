// The catalogue's datum tables: datums (datum id → datum record), datums_by_resource
// (resource uid + order → datum id: a resource's datums in registration order) and
// datum_stats (datum id → what its last datum hash found; rebuildable from the files).
#include "actors/mobile/catalogue_codec.hpp"
#include "actors/mobile/catalogue_db.hpp"

#include "actors/mobile/datum_files.hpp"
#include "messages/error.hpp"

#include <cstdio>
#include <set>
#include <string_view>

namespace d1 {

namespace {

constexpr const char* t_datums = "datums";
constexpr const char* t_datum_index = "datums_by_resource";
constexpr const char* t_datum_stats = "datum_stats";

// Generated ids that are already taken are skipped; a resource with this many taken in a
// row was named by hand on purpose, and the registration says so.
constexpr int max_generated_tries = 1000;

}  // namespace

std::string datum_index_key(const std::string& resource_uid, uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return resource_uid + '\0' + buf;
}

caf::expected<spec_listing> catalogue_db::listing_of(const resource_record& r) {
  std::vector<std::string> kwargs;
  if (files_from_datums(r.spec, r.kwargs)) {
    auto datums = list_datums(r.uid);
    if (!datums)
      return std::move(datums.error());
    for (auto& d : *datums)
      kwargs.push_back(std::move(d.kwargs));
  }
  return list_resource_files(r.spec, r.path, r.kwargs, kwargs);
}

caf::expected<std::vector<datum_record>> catalogue_db::list_datums(const std::string& uid) {
  // The ids first: a scan's callback must not read the store again.
  std::vector<std::string> ids;
  auto err = store_->scan_prefix(t_datum_index, uid + '\0',
                                 [&](std::string_view, std::string_view id) {
                                   ids.emplace_back(id);
                                   return true;
                                 });
  if (err)
    return err;
  std::vector<datum_record> out;
  out.reserve(ids.size());
  for (auto& id : ids) {
    auto raw = store_->get(t_datums, id);
    if (!raw)
      return std::move(raw.error());
    if (!*raw)
      return make_error(ec::storage_error, "datums_by_resource names datum '" + id
                                             + "', which is not recorded");
    auto d = unpack<datum_record>(**raw, t_datums);
    if (!d)
      return std::move(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

namespace {

// The recorded statistics of `datum_id` (hash empty if none), or the read's error.
caf::expected<datum_stats_record> stats_of(storage::kv_store& store,
                                           const std::string& datum_id) {
  auto raw = store.get(t_datum_stats, datum_id);
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return datum_stats_record{};
  return unpack<datum_stats_record>(**raw, t_datum_stats);
}

}  // namespace

caf::expected<std::vector<datum_detail>> catalogue_db::datum_details(const std::string& uid) {
  auto known = store_->get(t_resources, uid);
  if (!known)
    return std::move(known.error());
  if (!*known)
    return make_error(ec::not_found, "resource '" + uid + "' is not registered");
  auto datums = list_datums(uid);
  if (!datums)
    return std::move(datums.error());
  std::vector<datum_detail> out;
  out.reserve(datums->size());
  for (auto& d : *datums) {
    auto stats = stats_of(*store_, d.datum_id);
    if (!stats)
      return std::move(stats.error());
    out.push_back(datum_detail{std::move(d), std::move(*stats)});
  }
  return out;
}

caf::expected<datum_detail> catalogue_db::get_datum(const std::string& datum_id) {
  if (datum_id.empty() || datum_id.size() > 200)
    return make_error(ec::not_found, "datum '" + datum_id + "'");
  auto raw = store_->get(t_datums, datum_id);
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return make_error(ec::not_found, "datum '" + datum_id + "' is not registered");
  auto d = unpack<datum_record>(**raw, t_datums);
  if (!d)
    return std::move(d.error());
  auto stats = stats_of(*store_, datum_id);
  if (!stats)
    return std::move(stats.error());
  return datum_detail{std::move(*d), std::move(*stats)};
}

void catalogue_txn::put_datum_stats(const datum_stats_record& s) {
  batch_.put(t_datum_stats, s.datum_id, pack(s));
}

caf::expected<datums_added> catalogue_txn::add_datums(const datum_registration& reg) {
  auto& uid = reg.resource_uid;
  auto raw = db_.store_->get(t_resources, uid);
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return make_error(ec::not_found, "resource '" + uid + "' is not registered");
  auto resource = unpack<resource_record>(**raw, t_resources);
  if (!resource)
    return std::move(resource.error());
  auto& r = *resource;
  if (reg.datums.empty())
    return make_error(ec::invalid_argument, "no datums to register");
  auto existing = db_.list_datums(uid);
  if (!existing)
    return std::move(existing.error());
  datums_added out;
  std::set<std::string> ids;  // this registration's
  std::vector<std::string> old_kwargs, all_kwargs;
  for (auto& d : *existing)
    old_kwargs.push_back(d.kwargs);
  all_kwargs = old_kwargs;
  auto now = now_ms();
  for (size_t i = 0; i < reg.datums.size(); ++i) {
    auto d = reg.datums[i];
    auto which = d.datum_id.empty() ? "datum " + std::to_string(i + 1) + " of "
                                        + std::to_string(reg.datums.size())
                                    : "datum '" + d.datum_id + "'";
    if (d.kwargs.empty())
      d.kwargs = "{}";
    if (auto sel = select_datum(r.spec, r.path, r.kwargs, d.kwargs); !sel)
      return make_error(ec::invalid_argument, which + ": " + context_of(sel.error()));
    auto seq = assign_datum_id(uid, d, which, ids);
    if (!seq)
      return std::move(seq.error());
    d.version = 1;
    d.resource_uid = uid;
    d.created = now;
    d.seq = *seq;
    ids.insert(d.datum_id);
    batch_.put(t_datums, d.datum_id, pack(d));
    batch_.put(t_datum_index, datum_index_key(uid, d.seq), d.datum_id);
    out.datum_ids.push_back(d.datum_id);
    all_kwargs.push_back(d.kwargs);
  }
  out.detail.resource = r;
  if (!files_from_datums(r.spec, r.kwargs)) {
    auto listing = list_resource_files(r.spec, r.path, r.kwargs, {});
    if (!listing)
      return std::move(listing.error());
    out.detail.rel_paths = std::move(listing->rel_paths);
    return out;
  }
  if (auto err = add_datum_files(r, old_kwargs, all_kwargs, out))
    return err;
  return out;
}

caf::expected<uint64_t> catalogue_txn::assign_datum_id(const std::string& uid, datum_record& d,
                                                       const std::string& which,
                                                       const std::set<std::string>& ids) {
  auto is_taken = [&](const std::string& id) -> caf::expected<bool> {
    auto found = db_.store_->get(t_datums, id);
    if (!found)
      return std::move(found.error());
    return found->has_value();
  };
  auto seq = next("datums:" + uid);
  if (!seq)
    return std::move(seq.error());
  if (d.datum_id.empty()) {
    // As the filestore's compose_datum names them: the resource uid, '/', a counter
    // from 0. A name someone took by hand is skipped.
    for (int tries = 0;; ++tries) {
      auto id = uid + "/" + std::to_string(*seq - 1);
      auto taken = is_taken(id);
      if (!taken)
        return std::move(taken.error());
      if (!*taken && !ids.count(id) && id.size() <= 200) {
        d.datum_id = id;
        break;
      }
      if (tries == max_generated_tries)
        return make_error(ec::invalid_argument,
                          which + ": no free generated id after " + id + "; give ids");
      seq = next("datums:" + uid);
      if (!seq)
        return std::move(seq.error());
    }
  } else {
    if (auto err = check_uid(d.datum_id, "datum uid"))
      return err;
    auto taken = is_taken(d.datum_id);
    if (!taken)
      return std::move(taken.error());
    if (*taken || ids.count(d.datum_id))
      return make_error(ec::invalid_argument,
                        "datum '" + d.datum_id + "' is already registered");
  }
  return seq;
}

caf::error catalogue_txn::add_datum_files(const resource_record& r,
                                          const std::vector<std::string>& old_kwargs,
                                          const std::vector<std::string>& all_kwargs,
                                          datums_added& out) {
  auto before = list_resource_files(r.spec, r.path, r.kwargs, old_kwargs);
  if (!before)
    return std::move(before.error());
  auto after = list_resource_files(r.spec, r.path, r.kwargs, all_kwargs);
  if (!after)
    return std::move(after.error());
  std::set<std::string> listed(before->rel_paths.begin(), before->rel_paths.end());
  for (auto& rel : after->rel_paths) {
    if (listed.count(rel))
      continue;
    out.new_files.push_back(rel);
    auto f = unhashed_record(r, rel, after->expected_digest);
    // A record left at that path (e.g. by a copy before the listing changed) is kept.
    auto old = stored(f);
    if (!old)
      return std::move(old.error());
    if (!*old)
      put_file(f);
    out.detail.files.push_back(*old ? **old : f);
  }
  out.detail.rel_paths = std::move(after->rel_paths);
  return {};
}

}  // namespace d1
