// Datum hashing + statistics throughput (tools/bench/datum.sh runs it against `openssl
// speed` and a numpy script). Writes the benchmark's uint16 stacks with libtiff/libhdf5
// and times hash_datum over every point of a resource.
//   bench_datum write-tiff DIR FRAMES HEIGHT WIDTH     one uncompressed TIFF per frame
//   bench_datum write-hdf5 FILE FRAMES HEIGHT WIDTH    contiguous /entry/data/data
//   bench_datum hash SPEC ROOT PATH KWARGS POINTS [ALGORITHM] [one-thread]
// `hash` prints one JSON line: seconds (wall), cpu_seconds (user + system), bytes (values
// hashed), MB/s, and the SHA-1 of the datum hashes in point order (so two tools can be
// checked to have done the same work). `one-thread`: statistics on the hashing thread.
#include "hashing/checksum.hpp"
#include "actors/mobile/datum_hash.hpp"
#include "actors/mobile/datum_hdf5.hpp"

#include <hdf5.h>
#include <sys/resource.h>
#include <tiffio.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// Detector-like values spread over the whole uint16 range (a hard case for the value
// counts: they touch every entry of the table).
void fill_frame(std::vector<uint16_t>& frame, uint32_t index) {
  uint32_t x = 2463534242u ^ (index * 2654435761u);
  for (auto& v : frame) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<uint16_t>(x);
  }
}

int write_tiff(const std::string& dir, uint32_t frames, uint32_t h, uint32_t w) {
  std::filesystem::create_directories(dir);
  std::vector<uint16_t> frame(size_t{h} * w);
  for (uint32_t f = 0; f < frames; ++f) {
    fill_frame(frame, f);
    char name[64];
    std::snprintf(name, sizeof name, "/img_%6.6u.tiff", f);
    TIFF* tif = TIFFOpen((dir + name).c_str(), "w");
    if (!tif)
      return 1;
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, h);  // one strip, as areaDetector writes them
    bool ok = TIFFWriteEncodedStrip(tif, 0, frame.data(),
                                    static_cast<tmsize_t>(frame.size() * 2)) >= 0;
    TIFFClose(tif);
    if (!ok)
      return 1;
  }
  return 0;
}

int write_hdf5(const std::string& path, uint32_t frames, uint32_t h, uint32_t w) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0)
    return 1;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hsize_t dims[3] = {frames, h, w};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t dset = H5Dcreate2(file, d1::ad_hdf5_dataset, H5T_STD_U16LE, space, lcpl, H5P_DEFAULT,
                          H5P_DEFAULT);
  std::vector<uint16_t> frame(size_t{h} * w);
  hsize_t count[3] = {1, h, w};
  hid_t mem = H5Screate_simple(3, count, nullptr);
  bool ok = dset >= 0;
  for (uint32_t f = 0; f < frames && ok; ++f) {
    fill_frame(frame, f);
    hsize_t start[3] = {f, 0, 0};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    ok = H5Dwrite(dset, H5T_NATIVE_UINT16, mem, space, H5P_DEFAULT, frame.data()) >= 0;
  }
  H5Sclose(mem);
  if (dset >= 0)
    H5Dclose(dset);
  H5Sclose(space);
  H5Pclose(lcpl);
  H5Fclose(file);
  return ok ? 0 : 1;
}

int hash(int argc, char** argv) {
  d1::datum_hash_request req;
  req.spec = argv[2];
  req.root = argv[3];
  req.resource_path = argv[4];
  req.resource_kwargs = argv[5];
  auto points = std::stoull(argv[6]);
  req.algorithm = argc > 7 ? argv[7] : "SHA-1";
  d1::digest_options options;
  if (argc > 8 && std::string{argv[8]} == "one-thread")
    options.stats_thread_bytes = 0;
  auto fs = d1::make_posix_file_system();
  d1::worker_io io{*fs};
  auto all = d1::streaming_hasher::make("SHA-1");
  uint64_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t p = 0; p < points; ++p) {
    req.datum_id = std::to_string(p);
    req.datum_kwargs = "{\"point_number\": " + std::to_string(p) + "}";
    auto r = d1::hash_datum(io, req, options);
    if (r.state != d1::datum_state::ok) {
      std::fprintf(stderr, "%s\n", r.detail.c_str());
      return 1;
    }
    uint64_t n = r.dtype == "|u1" || r.dtype == "|i1" ? 1 : std::stoull(r.dtype.substr(2));
    for (auto d : r.shape)
      n *= d;
    bytes += n;
    all->update(r.hash.data(), r.hash.size());
  }
  double seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec
               + usage.ru_stime.tv_usec * 1e-6;
  std::printf("{\"seconds\": %.4f, \"cpu_seconds\": %.4f, \"bytes\": %llu, "
              "\"mb_per_s\": %.1f, \"hashes\": \"%s\"}\n",
              seconds, cpu, static_cast<unsigned long long>(bytes), bytes / seconds / 1e6,
              all->hex_digest().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write-tiff" && argc == 6)
    return write_tiff(argv[2], std::stoul(argv[3]), std::stoul(argv[4]), std::stoul(argv[5]));
  if (cmd == "write-hdf5" && argc == 6)
    return write_hdf5(argv[2], std::stoul(argv[3]), std::stoul(argv[4]), std::stoul(argv[5]));
  if (cmd == "hash" && argc >= 7)
    return hash(argc, argv);
  std::fprintf(stderr,
               "usage: bench_datum write-tiff DIR FRAMES HEIGHT WIDTH\n"
               "       bench_datum write-hdf5 FILE FRAMES HEIGHT WIDTH\n"
               "       bench_datum hash SPEC ROOT PATH KWARGS POINTS [ALGORITHM]\n");
  return 2;
}
