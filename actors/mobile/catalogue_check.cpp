// `d1drive catalogue check`: every record read, every invariant the jobs rely on tested.
// The daemon runs it on request; the command line runs it itself when no daemon does.
// Reports; never repairs (a repair is a decision for an operator).
#include "actors/mobile/catalogue_codec.hpp"
#include "actors/mobile/catalogue_db.hpp"
#include "actors/mobile/spec_handlers.hpp"

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
  checker c{*store_, out, {}, {}};
  c.each<resource_record>("resources", [&](const std::string& k, resource_record r) {
    ++out.resources;
    c.resources[k] = std::move(r);
  });
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
  for (auto& [uid, r] : c.resources)
    if (!with_files.count(uid) && !forced.count(uid))
      c.problem("resource '" + uid + "' has no copy and no forced removal on record");
  c.each<journal_entry>("journal", [](const std::string&, journal_entry) {});
  // Every job's files are files of its resource.
  std::map<std::string, std::set<std::string>> rel_paths;
  c.each<job_record>("jobs", [&](const std::string& key, job_record j) {
    ++out.jobs;
    auto r = c.resources.find(j.request.uid);
    if (r == c.resources.end()) {
      c.problem("job " + std::to_string(j.id) + " is about resource '" + j.request.uid
                + "', which is not registered");
      return;
    }
    auto& rels = rel_paths[j.request.uid];
    if (rels.empty()) {
      auto listing = list_spec_files(r->second.spec, r->second.path, r->second.kwargs);
      if (!listing) {
        c.problem("resource '" + j.request.uid + "' cannot list its files: "
                  + describe(listing.error()));
        return;
      }
      rels.insert(listing->rel_paths.begin(), listing->rel_paths.end());
    }
    auto err = store_->scan_prefix("job_files", key, [&](std::string_view, std::string_view v) {
      auto f = unpack<job_file>(v, "job_files");
      if (!f)
        c.problem("a file of job " + std::to_string(j.id) + " does not decode: "
                  + describe(f.error()));
      else if (!rels.count(f->rel_path))
        c.problem("job " + std::to_string(j.id) + " names " + f->rel_path
                  + ", which is not a file of resource '" + j.request.uid + "'");
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
