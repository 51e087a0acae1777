// Datum values of an AD_HDF5 resource: rows of the dataset /entry/data/data (areaDetector's
// NDFileHDF5 layout) read with libhdf5, contiguous or chunked (gzip, szip, shuffle: the
// filters this libhdf5 has), either byte order. The daemon reads through a separate reader
// process (d1drive-hdf5-reader, docs/hardening.md): libhdf5 is not hardened against
// malformed files, and a crash there must not take the daemon down.
#pragma once

#include "actors/mobile/datum_source.hpp"
#include "actors/mobile/datum_value.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace d1 {

/// Where areaDetector writes the frames.
inline constexpr const char* ad_hdf5_dataset = "/entry/data/data";

/// How the daemon runs its HDF5 reader process.
struct hdf5_reader_options {
  /// The reader executable; empty: D1DRIVE_HDF5_READER if set, else d1drive-hdf5-reader
  /// beside the running executable.
  std::string program;
  /// A reader that sends nothing for this long is killed: libhdf5 reads a few MiB between
  /// two frames, which takes well under a second even gzip-compressed from a busy disk, so a
  /// minute of silence means it is stuck (a loop on a corrupt file), not slow.
  std::chrono::milliseconds no_progress{std::chrono::seconds{60}};
};

/// Delivers rows `first_row … first_row + rows - 1` of `dataset` in rel beneath `src` to
/// `sink`: shape (rows, the dataset's other dimensions…). The file is opened here (through
/// `src`) and its descriptor handed to the calling thread's reader process, which streams
/// the values back a few MiB at a time; every frame is checked (kind, lengths, shape, the
/// total). Returns, naming the file: the errors of datum_root::open; ec::cancelled once
/// `src` is interrupted (the reader is killed); ec::parse_error for a file libhdf5 cannot
/// read (not HDF5, corrupt, truncated, a filter it lacks, a file locked by a writer);
/// ec::invalid_argument for a missing dataset, rows past its end, or an unsupported
/// element type; ec::io_error when the reader crashed ("libhdf5 crashed reading X (signal
/// 11)"), exited, sent a malformed frame, or was killed after `no_progress`, or when it
/// cannot be started.
caf::error read_hdf5_rows(datum_root& src, const std::string& rel,
                          const std::string& dataset, uint64_t first_row, uint64_t rows,
                          value_sink& sink, const hdf5_reader_options& options = {});

/// The same in the calling process (the reader process's own work; tests compare with it).
caf::error read_hdf5_rows_in_process(datum_root& src, const std::string& rel,
                                     const std::string& dataset, uint64_t first_row,
                                     uint64_t rows, value_sink& sink);

/// The same rows from the open file `fd`, named `path` in errors: libhdf5 opens
/// /proc/self/fd/`fd` (the very inode), or where /proc is missing `local_path`, then checked
/// to be the same inode. `interrupted` is asked between pieces (ec::cancelled).
caf::error read_hdf5_fd_rows(int fd, const std::string& path, const std::string& local_path,
                             const std::string& dataset, uint64_t first_row, uint64_t rows,
                             const std::function<bool()>& interrupted, value_sink& sink);

/// The same rows from an HDF5 file held in memory (`image`, through libhdf5's core driver;
/// nothing is read from or written to disk), named `name` in errors, never interrupted.
/// The same errors but those of datum_root::open.
caf::error read_hdf5_image_rows(std::string_view image, const std::string& name,
                                const std::string& dataset, uint64_t first_row, uint64_t rows,
                                value_sink& sink);

}  // namespace d1
