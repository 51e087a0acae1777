// The `--wait` progress bar and plain progress lines.
#include "tools/progress_display.hpp"

#include <cmath>
#include <sys/ioctl.h>
#include <unistd.h>

namespace d1 {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f %s", bytes, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  return buf;
}

std::string human_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8)
    return "?";
  auto total = static_cast<uint64_t>(std::llround(seconds));
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu",
                  static_cast<unsigned long long>(total / 3600),
                  static_cast<unsigned long long>(total / 60 % 60),
                  static_cast<unsigned long long>(total % 60));
  else
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(total / 60),
                  static_cast<unsigned long long>(total % 60));
  return buf;
}

std::string progress_text(const progress_sample& s) {
  std::string out = std::to_string(s.files_done) + "/" + std::to_string(s.files_total)
                    + " " + s.unit + "  " + human_bytes(static_cast<double>(s.bytes_done)) + "/"
                    + human_bytes(static_cast<double>(s.bytes_total));
  if (s.rate > 0) {
    out += "  " + human_bytes(s.rate) + "/s";
    if (s.bytes_total > s.bytes_done)
      out += "  ETA " + human_duration(static_cast<double>(s.bytes_total - s.bytes_done)
                                       / s.rate);
  }
  return out;
}

progress_display::progress_display(FILE* out, bool terminal)
  : out_(out), terminal_(terminal) {
}

void progress_display::update(const progress_sample& s) {
  auto text = progress_text(s);
  if (terminal_) {
    winsize ws{};
    int width = ::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col
                                                                               : 80;
    std::string head = "job " + std::to_string(s.job_id) + " " + s.kind + " ";
    int bar_width = width - static_cast<int>(head.size() + text.size()) - 4;
    std::string bar;
    if (bar_width >= 10) {
      bar_width = std::min(bar_width, 40);
      double fraction = s.bytes_total > 0 ? double(s.bytes_done) / double(s.bytes_total)
                        : s.files_total > 0 ? double(s.files_done) / double(s.files_total)
                                            : 0.0;
      int filled = static_cast<int>(std::lround(std::min(1.0, fraction) * bar_width));
      bar = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
    }
    auto line = head + bar + text;
    if (static_cast<int>(line.size()) >= width)
      line.resize(width - 1);
    // \x1b[K clears what a longer previous line left.
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
    std::fflush(out_);
    drawn_ = true;
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (s.files_done == last_files_ && s.state == last_state_
      && now - last_line_ < std::chrono::seconds(2))
    return;
  last_files_ = s.files_done;
  last_state_ = s.state;
  last_line_ = now;
  std::fprintf(out_, "job %llu %s %s: %s\n", static_cast<unsigned long long>(s.job_id),
               s.kind.c_str(), s.state.c_str(), text.c_str());
  std::fflush(out_);
}

void progress_display::finish() {
  if (terminal_ && drawn_) {
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace d1
