// Fuzz target: an AD_TIFF frame file as a resource may hold it (actors/mobile/datum_tiff.hpp),
// read with the project's libtiff setup (memory cap, per-file error handler). Seeds are
// small frames written by libtiff itself: strips and tiles, compressions, both byte orders.
#include "actors/mobile/datum_tiff.hpp"
#include "tests/fuzz/datum_fuzz.hpp"

#include <tiffio.h>

#include <vector>

namespace {

struct frame_style {
  uint16_t compression;
  bool big_endian;
  uint32_t tile;  // 0: strips of 3 rows
  uint16_t bits;
};

frame_style style;

// An 8 x 10 frame of `style` at `path`.
bool write_frame(const std::string& path) {
  TIFF* tif = TIFFOpen(path.c_str(), style.big_endian ? "wb" : "wl");
  if (!tif)
    return false;
  const uint32_t width = 10, height = 8;
  const size_t bytes = style.bits / 8;
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, style.bits);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, uint16_t{1});
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, uint16_t{SAMPLEFORMAT_UINT});
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, uint16_t{PHOTOMETRIC_MINISBLACK});
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, uint16_t{PLANARCONFIG_CONTIG});
  TIFFSetField(tif, TIFFTAG_COMPRESSION, style.compression);
  std::vector<unsigned char> pixels(size_t{width} * height * bytes);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<unsigned char>(i * 7);
  bool ok = true;
  if (style.tile) {
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, style.tile);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, style.tile);
    std::vector<unsigned char> tile(size_t{style.tile} * style.tile * bytes, 1);
    for (uint32_t y = 0; y < height && ok; y += style.tile)
      for (uint32_t x = 0; x < width && ok; x += style.tile)
        ok = TIFFWriteTile(tif, tile.data(), x, y, 0, 0) >= 0;
  } else {
    const uint32_t rows = 3;
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows);
    for (uint32_t y = 0, strip = 0; y < height && ok; y += rows, ++strip) {
      auto n = std::min(rows, height - y);
      std::vector<unsigned char> part(pixels.begin() + y * width * bytes,
                                      pixels.begin() + (y + n) * width * bytes);
      ok = TIFFWriteEncodedStrip(tif, strip, part.data(), static_cast<tmsize_t>(part.size())) >= 0;
    }
  }
  ok = ok && TIFFWriteDirectory(tif);
  TIFFClose(tif);
  return ok;
}

}  // namespace

D1_FUZZ_SEEDS(tiff_file) {
  std::vector<std::string> out;
  for (auto s : {frame_style{COMPRESSION_NONE, false, 0, 16}, frame_style{COMPRESSION_NONE, true, 0, 16},
                 frame_style{COMPRESSION_LZW, false, 0, 8}, frame_style{COMPRESSION_ADOBE_DEFLATE, true, 0, 32},
                 frame_style{COMPRESSION_PACKBITS, false, 0, 8}, frame_style{COMPRESSION_NONE, false, 16, 16}}) {
    style = s;
    auto bytes = d1::fuzz::written_by("seed.tif", write_frame);
    if (!bytes.empty())
      out.push_back(bytes);
  }
  return out;
}

D1_FUZZ_TARGET(tiff_file) {
  auto dir = d1::fuzz::scratch_file("frame_0000.tif", input);
  d1::datum_root root{d1::fuzz::disk_io(), dir};
  d1::fuzz::checking_sink sink;
  auto err = d1::read_tiff_stack(root, {"frame_0000.tif"}, sink);
  sink.finish(!err);
  // The same file twice: a stack of two frames of the first one's size and type.
  d1::fuzz::checking_sink two;
  err = d1::read_tiff_stack(root, {"frame_0000.tif", "frame_0000.tif"}, two);
  two.finish(!err);
}
