// JSON views of the mobile records for the control protocol and the client's --json.
#include "actors/control/control_json.hpp"

#include "actors/control/control_server.hpp"

namespace d1 {

namespace {

// kwargs are stored as JSON text: show them as JSON when they parse.
nlohmann::json json_text(const std::string& text) {
  if (text.empty())
    return nlohmann::json::object();
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

}  // namespace

nlohmann::json catalogue_check_line(const catalogue_report& report) {
  nlohmann::json out{{"resources", report.resources},
                     {"files", report.files},
                     {"references", report.paths},
                     {"jobs", report.jobs},
                     {"problems", report.problems}};
  if (report.problems.empty())
    return ok_line(std::move(out));
  return error_line("catalogue_inconsistent",
                    std::to_string(report.problems.size())
                      + " problems; first: " + report.problems.front(),
                    std::move(out));
}

nlohmann::json to_json(const plan_step& x) {
  nlohmann::json j{{"action", x.action}, {"from", x.from}, {"size", x.size}};
  if (!x.to.empty())
    j["to"] = x.to;
  if (!x.note.empty())
    j["note"] = x.note;
  return j;
}

nlohmann::json to_json(const job_record& x) {
  nlohmann::json req{{"uid", x.request.uid}};
  if (!x.request.src_root.empty())
    req["from"] = x.request.src_root;
  if (!x.request.dst_root.empty())
    req["to"] = x.request.dst_root;
  if (x.request.kind == job_kind::verify)
    req["level"] = to_string(x.request.level);
  if ((x.request.kind == job_kind::copy || x.request.kind == job_kind::move)
      && x.request.level == check_level::datum)
    req["verify"] = "datum";
  if (x.request.kind == job_kind::remove)
    req["force_last"] = x.request.force_last;
  if (x.request.kind == job_kind::datum_hash)
    req["algorithm"] = x.request.algorithm;
  // A job on datums has a step per datum and root: the datum id, where it was read.
  bool datums = works_on_datums(x);
  auto files = nlohmann::json::array();
  for (auto& f : x.files) {
    nlohmann::json fj{{"size", f.size}, {"state", to_string(f.state)}};
    if (datums) {
      fj["datum_id"] = f.rel_path;
      fj["root"] = f.root;
    } else {
      fj["rel_path"] = f.rel_path;
    }
    if (!f.detail.empty())
      fj["detail"] = f.detail;
    files.push_back(std::move(fj));
  }
  return {{"id", x.id},
          {"kind", to_string(x.request.kind)},
          {"state", to_string(x.state)},
          {"phase", x.phase},
          {"steps", datums ? "datums" : "files"},
          {"request", req},
          {"progress",
           {{"files_done", x.progress.files_done},
            {"files_total", x.progress.files_total},
            {"files_failed", x.progress.files_failed},
            {"bytes_done", x.progress.bytes_done},
            {"bytes_total", x.progress.bytes_total},
            {"rate", x.progress.rate}}},
          {"error", x.error},
          {"created", x.created},
          {"started", x.started},
          {"finished", x.finished},
          {"files", files}};
}

nlohmann::json to_json(const resource_detail& x) {
  auto files = nlohmann::json::array();
  for (auto& f : x.files)
    files.push_back({{"file_uid", f.file_uid},
                     {"root", f.root},
                     {"rel_path", f.rel_path},
                     {"abs_path", f.abs_path},
                     {"size", f.size},
                     {"algorithm", f.algorithm},
                     {"digest", f.digest},
                     {"exists", f.exists},
                     {"state", to_string(f.state)},
                     {"verified_at", f.verified_at}});
  auto& r = x.resource;
  return {{"resource",
           {{"uid", r.uid},
            {"spec", r.spec},
            {"root", r.root},
            {"path", r.path},
            {"kwargs", json_text(r.kwargs)},
            {"algorithm", r.algorithm},
            {"created", r.created}}},
          {"rel_paths", x.rel_paths},
          {"files", files}};
}

nlohmann::json to_json(const datum_detail& x) {
  nlohmann::json out{{"datum_id", x.datum.datum_id},
                     {"resource_uid", x.datum.resource_uid},
                     {"kwargs", json_text(x.datum.kwargs)},
                     {"created", x.datum.created}};
  auto& s = x.stats;
  if (s.hash.empty()) {
    out["hash"] = nullptr;  // never hashed
    return out;
  }
  auto& v = s.stats;
  // min … std describe finite values: with none, they are null rather than a made-up 0.
  auto figure = [&v](double d) { return v.count > 0 ? nlohmann::json(d) : nlohmann::json(); };
  out["algorithm"] = s.algorithm;
  out["hash"] = s.hash;
  out["dtype"] = s.dtype;
  out["shape"] = s.shape;
  out["stats"] = {{"count", v.count},         {"nan_count", v.nan_count},
                  {"inf_count", v.inf_count}, {"min", figure(v.min)},
                  {"max", figure(v.max)},     {"mean", figure(v.mean)},
                  {"std", figure(v.std)},     {"histogram", v.histogram}};
  out["files"] = s.files;
  out["root"] = s.root;
  out["hashed_at"] = s.hashed_at;
  out["job_id"] = s.job_id;
  return out;
}

nlohmann::json to_json(const location_report& x) {
  auto copies = nlohmann::json::array();
  for (auto& c : x.copies)
    copies.push_back({{"root", c.root},
                      {"files", c.files},
                      {"files_expected", c.files_expected},
                      {"files_ok", c.files_ok},
                      {"verified", c.verified},
                      {"preference", c.preference},
                      {"verified_at", c.verified_at},
                      {"hashed_at", c.hashed_at},
                      {"files_bad", c.files_bad},
                      {"problem", c.problem},
                      {"local_root", c.local_root.empty() ? c.root : c.local_root}});
  return {{"resource_uid", x.resource_uid},
          {"host", x.host},
          {"preferred_root", x.preferred_root},
          {"copies", copies}};
}

nlohmann::json to_json(const history_entry& x) {
  nlohmann::json j{{"time", x.time}, {"action", x.action}, {"files", x.files}};
  j["resource_uid"] = x.resource_uid;
  if (!x.from_root.empty())
    j["from"] = x.from_root;
  if (!x.to_root.empty())
    j["to"] = x.to_root;
  if (x.job_id != 0)
    j["job_id"] = x.job_id;
  return j;
}

nlohmann::json to_json(const journal_entry& x) {
  return {{"seq", x.seq},           {"command", x.command},   {"args", x.args},
          {"kwargs", json_text(x.kwargs)}, {"started", x.started}, {"finished", x.finished},
          {"success", x.success},   {"error", x.error},       {"job_id", x.job_id}};
}

}  // namespace d1
