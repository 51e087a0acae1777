// How `--wait` shows a job's progress: a one-line bar redrawn in place on a terminal, plain
// progress lines (at most one every two seconds, plus every change of file count) otherwise.
// Written here because Debian 12 packages no C++ progress-bar library (no indicators/tqdm
// -dev package; checked with apt-cache search), and this needs only ~100 lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace d1 {

/// One progress sample of a job.
struct progress_sample {
  uint64_t job_id = 0;
  std::string kind;   // copy, move, verify, …
  std::string state;  // queued, running, …
  std::string unit = "files";  // what the steps are: "files", or "datums"
  uint64_t files_done = 0;
  uint64_t files_total = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  double rate = 0;    // bytes per second
};

/// "1.5 GiB", "300 B".
std::string human_bytes(double bytes);

/// "1:02:03", "2:03"; "?" for a negative or absurd value.
std::string human_duration(double seconds);

/// The text of one progress line without the bar: "3/10 files  1.2/4.0 GiB  150 MiB/s
/// ETA 0:20".
std::string progress_text(const progress_sample& s);

class progress_display {
public:
  /// `terminal` true: redraw a bar with '\r' on `out`; false: plain lines.
  progress_display(FILE* out, bool terminal);

  /// Shows a sample (rate-limited in plain mode).
  void update(const progress_sample& s);

  /// Ends the bar line (terminal mode) so that what follows starts on a fresh line.
  void finish();

private:
  FILE* out_;
  bool terminal_;
  bool drawn_ = false;
  uint64_t last_files_ = UINT64_MAX;
  std::string last_state_;
  std::chrono::steady_clock::time_point last_line_;
};

}  // namespace d1
