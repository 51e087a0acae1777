// package: reads a package's resource map through content_cache (so the bytes that are
// parsed are the verified bytes resource_map.xml serves), asks the index for the members it
// relates to the package, and builds the folder; members are handed to d1_object.
#include "actors/resolve/package.hpp"

#include "actors/dataone/ore_parser.hpp"
#include "actors/resolve/science_object.hpp"
#include "messages/error.hpp"
#include "messages/path_codec.hpp"
#include "messages/solr_query.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

namespace d1 {

namespace {

using self_ptr = package_actor::stateful_pointer<package_state>;
using contents_ptr = package_state::contents_ptr;

constexpr const char* resource_map_name = "resource_map.xml";
constexpr const char* system_xml_name = "system.xml";
constexpr const char* search_fields_name = "search_fields.txt";

std::string path_upto(const resolve_request& req, size_t n) {
  std::vector<std::string> head(req.segments.begin(),
                                req.segments.begin() + std::min(n, req.segments.size()));
  return join_path(head);
}

caf::expected<std::string> read_whole_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(ec::io_error, "cannot open the cached resource map " + path);
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad())
    return make_error(ec::io_error, "cannot read the cached resource map " + path);
  return out.str();
}

// The three files every package folder has: the object folder's, with the bytes renamed.
listing fixed_files(const object_descriptor& desc) {
  auto out = object_folder_listing(desc);
  if (!out.entries.empty())
    out.entries.front().name = resource_map_name;
  return out;
}

node_info member_attr(int64_t uploaded) {
  node_info info;
  info.kind = entry_kind::directory;
  info.mtime = uploaded;  // the member folder's own date, when the index gave it
  // A member that turns out not to resolve becomes an error folder: let the attributes
  // expire like metadata rather than pin it as immutable.
  info.cache = cache_class::metadata;
  return info;
}

void remember(self_ptr self, const std::string& pid, contents_ptr c) {
  auto& st = self->state;
  st.lru.emplace_front(pid, std::move(c));
  st.by_pid[pid] = st.lru.begin();
  while (st.lru.size() > st.config.max_packages) {
    st.by_pid.erase(st.lru.back().first);
    st.lru.pop_back();
  }
}

// Joins the map fetch and the index query of one package.
struct contents_join {
  object_descriptor desc;
  std::string path;
  int pending = 2;
  caf::expected<std::string> bytes{std::string{}};
  std::vector<indexed_member> index_members;
  caf::error index_error;
};

void finish(self_ptr self, const std::shared_ptr<contents_join>& j) {
  if (--j->pending > 0)
    return;
  auto& st = self->state;
  ++st.maps_read;
  auto c = std::make_shared<package_contents>(
    make_package_contents(j->desc, j->bytes, j->index_members, j->index_error, j->path));
  // A passing failure (node down, timeout) is asked again next time; the rest is kept.
  if (!(c->trouble && c->trouble->transient) && c->index_ok)
    remember(self, j->desc.pid, c);
  st.reading.finish(j->desc.pid, std::move(c));
}

// Walks the members the index relates to the package (resourceMap:<pid>) with a cursor.
void query_index(self_ptr self, std::shared_ptr<contents_join> j, std::string cursor,
                 uint32_t page) {
  auto& st = self->state;
  solr_query q;
  q.q = solr_field_query("resourceMap", j->desc.pid);
  q.fl = {"id", "dateUploaded"};
  q.rows = st.config.solr_page_rows;
  q.sort = "id asc";
  q.cursor_mark = cursor;
  self->request(st.solr, std::chrono::milliseconds(st.config.timeout_ms), select_atom::value, q)
    .then(
      [=](solr_response& r) {
        for (auto& doc : r.docs)
          if (auto& id = doc.first("id"); !id.empty())
            j->index_members.push_back(
              indexed_member{id, parse_iso8601(doc.first("dateUploaded"))});
        bool more = !r.docs.empty() && !r.next_cursor_mark.empty()
                    && r.next_cursor_mark != cursor;
        if (more && page + 1 < self->state.config.max_solr_pages)
          query_index(self, j, r.next_cursor_mark, page + 1);
        else
          finish(self, j);
      },
      [=](caf::error& err) {
        j->index_error = std::move(err);
        finish(self, j);
      });
}

void with_contents(self_ptr self, const object_descriptor& desc, const std::string& path,
                   std::function<void(contents_ptr)> done) {
  auto& st = self->state;
  if (auto i = st.by_pid.find(desc.pid); i != st.by_pid.end()) {
    st.lru.splice(st.lru.begin(), st.lru, i->second);
    done(i->second->second);
    return;
  }
  if (!st.reading.join(desc.pid, std::move(done)))
    return;  // coalesced with the read in flight
  auto j = std::make_shared<contents_join>();
  j->desc = desc;
  j->path = path;
  object_ref ref;
  ref.pid = desc.pid;
  ref.size = desc.sysmeta.size;
  ref.checksum_algorithm = desc.sysmeta.checksum.algorithm;
  ref.checksum = desc.sysmeta.checksum.value;
  self->request(st.content, std::chrono::milliseconds(st.config.timeout_ms), fetch_atom::value,
                ref)
    .then(
      [=](std::string& local) {
        j->bytes = read_whole_file(local);
        finish(self, j);
      },
      [=](caf::error& err) {
        j->bytes = std::move(err);
        finish(self, j);
      });
  query_index(self, j, "*", 0);
}

caf::expected<node_info> fixed_child(const object_descriptor& desc, const std::string& name) {
  for (auto& e : fixed_files(desc).entries)
    if (e.name == name)
      return e.info;
  return make_error(ec::not_found, "no '" + name + "' among the files of '" + desc.pid + "'");
}

}  // namespace

caf::error validate(const package_config& cfg) {
  if (cfg.timeout_ms == 0)
    return make_error(ec::invalid_argument, "package timeout_ms must be > 0");
  if (cfg.max_packages == 0)
    return make_error(ec::invalid_argument, "package max_packages must be > 0");
  if (cfg.solr_page_rows == 0 || cfg.max_solr_pages == 0)
    return make_error(ec::invalid_argument,
                      "package solr_page_rows and max_solr_pages must be > 0");
  return {};
}

std::string member_name(const std::string& pid) {
  return shorten_segment(escape_segment(pid));
}

package_contents make_package_contents(const object_descriptor& desc,
                                       const caf::expected<std::string>& map_bytes,
                                       const std::vector<indexed_member>& index_members,
                                       const caf::error& index_error, const std::string& path) {
  package_contents out;
  std::set<std::string> seen;
  auto add = [&](const std::string& pid) {
    if (pid.empty() || pid == desc.pid || !seen.insert(pid).second)
      return;
    auto name = member_name(pid);
    if (name == resource_map_name || name == system_xml_name || name == search_fields_name)
      return;  // cannot be shown beside the package's own files
    out.pid_by_name.emplace(name, pid);
    out.members.push_back(pid);
  };
  if (!map_bytes) {
    out.trouble = problem_from_error(map_bytes.error(), "resource map of '" + desc.pid + "'",
                                     path);
  } else if (auto doc = parse_resource_map(*map_bytes); !doc) {
    problem p;
    p.title = "Malformed resource map - " + context_of(doc.error());
    p.details = "Path: " + path + "\nProblem: " + describe(doc.error())
                + "\nThe package's members cannot be read from its resource map ("
                + resource_map_name + " in this folder); the members listed here, if any, "
                  "come from the search index.\n";
    out.trouble = std::move(p);
  } else {
    auto problems = doc->problems;
    if (!doc->identifier.empty() && doc->identifier != desc.pid)
      problems.push_back("the map declares the identifier '" + doc->identifier
                         + "', not its PID '" + desc.pid + "'");
    if (!problems.empty()) {
      problem p;
      p.title = "Malformed resource map - " + problems.front();
      p.details = "Path: " + path + "\nThe resource map (" + std::string{resource_map_name}
                  + " in this folder) does not follow the DataONE conventions:\n";
      for (auto& line : problems)
        p.details += "- " + line + "\n";
      p.details += "The members listed here are those that could be identified.\n";
      out.trouble = std::move(p);
    }
    for (auto& m : doc->members)
      add(m);
  }
  if (index_error) {
    out.index_ok = false;
    spdlog::warn("package: index relations of '{}': {}", desc.pid, describe(index_error));
  } else {
    // Sorted by id: members the map lacks come after the map's own, in a stable order.
    for (auto& m : index_members) {
      add(m.pid);
      if (m.uploaded != 0)
        out.uploaded[m.pid] = m.uploaded;
    }
  }
  return out;
}

listing package_listing(const object_descriptor& desc, const package_contents& contents) {
  auto out = fixed_files(desc);
  out.cache = cache_class::immutable;
  if (contents.trouble) {
    auto err = error_folder_listing(*contents.trouble);
    out.cache = err.cache;
    out.entries.push_back(std::move(err.entries.front()));
  } else if (!contents.index_ok) {
    out.cache = cache_class::metadata;  // ask the index again later
  }
  out.entries.reserve(out.entries.size() + contents.members.size());
  for (auto& pid : contents.members) {
    auto when = contents.uploaded.find(pid);
    out.entries.push_back(
      dir_entry{member_name(pid), member_attr(when == contents.uploaded.end() ? 0 : when->second)});
  }
  return out;
}

package_actor::behavior_type package(package_actor::stateful_pointer<package_state> self,
                                     package_config config, content_cache_actor content,
                                     solr_querier_actor solr) {
  if (auto err = validate(config)) {
    self->quit(err);
    return package_actor::behavior_type::make_empty_behavior();
  }
  self->state.config = config;
  self->state.content = std::move(content);
  self->state.solr = std::move(solr);
  return {
    [=](get_attr_atom, const object_descriptor& desc,
        const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0) {
        auto info = fixed_files(desc);  // for the folder's mtime
        node_info folder;
        folder.kind = entry_kind::directory;
        folder.cache = cache_class::immutable;
        folder.mtime = info.entries.empty() ? 0 : info.entries.front().info.mtime;
        return folder;
      }
      if (req.remaining() == 1) {
        if (auto file = fixed_child(desc, req.current()))
          return std::move(*file);
      }
      auto rp = self->make_response_promise<node_info>();
      auto path = path_upto(req, req.depth);
      with_contents(self, desc, path, [=](contents_ptr c) mutable {
        if (c->trouble && req.remaining() == 1) {
          if (auto file = error_folder_child(*c->trouble, req.current())) {
            rp.deliver(std::move(*file));
            return;
          }
        }
        auto i = c->pid_by_name.find(req.current());
        if (i == c->pid_by_name.end()) {
          rp.deliver(make_error(ec::not_found, "'" + req.current()
                                                 + "' is not a member of the package '"
                                                 + desc.pid + "'"));
          return;
        }
        if (!self->state.objects) {
          rp.deliver(make_error(ec::unavailable, "package: d1_object not connected"));
          return;
        }
        rp.delegate(self->state.objects, get_attr_atom::value, i->second, req.next());
      });
      return rp;
    },
    [=](get_dir_atom, const object_descriptor& desc,
        const resolve_request& req) -> caf::result<listing> {
      auto rp = self->make_response_promise<listing>();
      auto path = path_upto(req, req.depth);
      with_contents(self, desc, path, [=](contents_ptr c) mutable {
        if (req.remaining() == 0) {
          rp.deliver(package_listing(desc, *c));
          return;
        }
        auto i = c->pid_by_name.find(req.current());
        if (i == c->pid_by_name.end()) {
          rp.deliver(make_error(ec::not_found, "'" + req.current()
                                                 + "' is not a folder of the package '"
                                                 + desc.pid + "'"));
          return;
        }
        if (!self->state.objects) {
          rp.deliver(make_error(ec::unavailable, "package: d1_object not connected"));
          return;
        }
        rp.delegate(self->state.objects, get_dir_atom::value, i->second, req.next());
      });
      return rp;
    },
    [=](put_atom, d1_object_actor objects) { self->state.objects = std::move(objects); },
  };
}

}  // namespace d1
