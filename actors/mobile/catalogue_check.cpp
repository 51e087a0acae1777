// `d1drive catalogue check`: every record read, every invariant the jobs rely on tested.
// The daemon runs it on request; the command line runs it itself when no daemon does.
// Reports; never repairs (a repair is a decision for an operator).
#include "actors/mobile/catalogue_codec.hpp"
#include "actors/mobile/catalogue_db.hpp"
#include "actors/mobile/datum_files.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string_view>

namespace d1 {

namespace {

constexpr size_t max_problems = 1000;

struct checker {
  storage::kv_store& store;
  catalogue_report& out;
  std::map<std::string, resource_record> resources;
  std::map<std::string, file_record> files;  // by file_key
  std::map<std::string, datum_record> datums;  // by datum id
  std::map<std::string, std::vector<std::string>> datum_kwargs;  // by resource, in order
  std::map<std::string, std::set<std::string>> listed;  // each resource's files

  void problem(std::string p) {
    if (out.problems.size() < max_problems)
      out.problems.push_back(std::move(p));
    else if (out.problems.size() == max_problems)
      out.problems.push_back("… more problems not listed");
  }

  // Decodes every record of `table` as T and hands it to `use`; a record that does not
  // decode is a problem.
  template <class T, class Use>
  void each(const char* table, Use&& use) {
    auto err = store.scan_prefix(table, "", [&](std::string_view k, std::string_view v) {
      auto x = unpack<T>(v, table);
      if (!x)
        problem(std::string{table} + " record '" + printable(k) + "' does not decode: "
                + describe(x.error()));
      else
        use(std::string{k}, std::move(*x));
      return true;
    });
    if (err)
      problem(std::string{"reading "} + table + ": " + describe(err));
  }

  static std::string printable(std::string_view k) {
    std::string out;
    for (char c : k)
      out += (c == '\0') ? '/' : c;
    return out;
  }

  // The files resource `uid` lists (its datums' files where they name them); nullptr
  // (and a problem, once) if it cannot list them.
  const std::set<std::string>* files_of(const std::string& uid) {
    if (auto i = listed.find(uid); i != listed.end())
      return &i->second;
    auto r = resources.find(uid);
    if (r == resources.end())
      return nullptr;
    auto& x = r->second;
    auto listing = list_resource_files(x.spec, x.path, x.kwargs, datum_kwargs[uid]);
    if (!listing) {
      problem("resource '" + uid + "' cannot list its files: " + describe(listing.error()));
      listed[uid];
      return nullptr;
    }
    return &(listed[uid] = {listing->rel_paths.begin(), listing->rel_paths.end()});
  }

  // Datums belong to registered resources, each is in its resource's index under its own
  // place and the index names only such datums; statistics are of registered datums.
  void check_datums() {
    each<datum_record>("datums", [&](const std::string& key, datum_record d) {
      if (d.datum_id != key)
        problem("datum record '" + printable(key) + "' names itself '" + d.datum_id + "'");
      if (!resources.count(d.resource_uid))
        problem("datum '" + d.datum_id + "' belongs to resource '" + d.resource_uid
                + "', which is not registered");
      datums[key] = std::move(d);
    });
    std::set<std::string> indexed;
    auto err = store.scan_prefix("datums_by_resource", "",
                                 [&](std::string_view k, std::string_view v) {
                                   std::string id{v};
                                   auto d = datums.find(id);
                                   if (d == datums.end())
                                     problem("datums_by_resource '" + printable(k)
                                             + "' names datum '" + id
                                             + "', which is not recorded");
                                   else if (datum_index_key(d->second.resource_uid,
                                                            d->second.seq)
                                            != k)
                                     problem("datums_by_resource '" + printable(k)
                                             + "' names datum '" + id
                                             + "', which is not recorded under that key");
                                   else if (indexed.insert(id).second)
                                     datum_kwargs[d->second.resource_uid].push_back(
                                       d->second.kwargs);
                                   return true;
                                 });
    if (err)
      problem(std::string{"reading datums_by_resource: "} + describe(err));
    for (auto& [id, d] : datums)
      if (!indexed.count(id))
        problem("datum '" + id + "' is missing from datums_by_resource: resource '"
                + d.resource_uid + "' does not list it");
    each<datum_stats_record>("datum_stats", [&](const std::string& key, datum_stats_record s) {
      auto d = datums.find(key);
      if (d == datums.end())
        problem("datum_stats '" + printable(key) + "' are of a datum that is not registered");
      else if (s.resource_uid != d->second.resource_uid || s.datum_id != key)
        problem("datum_stats '" + printable(key) + "' name resource '" + s.resource_uid
                + "', the datum belongs to '" + d->second.resource_uid + "'");
    });
  }

  // Each reference of an index (by path or identity) names a record that is there and
  // carries that key, and each record is in its index.
  template <class KeyOf>
  void check_index(const char* table, KeyOf&& key_of, bool (*indexed)(const file_record&)) {
    std::set<std::string> referenced;
    each<path_refs>(table, [&](const std::string& key, path_refs r) {
      ++out.paths;
      if (r.refs.empty())
        problem(std::string{table} + " '" + printable(key) + "' holds no reference");
      for (auto& ref : r.refs) {
        auto fk = file_key(ref.resource_uid, ref.file_uid);
        auto f = files.find(fk);
        if (f == files.end())
          problem(std::string{table} + " '" + printable(key) + "' names a file record of '"
                  + ref.resource_uid + "' that does not exist");
        else if (key_of(f->second) != key)
          problem(std::string{table} + " '" + printable(key) + "' names " + f->second.abs_path
                  + ", which is not recorded under that key");
        else
          referenced.insert(fk);
      }
    });
    for (auto& [fk, f] : files)
      if (indexed(f) && !referenced.count(fk))
        problem(f.abs_path + " (resource '" + f.resource_uid + "') is missing from " + table
                + ": its reference is not counted");
  }
};

}  // namespace

caf::expected<catalogue_report> catalogue_db::check() {
  catalogue_report out;
  if (auto err = store_->check_structure()) {
    out.problems.push_back("the database is damaged: " + describe(err));
    return out;
  }
  checker c{*store_, out, {}, {}, {}, {}, {}};
  c.each<resource_record>("resources", [&](const std::string& k, resource_record r) {
    ++out.resources;
    c.resources[k] = std::move(r);
  });
  c.check_datums();
  c.each<file_record>("files", [&](const std::string& k, file_record f) {
    ++out.files;
    if (!c.resources.count(f.resource_uid))
      c.problem("file record " + f.abs_path + " belongs to resource '" + f.resource_uid
                + "', which is not registered");
    c.files[k] = std::move(f);
  });
  c.check_index(
    "files_by_path", [](const file_record& f) { return path_key(f.abs_path); },
    [](const file_record&) { return true; });
  c.check_index(
    "files_by_identity", [](const file_record& f) { return identity_key(f.stat); },
    [](const file_record& f) { return f.stat.ino != 0; });
  // Every resource has a copy, or its last copy was removed on purpose (force_last).
  std::set<std::string> with_files;
  for (auto& [k, f] : c.files)
    with_files.insert(f.resource_uid);
  std::set<std::string> forced;
  c.each<history_entry>("history", [&](const std::string&, history_entry h) {
    if (h.action == "remove_forced")
      forced.insert(h.resource_uid);
  });
  // (A resource whose datums name no file yet has nothing to copy.)
  for (auto& [uid, r] : c.resources) {
    if (with_files.count(uid) || forced.count(uid))
      continue;
    auto listed = c.files_of(uid);
    if (listed && !listed->empty())
      c.problem("resource '" + uid + "' has no copy and no forced removal on record");
  }
  c.each<journal_entry>("journal", [](const std::string&, journal_entry) {});
  // Every job's files are files of its resource (datums of it, for jobs on datums).
  std::map<std::string, std::set<std::string>> datum_ids;
  for (auto& [id, d] : c.datums)
    datum_ids[d.resource_uid].insert(id);
  c.each<job_record>("jobs", [&](const std::string& key, job_record j) {
    ++out.jobs;
    auto r = c.resources.find(j.request.uid);
    if (r == c.resources.end()) {
      c.problem("job " + std::to_string(j.id) + " is about resource '" + j.request.uid
                + "', which is not registered");
      return;
    }
    bool on_datums = works_on_datums(j);
    auto* names = on_datums ? &datum_ids[j.request.uid] : c.files_of(j.request.uid);
    if (!names)
      return;
    // Only the current phase's files: an earlier phase may have had more (get_job).
    uint64_t seen = 0;
    auto err = store_->scan_prefix("job_files", key, [&](std::string_view, std::string_view v) {
      if (seen++ >= j.progress.files_total)
        return false;
      auto f = unpack<job_file>(v, "job_files");
      if (!f)
        c.problem("a file of job " + std::to_string(j.id) + " does not decode: "
                  + describe(f.error()));
      else if (!names->count(f->rel_path))
        c.problem("job " + std::to_string(j.id) + " names " + f->rel_path + ", which is not a "
                  + (on_datums ? "datum" : "file") + " of resource '" + j.request.uid + "'");
      return true;
    });
    if (err)
      c.problem("reading the files of job " + std::to_string(j.id) + ": " + describe(err));
  });
  return out;
}

caf::expected<catalogue_report> catalogue_db::check_dir(const std::string& dir) {
  std::error_code err;
  if (!std::filesystem::exists(dir + "/data.mdb", err))
    return make_error(ec::not_found, "there is no catalogue in " + dir);
  auto db = open(dir);
  if (!db) {
    catalogue_report out;
    out.problems.push_back("the database cannot be opened: " + describe(db.error()));
    return out;
  }
  return (*db)->check();
}

}  // namespace d1
