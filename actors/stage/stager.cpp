// stager: plans a stage (system metadata, resource maps recursively), downloads up to
// `parallel` objects at once with replica failover, then registers what was staged.
#include "actors/stage/stager.hpp"

#include "actors/dataone/ore_parser.hpp"
#include "actors/resolve/d1_object.hpp"
#include "actors/resolve/package.hpp"
#include "actors/stage/stage_file.hpp"
#include "messages/error.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <memory>
#include <set>

namespace d1 {

namespace {

using self_ptr = stager_actor::pointer;

// One object of a stage while it runs.
struct stage_item {
  staged_file file;
  system_metadata meta;
  bool is_map = false;
  uint32_t depth = 0;
};

// One stage request while it runs.
struct stage_run {
  stage_request req;
  caf::typed_response_promise<stage_report> promise;
  stage_report report;
  std::vector<stage_item> items;
  std::vector<object_format> formats;
  std::set<std::string> seen;  // PIDs planned (a map that names itself or loops)
  std::deque<size_t> queue;    // items to download
  size_t planning = 0;         // system-metadata requests out
  size_t in_flight = 0;        // downloads out
  size_t registering = 0;      // register requests out
  bool finished = false;
};

using run_ptr = std::shared_ptr<stage_run>;

struct context {
  stage_config cfg;
  node_client_actor nodes;
  job_manager_actor jobs;
};

using ctx_ptr = std::shared_ptr<const context>;

std::string join_rel(const std::string& a, const std::string& b) {
  return a.empty() ? b : a + "/" + b;
}

std::string parent_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string{} : rel.substr(0, slash);
}

std::string abs_of(const run_ptr& run, const std::string& rel) {
  return run->req.root + "/" + rel;
}

std::string format_type(const run_ptr& run, const std::string& format_id) {
  for (auto& f : run->formats)
    if (f.id == format_id)
      return f.type;
  return "DATA";
}

void pump(self_ptr self, ctx_ptr ctx, run_ptr run);
void plan(self_ptr self, ctx_ptr ctx, run_ptr run, const std::string& pid,
          const std::string& parent_rel, uint32_t depth);

void add_error(const run_ptr& run, std::string what) {
  run->report.errors.push_back(std::move(what));
}

// Registers every staged file (one DATAONE resource each), then replies.
void register_all(self_ptr self, ctx_ptr ctx, run_ptr run) {
  auto deliver = [run] {
    if (run->registering == 0 && !run->finished) {
      run->finished = true;
      for (auto& item : run->items)
        run->report.files.push_back(item.file);
      run->promise.deliver(run->report);
    }
  };
  if (!run->req.dry_run && ctx->jobs) {
    for (auto& item : run->items) {
      auto& f = item.file;
      if (f.outcome != "fetched" && f.outcome != "adopted")
        continue;
      job_request r;
      r.kind = job_kind::register_hash;
      r.uid = staged_uid(f.pid);
      r.spec = "DATAONE";
      r.root = run->req.root;
      r.path = f.rel_path;
      r.algorithm = f.checksum_algorithm;
      r.kwargs = nlohmann::json{{"pid", f.pid},
                                {"checksum", f.checksum},
                                {"checksum_algorithm", f.checksum_algorithm},
                                {"format", f.format_id},
                                {"size", f.size}}
                   .dump();
      f.uid = r.uid;
      ++run->registering;
      auto* fp = &f;
      self->request(ctx->jobs, std::chrono::milliseconds(ctx->cfg.timeout_ms),
                    register_atom::value, std::move(r))
        .then(
          [=](job_ticket& t) {
            fp->job_id = t.job_id;
            --run->registering;
            deliver();
          },
          [=](caf::error& err) {
            // Staged before: its resource already names these bytes.
            if (describe(err).find("already registered") == std::string::npos)
              add_error(run, fp->pid + ": not registered: " + describe(err));
            --run->registering;
            deliver();
          });
    }
  }
  deliver();
}

void maybe_finish(self_ptr self, ctx_ptr ctx, run_ptr run) {
  if (run->planning == 0 && run->in_flight == 0 && run->queue.empty() && !run->finished
      && run->registering == 0)
    register_all(self, ctx, run);
}

// The object's bytes are in place (or, in a dry run, in `fd`): system metadata beside
// them, and a map's members planned.
void staged(self_ptr self, ctx_ptr ctx, run_ptr run, size_t index, int fd) {
  auto& item = run->items[index];
  auto final_path = abs_of(run, item.file.rel_path);
  if (!run->req.dry_run) {
    if (auto err = write_whole(abs_of(run, join_rel(parent_of(item.file.rel_path), "system.xml")),
                               item.meta.xml))
      add_error(run, item.file.pid + ": system metadata not saved: " + describe(err));
  }
  if (item.is_map) {
    std::string bytes(item.meta.size, '\0');
    int src = fd >= 0 ? fd : ::open(final_path.c_str(), O_RDONLY | O_CLOEXEC);
    auto n = src < 0 ? -1 : ::pread(src, bytes.data(), bytes.size(), 0);
    if (src >= 0 && src != fd)
      ::close(src);
    auto doc = n == static_cast<ssize_t>(bytes.size())
                 ? parse_resource_map(bytes)
                 : caf::expected<resource_map_doc>{make_error(ec::io_error, final_path)};
    if (!doc) {
      add_error(run, item.file.pid + ": resource map unreadable: " + describe(doc.error()));
    } else if (item.depth + 1 > ctx->cfg.max_depth) {
      add_error(run, item.file.pid + ": packages nested deeper than "
                       + std::to_string(ctx->cfg.max_depth));
    } else {
      auto folder = parent_of(item.file.rel_path);
      auto depth = item.depth + 1;
      for (auto& member : doc->members)
        plan(self, ctx, run, member, folder, depth);
    }
  }
}

void fail_item(const run_ptr& run, size_t index, std::string why) {
  auto& f = run->items[index].file;
  f.outcome = "failed";
  f.detail = why;
  add_error(run, f.pid + " (" + f.rel_path + "): " + why);
}

void item_done(self_ptr self, ctx_ptr ctx, run_ptr run) {
  --run->in_flight;
  pump(self, ctx, run);
  maybe_finish(self, ctx, run);
}

// Downloads item `index` from locations[k…], each replica once, into its temporary.
void try_location(self_ptr self, ctx_ptr ctx, run_ptr run, size_t index,
                  std::shared_ptr<std::vector<object_location>> locs, size_t k,
                  std::string notes) {
  auto& item = run->items[index];
  if (k >= locs->size()) {
    fail_item(run, index, "no replica matched its " + item.file.checksum_algorithm
                            + " checksum (" + (notes.empty() ? "no locations" : notes) + ")");
    item_done(self, ctx, run);
    return;
  }
  auto final_path = abs_of(run, item.file.rel_path);
  auto temp = stage_temp_path(final_path);
  int fd;
  if (run->req.dry_run) {
    fd = ::memfd_create("d1stage", MFD_CLOEXEC);
  } else {
    ::unlink(temp.c_str());  // a temporary left by an interrupted run
    fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  auto hasher = streaming_hasher::make(item.file.checksum_algorithm);
  if (fd < 0 || !hasher) {
    if (fd >= 0)
      ::close(fd);
    fail_item(run, index, fd < 0 ? temp + ": " + std::strerror(errno)
                                 : describe(hasher.error()));
    item_done(self, ctx, run);
    return;
  }
  auto sink = std::make_shared<stage_sink>(fd, item.meta.size, std::move(*hasher));
  auto loc = (*locs)[k];
  auto next = [=](const std::string& why) {
    ::close(fd);
    if (!run->req.dry_run)
      ::unlink(temp.c_str());
    auto more = notes.empty() ? "" : notes + "; ";
    try_location(self, ctx, run, index, locs, k + 1, more + loc.node_identifier + ": " + why);
  };
  auto landed = [=] {
    auto& it = run->items[index];
    run->report.fetched_bytes += sink->written();
    if (sink->written() != it.meta.size)
      return next("short body: " + std::to_string(sink->written()) + " of "
                  + std::to_string(it.meta.size) + " bytes");
    auto digest = sink->digest();
    if (digest != it.file.checksum)
      return next(it.file.checksum_algorithm + " " + digest + " does not match");
    caf::error err;
    if (!run->req.dry_run) {
      if (::fsync(fd) != 0)
        err = make_error(ec::io_error, temp + ": " + std::strerror(errno));
      else
        err = publish_no_replace(temp, final_path);
    }
    if (err) {
      ::close(fd);
      ::unlink(temp.c_str());
      fail_item(run, index, describe(err));
    } else {
      it.file.outcome = run->req.dry_run ? "planned" : "fetched";
      it.file.detail = loc.node_identifier;
      staged(self, ctx, run, index, run->req.dry_run ? fd : -1);
      ::close(fd);
    }
    item_done(self, ctx, run);
  };
  if (item.meta.size == 0) {
    landed();
    return;
  }
  self->request(ctx->nodes, caf::infinite, fetch_atom::value, loc, uint64_t{0}, item.meta.size,
                body_sink_ptr{sink})
    .then([=](uint64_t) { landed(); },
          [=](caf::error& err) {
            run->report.fetched_bytes += sink->written();
            next(describe(err));
          });
}

// Stages item `index`: adopts a verified file under its final name, else downloads it.
void fetch_one(self_ptr self, ctx_ptr ctx, run_ptr run, size_t index) {
  ++run->in_flight;
  auto& item = run->items[index];
  auto final_path = abs_of(run, item.file.rel_path);
  if (!run->req.dry_run) {
    if (auto err = make_folders(parent_of(final_path))) {
      fail_item(run, index, describe(err));
      return item_done(self, ctx, run);
    }
  }
  auto match = file_matches(final_path, item.file.checksum_algorithm, item.file.checksum);
  if (match && *match) {
    item.file.outcome = run->req.dry_run ? "planned" : "adopted";
    item.file.detail = "already staged and verified";
    staged(self, ctx, run, index, -1);
    return item_done(self, ctx, run);
  }
  if (!match && code_of(match.error()) == ec::not_found && run->req.dry_run && !item.is_map) {
    item.file.detail = "to download";  // a map is read even so: its members are the plan
    return item_done(self, ctx, run);
  }
  if (match || code_of(match.error()) != ec::not_found) {
    fail_item(run, index, match ? final_path + " exists and does not match; not replaced"
                                : describe(match.error()));
    return item_done(self, ctx, run);
  }
  auto timeout = std::chrono::milliseconds(ctx->cfg.timeout_ms);
  self->request(ctx->nodes, timeout, resolve_atom::value, item.file.pid)
    .then(
      [=](std::vector<object_location>& locs) {
        auto shared = std::make_shared<std::vector<object_location>>(std::move(locs));
        try_location(self, ctx, run, index, shared, 0, {});
      },
      [=](caf::error& err) {
        fail_item(run, index, "resolve: " + describe(err));
        item_done(self, ctx, run);
      });
}

void pump(self_ptr self, ctx_ptr ctx, run_ptr run) {
  while (run->in_flight < ctx->cfg.parallel && !run->queue.empty()) {
    auto index = run->queue.front();
    run->queue.pop_front();
    fetch_one(self, ctx, run, index);
  }
}

// Plans `pid` in the folder `parent_rel` (the root's for the staged PID itself).
void plan(self_ptr self, ctx_ptr ctx, run_ptr run, const std::string& pid,
          const std::string& parent_rel, uint32_t depth) {
  if (!run->seen.insert(pid).second)
    return;
  if (run->seen.size() > ctx->cfg.max_objects) {
    add_error(run, pid + ": more than " + std::to_string(ctx->cfg.max_objects) + " objects");
    return;
  }
  ++run->planning;
  auto timeout = std::chrono::milliseconds(ctx->cfg.timeout_ms);
  self->request(ctx->nodes, timeout, meta_atom::value, pid)
    .then(
      [=](system_metadata& m) {
        stage_item item;
        item.depth = depth;
        object_descriptor desc;
        desc.pid = pid;
        desc.sysmeta = m;
        desc.format_type = format_type(run, m.format_id);
        item.is_map = desc.format_type == "RESOURCE";
        auto folder = join_rel(parent_rel, member_name(pid));
        auto name = item.is_map ? std::string{"resource_map.xml"}
                                : object_file_name(desc, run->formats);
        item.file = staged_file{pid, m.format_id, join_rel(folder, name), m.size,
                                m.checksum.algorithm, m.checksum.value, "planned", {}, {}, 0};
        for (auto& c : item.file.checksum)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        item.meta = std::move(m);
        run->items.push_back(std::move(item));
        run->queue.push_back(run->items.size() - 1);
        --run->planning;
        pump(self, ctx, run);
        maybe_finish(self, ctx, run);
      },
      [=](caf::error& err) {
        add_error(run, pid + ": system metadata: " + describe(err));
        --run->planning;
        maybe_finish(self, ctx, run);
      });
}

caf::error check_root(const std::string& root) {
  struct stat st {};
  if (root.empty() || root[0] != '/')
    return make_error(ec::invalid_argument, "the root must be an absolute path: '" + root + "'");
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(ec::invalid_argument, "the root is not a folder: '" + root + "'");
  return {};
}

}  // namespace

caf::error validate(const stage_config& cfg) {
  if (cfg.parallel < 1 || cfg.parallel > 64)
    return make_error(ec::invalid_argument, "[stage] parallel must be 1 to 64");
  if (cfg.timeout_ms == 0)
    return make_error(ec::invalid_argument, "stage timeout_ms must be > 0");
  if (cfg.max_depth < 1 || cfg.max_objects < 1)
    return make_error(ec::invalid_argument, "stage max_depth and max_objects must be ≥ 1");
  return {};
}

std::string staged_uid(const std::string& pid) {
  return "dataone:" + pid;
}

stager_actor::behavior_type stager(stager_actor::pointer self, stage_config cfg,
                                   node_client_actor nodes, job_manager_actor jobs) {
  auto ctx = std::make_shared<const context>(context{cfg, std::move(nodes), std::move(jobs)});
  return {
    [=](fetch_atom, stage_request& req) -> caf::result<stage_report> {
      while (req.root.size() > 1 && req.root.back() == '/')
        req.root.pop_back();
      if (auto err = check_root(req.root))
        return err;
      if (req.pid.empty())
        return make_error(ec::invalid_argument, "no PID to stage");
      auto run = std::make_shared<stage_run>();
      run->req = std::move(req);
      run->report.pid = run->req.pid;
      run->report.root = run->req.root;
      run->promise = self->make_response_promise<stage_report>();
      auto timeout = std::chrono::milliseconds(ctx->cfg.timeout_ms);
      self->request(ctx->nodes, timeout, formats_atom::value)
        .then(
          [=](std::vector<object_format>& formats) {
            run->formats = std::move(formats);
            plan(self, ctx, run, run->req.pid, {}, 0);
            maybe_finish(self, ctx, run);
          },
          [=](caf::error& err) {
            add_error(run, "the format list: " + describe(err));
            maybe_finish(self, ctx, run);
          });
      return run->promise;
    },
  };
}

}  // namespace d1
