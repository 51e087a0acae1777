// d1_object: descriptor fetching (meta + record + formats, in parallel), coalescing, and
// error folders for PIDs that cannot be resolved.
#include "actors/resolve/d1_object.hpp"

#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/path_codec.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

namespace d1 {

namespace {

using self_ptr = d1_object_actor::stateful_pointer<d1_object_state>;

// Joins the three requests that make a descriptor.
struct descriptor_join {
  std::string pid;
  int pending = 3;
  caf::error failure;
  system_metadata meta;
  bool indexed = false;
  solr_record record;
  std::vector<object_format> formats;
};

void finish(self_ptr self, const std::string& pid, caf::expected<object_descriptor> result) {
  auto& st = self->state;
  if (result) {
    st.lru.push_front(*result);
    st.by_pid[pid] = st.lru.begin();
    while (st.lru.size() > st.config.max_descriptors) {
      st.by_pid.erase(st.lru.back().pid);
      st.lru.pop_back();
    }
  } else {
    spdlog::info("d1_object: cannot resolve '{}': {}", pid, describe(result.error()));
    if (st.failures.size() > st.config.max_descriptors)
      st.failures.clear();  // a bound, not a policy: failures are cheap to recompute
    st.failures[pid] = {result.error(), self->clock().now()};
  }
  st.fetching.finish(pid, std::move(result));
}

void complete(self_ptr self, const std::shared_ptr<descriptor_join>& j) {
  if (--j->pending > 0)
    return;
  if (j->failure) {
    finish(self, j->pid, j->failure);
    return;
  }
  object_descriptor desc;
  desc.pid = j->pid;
  desc.sysmeta = std::move(j->meta);
  desc.indexed = j->indexed;
  desc.record = std::move(j->record);
  desc.format_type = desc.indexed ? desc.record.first("formatType") : std::string{};
  if (desc.format_type.empty())
    for (auto& f : j->formats)
      if (f.id == desc.sysmeta.format_id)
        desc.format_type = f.type;
  desc.file_name = object_file_name(desc, j->formats);
  finish(self, j->pid, std::move(desc));
}

// Calls `done` with the descriptor of `pid`, fetching it unless it is known or already
// being fetched.
void with_descriptor(self_ptr self, const std::string& pid,
                     d1_object_state::descriptor_callback done) {
  auto& st = self->state;
  if (auto i = st.by_pid.find(pid); i != st.by_pid.end()) {
    st.lru.splice(st.lru.begin(), st.lru, i->second);
    done(*i->second);
    return;
  }
  if (auto i = st.failures.find(pid); i != st.failures.end()) {
    if (self->clock().now() - i->second.second < st.config.failure_ttl) {
      done(i->second.first);
      return;
    }
    st.failures.erase(i);
  }
  if (!st.fetching.join(pid, std::move(done)))
    return;  // coalesced with the fetch in flight
  ++st.fetches;
  auto j = std::make_shared<descriptor_join>();
  j->pid = pid;
  auto timeout = std::chrono::milliseconds(st.config.timeout_ms);
  auto fail = [=](caf::error err) {
    if (!j->failure)
      j->failure = std::move(err);
    complete(self, j);
  };
  self->request(st.nodes, timeout, meta_atom::value, pid)
    .then(
      [=](system_metadata& m) {
        j->meta = std::move(m);
        complete(self, j);
      },
      fail);
  self->request(st.solr, timeout, record_atom::value, pid)
    .then(
      [=](solr_record& r) {
        j->indexed = true;
        j->record = std::move(r);
        complete(self, j);
      },
      [=](caf::error& err) {
        // Not indexed (yet) is normal for fresh objects; any other failure is not.
        if (code_of(err) == ec::not_found)
          complete(self, j);
        else
          fail(std::move(err));
      });
  self->request(st.nodes, timeout, formats_atom::value)
    .then(
      [=](std::vector<object_format>& f) {
        j->formats = std::move(f);
        complete(self, j);
      },
      fail);
}

std::string path_upto(const resolve_request& req, size_t n) {
  std::vector<std::string> head(req.segments.begin(),
                                req.segments.begin() + std::min(n, req.segments.size()));
  return join_path(head);
}

// Packages (OAI-ORE resource maps) have a resolver of their own.
const object_resolver_actor& resolver_for(const d1_object_state& st,
                                          const object_descriptor& desc) {
  if (desc.format_type == "RESOURCE" && st.config.package)
    return st.config.package;
  return st.science;
}

// Calls `done` with `desc`, its metadata documents attached if it is a data object that
// has some. Their descriptors are fetched like any other (coalesced, cached); nothing
// waits on this step, so documents that document each other cannot deadlock.
void with_documents(self_ptr self, object_descriptor desc,
                    std::function<void(object_descriptor)> done) {
  std::vector<std::string> pids;
  if (desc.format_type == "DATA" && desc.indexed)
    for (auto& pid : desc.record.all("isDocumentedBy"))
      if (pid != desc.pid && std::find(pids.begin(), pids.end(), pid) == pids.end()
          && pids.size() < self->state.config.max_documents)
        pids.push_back(pid);
  if (pids.empty()) {
    done(std::move(desc));
    return;
  }
  struct join {
    object_descriptor desc;
    std::vector<caf::expected<object_descriptor>> found;
    size_t pending;
    std::function<void(object_descriptor)> done;
  };
  auto j = std::make_shared<join>(
    join{std::move(desc),
         std::vector<caf::expected<object_descriptor>>(
           pids.size(), make_error(ec::unavailable, "not resolved yet")),
         pids.size(), std::move(done)});
  for (size_t i = 0; i < pids.size(); ++i)
    with_descriptor(self, pids[i], [j, i](caf::expected<object_descriptor> doc) {
      j->found[i] = std::move(doc);
      if (--j->pending > 0)
        return;
      attach_documents(j->desc, j->found);
      j->done(std::move(j->desc));
    });
}

problem object_problem(const caf::error& err, const std::string& pid,
                       const resolve_request& req) {
  return problem_from_error(err, "object '" + pid + "'", path_upto(req, req.depth));
}

}  // namespace

void attach_documents(object_descriptor& data,
                      const std::vector<caf::expected<object_descriptor>>& found) {
  std::set<std::string> taken{data.file_name, "system.xml", "search_fields.txt"};
  for (auto& doc : found) {
    if (!doc) {
      data.documented_by_partial = true;
      continue;
    }
    auto name = doc->file_name;
    if (taken.count(name))
      name = shorten_segment(escape_segment(doc->pid));
    if (!taken.insert(name).second) {
      spdlog::info("d1_object: metadata '{}' of '{}' has no free name in its folder", doc->pid,
                   data.pid);
      continue;
    }
    data.documented_by.push_back(documenting_object{doc->pid, name, doc->sysmeta.size,
                                                    doc->sysmeta.checksum,
                                                    doc->sysmeta.date_uploaded});
  }
}

std::string object_file_name(const object_descriptor& desc,
                             const std::vector<object_format>& formats) {
  std::string name = desc.indexed ? desc.record.first("fileName") : std::string{};
  if (name.empty())
    name = desc.sysmeta.file_name;
  if (!name.empty()) {
    name = escape_segment(name);
  } else {
    name = escape_segment(desc.pid);
    for (auto& f : formats) {
      if (f.id == desc.sysmeta.format_id && !f.extension.empty()) {
        auto ext = "." + f.extension;
        if (name.size() < ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext))
          name += ext;
        break;
      }
    }
  }
  if (name == "system.xml" || name == "search_fields.txt")
    name = "data_" + name;
  return shorten_segment(name);  // unchanged unless longer than NAME_MAX
}

d1_object_actor::behavior_type d1_object(d1_object_actor::stateful_pointer<d1_object_state> self,
                                         d1_object_config config, node_client_actor nodes,
                                         solr_querier_actor solr,
                                         object_resolver_actor science) {
  self->state.config = config;
  self->state.nodes = std::move(nodes);
  self->state.solr = std::move(solr);
  self->state.science = std::move(science);
  return {
    [=](get_attr_atom, const std::string& pid,
        const resolve_request& req) {
      auto rp = self->make_response_promise<node_info>();
      with_descriptor(self, pid, [=](caf::expected<object_descriptor> desc) mutable {
          if (desc && req.remaining() == 0) {
            rp.delegate(resolver_for(self->state, *desc), get_attr_atom::value, std::move(*desc),
                        req);
          } else if (desc) {
            // A file of the folder may be one of the object's metadata documents.
            with_documents(self, std::move(*desc), [=](object_descriptor full) mutable {
              rp.delegate(resolver_for(self->state, full), get_attr_atom::value,
                          std::move(full), req);
            });
          } else {
            auto p = object_problem(desc.error(), pid, req);
            if (req.remaining() == 0)
              rp.deliver(error_folder_attr(p));
            else if (req.remaining() == 1) {
              auto child = error_folder_child(p, req.current());
              if (child)
                rp.deliver(std::move(*child));
              else
                rp.deliver(child.error());
            }
            else
              rp.deliver(make_error(ec::not_found, "below an error folder"));
          }
        });
      return rp;
    },
    [=](get_dir_atom, const std::string& pid,
        const resolve_request& req) {
      auto rp = self->make_response_promise<listing>();
      with_descriptor(self, pid, [=](caf::expected<object_descriptor> desc) mutable {
        if (desc)
          with_documents(self, std::move(*desc), [=](object_descriptor full) mutable {
            rp.delegate(resolver_for(self->state, full), get_dir_atom::value, std::move(full),
                        req);
          });
        else if (req.remaining() == 0)
          rp.deliver(error_folder_listing(object_problem(desc.error(), pid, req)));
        else
          rp.deliver(make_error(ec::not_found, "below an error folder"));
      });
      return rp;
    },
    [=](get_atom, const std::string& pid) {
      auto rp = self->make_response_promise<object_descriptor>();
      with_descriptor(self, pid, [=](caf::expected<object_descriptor> desc) mutable {
        if (desc)
          rp.deliver(std::move(*desc));
        else
          rp.deliver(desc.error());
      });
      return rp;
    },
  };
}

}  // namespace d1
