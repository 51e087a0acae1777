// Fuzz target: one request line of the control socket (actors/control/control_requests.hpp),
// as any local client of the daemon's user may send it.
#include "actors/control/control_requests.hpp"
#include "messages/error.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <algorithm>

D1_FUZZ_TARGET(control_request) {
  auto req = d1::parse_control_line(input);
  if (!req) {
    d1::fuzz::check(d1::code_of(req.error()) == d1::ec::invalid_argument,
                    "a bad request failed with another code than invalid_argument");
    return;
  }
  auto& known = d1::control_commands();
  d1::fuzz::check(std::find(known.begin(), known.end(), req->command) != known.end(),
                  "an unknown command was accepted");
  for (auto* text : {&req->uid, &req->who, &req->job.uid, &req->job.root, &req->job.path,
                     &req->job.src_root, &req->job.dst_root, &req->job.kwargs})
    d1::fuzz::check(text->find('\0') == std::string::npos && text->size() <= 64 * 1024,
                    "an argument with a NUL byte or of unbounded length was accepted");
}

// One request of each command, as docs/control-protocol.md and the CLI send them.
D1_FUZZ_SEEDS(control_request) {
  return {
    R"({"command": "ping"})",
    R"({"command": "status"})",
    R"({"command": "resource.register", "args": {"spec": "AD_TIFF", "root": "/data/fast", "path": "scan42", "kwargs": {"template": "%s%s_%6.6d.tiff", "filename": "img", "frame_per_point": 2, "num_points": 50}}, "wait": true})",
    R"({"command": "resource.register", "args": {"spec": "RAW", "root": "/r", "path": "a/b", "kwargs": "{}", "uid": "u1", "algorithm": "SHA-1"}})",
    R"({"command": "resource.copy", "args": {"uid": "u1", "to": "/data/r2"}, "wait": true})",
    R"({"command": "resource.move", "args": {"uid": "u1", "from": "/a", "to": "/b", "dry_run": true}})",
    R"({"command": "resource.remove", "args": {"uid": "u1", "from": "/a", "force_last": false}})",
    R"({"command": "resource.change-root", "args": {"uid": "u1", "to": "/c", "from": "/a"}})",
    R"({"command": "resource.verify", "args": {"uid": "u1", "root": "/a", "level": "size"}})",
    R"({"command": "resource.locate", "args": {"uid": "u1"}})",
    R"({"command": "resource.history", "args": {"uid": "u1"}})",
    R"({"command": "resource.show", "args": {"uid": "u1"}})",
    R"({"command": "resource.list"})",
    R"({"command": "jobs"})",
    R"({"command": "job.get", "args": {"id": 7}})",
    R"({"command": "job.wait", "args": {"id": 18446744073709551615}})",
    R"({"command": "job.cancel", "args": {"id": 1}})",
    R"({"command": "journal", "args": {"limit": 10, "after": 3}})",
    R"({"command": "crawl.list"})",
    R"({"command": "crawl.allow", "args": {"who": "99999999999999999999"}})",
    R"({"command": "crawl.forget", "args": {"who": "updatedb"}})",
  };
}
