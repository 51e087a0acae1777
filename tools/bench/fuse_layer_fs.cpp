// bench_fuse_layer_fs: d1drive's fuse/ layer mounted over a trivial in-process fs_gateway
// actor (a root with one file), to measure the layer alone against bench_bare_fs: getattr
// served from the inode table, or (--table-ttl 0) every getattr through the actor.
// usage: bench_fuse_layer_fs MOUNTPOINT [--table-ttl S] [-o OPTIONS]...   (foreground)
#include "fuse/session.hpp"
#include "messages/error.hpp"
#include "messages/type_registry.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

d1::node_info root_info() {
  d1::node_info info;
  info.kind = d1::entry_kind::directory;
  info.cache = d1::cache_class::immutable;
  info.mtime = 1700000000;
  return info;
}

d1::node_info file_info() {
  d1::node_info info;
  info.kind = d1::entry_kind::file;
  info.cache = d1::cache_class::immutable;
  info.content = d1::content_kind::inline_text;
  info.set_text("bench_fuse_layer_fs: one constant file\n");
  info.size = info.text().size();
  info.mtime = 1700000000;
  return info;
}

d1::fs_gateway_actor::behavior_type trivial_gateway(d1::fs_gateway_actor::pointer) {
  auto not_found = [] { return d1::make_error(d1::ec::not_found, "no such entry"); };
  return {
    [=](d1::lookup_atom, const d1::fs_reply_ptr& reply, const std::string& parent,
        const std::string& name, int32_t) {
      if (parent == "/" && name == "file")
        reply->entry(file_info());
      else
        reply->error(not_found());
    },
    [=](d1::get_attr_atom, const d1::fs_reply_ptr& reply, const std::string& path, int32_t) {
      if (path == "/")
        reply->attr(root_info());
      else if (path == "/file")
        reply->attr(file_info());
      else
        reply->error(not_found());
    },
    [=](d1::opendir_atom, const d1::fs_reply_ptr& reply, const std::string& path, int32_t) {
      if (path != "/")
        return reply->error(not_found());
      d1::listing l;
      l.cache = d1::cache_class::immutable;
      l.entries.push_back(d1::dir_entry{"file", file_info()});
      reply->directory(std::move(l));
    },
    [=](d1::open_atom, const d1::fs_reply_ptr& reply, const d1::object_ref&, int32_t) {
      reply->error(not_found());
    },
  };
}

struct config : caf::actor_system_config {
  config() {
    set("scheduler.policy", caf::atom("sharing"));
    set("logger.verbosity", caf::atom("quiet"));
    d1::add_message_types(*this);
  }
};

}  // namespace

int main(int argc, char* argv[]) {
  std::string mountpoint;
  std::vector<std::string> options;
  d1::kernel_timeouts timeouts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-o" && i + 1 < argc) {
      options.emplace_back(argv[++i]);
    } else if (arg == "--table-ttl" && i + 1 < argc) {
      timeouts.table.set_all(std::atof(argv[++i]));
    } else if (arg == "-f") {
      // always foreground; accepted for symmetry with bench_bare_fs
    } else if (mountpoint.empty() && arg[0] != '-') {
      mountpoint = arg;
    } else {
      std::fprintf(stderr, "usage: %s MOUNTPOINT [--table-ttl S] [-o OPTIONS]...\n", argv[0]);
      return 1;
    }
  }
  if (mountpoint.empty()) {
    std::fprintf(stderr, "usage: %s MOUNTPOINT [--table-ttl S] [-o OPTIONS]...\n", argv[0]);
    return 1;
  }
  config cfg;
  caf::actor_system system{cfg};
  auto gateway = system.spawn(trivial_gateway);
  int result = 1;
  {
    auto mount = d1::fuse_mount::create(mountpoint, options, gateway, timeouts);
    if (!mount) {
      std::fprintf(stderr, "%s\n", d1::describe(mount.error()).c_str());
    } else if (auto err = (*mount)->install_signal_handlers()) {
      std::fprintf(stderr, "%s\n", d1::describe(err).c_str());
    } else {
      result = (*mount)->run() == 0 ? 0 : 1;
    }
  }
  caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
  return result;
}
