// The control socket's `stage` request and the actors behind it.
#include "actors/control/control_stage.hpp"

#include "actors/control/control_server.hpp"
#include "actors/control/daemon.hpp"
#include "actors/control/supervision.hpp"
#include "actors/dataone/http_client.hpp"
#include "actors/dataone/node_client.hpp"
#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>
#include <future>

namespace d1 {

namespace {

// Asks `stager` for the stage, waiting as long as it takes unless the client hangs up or
// the daemon stops (then the stage goes on without anyone waiting).
caf::expected<stage_report> ask_stager(caf::actor_system& sys, const stager_actor& stager,
                                       stage_request req, request_context& ctx) {
  auto done = std::make_shared<std::promise<caf::expected<stage_report>>>();
  auto answer = done->get_future();
  auto asker = sys.spawn([=](caf::event_based_actor* self) {
    self->request(stager, caf::infinite, fetch_atom::value, req)
      .then([=](stage_report& r) { done->set_value(std::move(r)); },
            [=](caf::error& err) { done->set_value(std::move(err)); });
  });
  while (answer.wait_for(std::chrono::seconds(1)) != std::future_status::ready)
    if (ctx.cancelled()) {
      caf::anon_send_exit(asker, caf::exit_reason::user_shutdown);
      return make_error(ec::cancelled, "the stage goes on without the client");
    }
  return answer.get();
}

void answer_stage(caf::actor_system& sys, const stager_actor& stager, const nlohmann::json& args,
                  request_context& ctx) {
  auto req = parse_stage_args(args);
  if (!req)
    return void(ctx.write(error_line(req.error())));
  if (!stager)
    return void(ctx.write(
      error_line(make_error(ec::unavailable, "staging is not running"))));
  auto report = ask_stager(sys, stager, std::move(*req), ctx);
  if (!report)
    return void(ctx.write(error_line(report.error())));
  if (report->errors.empty())
    return void(ctx.write(ok_line(to_json(*report))));
  std::string what = std::to_string(report->errors.size()) + " object(s) not staged: ";
  for (size_t i = 0; i < report->errors.size() && i < 5; ++i)
    what += (i ? "; " : "") + report->errors[i];
  ctx.write(error_line("stage_incomplete", what, to_json(*report)));
}

}  // namespace

void stage_side::stop() {
  for (auto a : {caf::actor_cast<caf::actor>(stager), caf::actor_cast<caf::actor>(nodes),
                 caf::actor_cast<caf::actor>(http)})
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  stager = nullptr;
  nodes = nullptr;
  http = nullptr;
}

caf::expected<stage_side> start_stage_side(caf::actor_system& sys, const daemon_config& cfg,
                                           job_manager_actor jobs) {
  // The mount's own HTTP and node settings, from the same [network] and base URL.
  auto c = mount_configs_of(cfg, daemon_state{});
  if (auto err = validate(c.nodes))
    return err;
  if (auto err = validate(cfg.stage))
    return err;
  auto stage_cfg = cfg.stage;
  stage_cfg.timeout_ms = cfg.network.timeout_ms * (cfg.network.max_retries + 1);
  stage_side out;
  out.http = spawn_loud(sys, http_client, c.http);
  out.nodes = spawn_loud(sys, node_client, c.nodes, out.http);
  out.stager = spawn_loud<caf::detached>(sys, stager, stage_cfg, out.nodes, std::move(jobs));
  return out;
}

caf::expected<stage_request> parse_stage_args(const nlohmann::json& args) {
  stage_request r;
  if (!args.is_object())
    return make_error(ec::invalid_argument, "\"args\" must be a JSON object");
  auto text = [&](const char* key, std::string& out) -> caf::error {
    auto i = args.find(key);
    if (i == args.end() || !i->is_string() || i->get<std::string>().empty())
      return make_error(ec::invalid_argument, std::string{"stage needs \""} + key
                                                + "\" (a non-empty string)");
    out = i->get<std::string>();
    if (out.size() > 4096 || out.find('\0') != std::string::npos)
      return make_error(ec::invalid_argument, std::string{"\""} + key + "\" is too long or holds NUL");
    return {};
  };
  if (auto err = text("pid", r.pid))
    return err;
  if (auto err = text("to", r.root))
    return err;
  if (auto i = args.find("dry_run"); i != args.end() && !i->is_null()) {
    if (!i->is_boolean())
      return make_error(ec::invalid_argument, "\"dry_run\" must be true or false");
    r.dry_run = i->get<bool>();
  }
  return r;
}

nlohmann::json to_json(const stage_report& r) {
  auto files = nlohmann::json::array();
  uint64_t fetched = 0, adopted = 0, failed = 0;
  for (auto& f : r.files) {
    fetched += f.outcome == "fetched";
    adopted += f.outcome == "adopted";
    failed += f.outcome == "failed";
    files.push_back({{"pid", f.pid},
                     {"format", f.format_id},
                     {"path", r.root + "/" + f.rel_path},
                     {"size", f.size},
                     {"checksum_algorithm", f.checksum_algorithm},
                     {"checksum", f.checksum},
                     {"outcome", f.outcome},
                     {"detail", f.detail},
                     {"resource_uid", f.uid},
                     {"job", f.job_id}});
  }
  return {{"pid", r.pid},         {"root", r.root},       {"files", std::move(files)},
          {"fetched", fetched},   {"adopted", adopted},   {"failed", failed},
          {"fetched_bytes", r.fetched_bytes}, {"errors", r.errors}};
}

request_handler with_stage_requests(caf::actor_system& sys, request_handler inner,
                                    stager_actor stager) {
  return [&sys, inner = std::move(inner), stager](const nlohmann::json& req,
                                                  request_context& ctx) {
    auto command = req.is_object() ? req.find("command") : req.end();
    if (command != req.end() && command->is_string() && *command == "stage") {
      static const nlohmann::json none = nlohmann::json::object();
      auto args = req.find("args");
      return answer_stage(sys, stager, args == req.end() || args->is_null() ? none : *args, ctx);
    }
    inner(req, ctx);
  };
}

}  // namespace d1
