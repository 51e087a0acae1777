// Error folders: naming, content and cache class of the one-file folders that report a
// problem in place of a listing.
#include "messages/error_folder.hpp"

#include "messages/error.hpp"
#include "messages/node_attrs.hpp"
#include "messages/path_codec.hpp"

namespace d1 {

namespace {

const char* advice_for(ec code) {
  switch (code) {
    case ec::not_found:
      return "Check the identifier. In the mount a PID is one path segment: '/' is written "
             "%2F and '%' is %25 (see the README, 'Path segments').";
    case ec::invalid_path:
      return "The path does not follow the mount's grammar; see the README, 'Path "
             "segments'.";
    case ec::timeout:
      return "The node did not answer in time. This folder is retried after a few seconds; "
             "list it again, or raise network.timeout_ms in the config.";
    case ec::network:
    case ec::http_status:
    case ec::unavailable:
      return "The node could not be reached or failed. This folder is retried after a few "
             "seconds; Status/ shows the nodes.";
    case ec::parse_error:
      return "The node answered with something that is not a valid DataONE document. This "
             "folder is retried after a few seconds.";
    case ec::throttled:
      return "The recursive search was paused; list a narrower folder.";
    default:
      return "See the daemon's log for details.";
  }
}

const char* title_for(ec code) {
  switch (code) {
    case ec::not_found: return "Not found";
    case ec::invalid_path: return "Invalid path";
    case ec::timeout: return "Timed out";
    case ec::network: return "Node unreachable";
    case ec::http_status: return "Node error";
    case ec::parse_error: return "Garbage from node";
    case ec::unavailable: return "Unavailable";
    case ec::throttled: return "Paused";
    default: return "Error";
  }
}

}  // namespace

problem problem_from_error(const caf::error& err, const std::string& what,
                           const std::string& path) {
  auto code = code_of(err);
  if (code == ec::unspecified && err.category() == caf::atom("system"))
    code = ec::timeout;  // a request that was never answered: caf::sec::request_timeout
  problem p;
  p.title = std::string{title_for(code)} + " - " + what;
  p.transient = code != ec::not_found && code != ec::invalid_path;
  p.details = "Path: " + path + "\nProblem: " + describe(err) + "\nWhat to try: "
              + advice_for(code) + "\n";
  return p;
}

std::string error_folder_file_name(const problem& p) {
  return error_file_name(p.title);
}

// A passing failure is cached briefly, a lasting one as an error.
static cache_class class_of(const problem& p) {
  return p.transient ? cache_class::transient : cache_class::error;
}

node_info error_folder_attr(const problem& p) {
  return folder_attr(class_of(p));
}

static node_info error_file_attr(const problem& p) {
  return text_file_attr(p.details, class_of(p));
}

listing error_folder_listing(const problem& p) {
  listing out;
  out.cache = class_of(p);
  out.entries.push_back(dir_entry{error_folder_file_name(p), error_file_attr(p)});
  return out;
}

caf::expected<node_info> error_folder_child(const problem& p, const std::string& name) {
  if (name == error_folder_file_name(p))
    return error_file_attr(p);
  return make_error(ec::not_found, "an error folder holds only its error file");
}

}  // namespace d1
