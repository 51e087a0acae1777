// AD_TIFF frames through libtiff. Each file is opened by datum_file (O_NOFOLLOW,
// O_NONBLOCK, fstat) and handed to TIFFFdOpenExt, without memory mapping ("m"): a file
// truncated under a mapping would be a SIGBUS, a short read is only an error. libtiff's
// messages go to a handler per file (TIFFOpenOptions), so they name the file and no global
// handler is touched from worker threads.
#include "actors/mobile/datum_tiff.hpp"

#include "actors/mobile/datum_source.hpp"
#include "messages/error.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

namespace d1 {

namespace {

// Strips are handed to the sink in deliveries of at least this many bytes.
constexpr uint64_t delivery_bytes = uint64_t{1} << 20;

// A header that asks libtiff for more than this in one buffer is refused (a frame's strip
// or row of tiles is far smaller in any real detector image).
constexpr tmsize_t max_single_alloc = tmsize_t{1} << 30;

// libtiff's error messages about one file, collected by its handler.
struct tiff_messages {
  std::string text;
};

int collect_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto& out = static_cast<tiff_messages*>(user)->text;
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (!out.empty())
    out += "; ";
  if (module && *module)
    out += std::string{module} + ": ";
  out += buf;
  return 1;  // handled: libtiff's global handler (stderr) stays silent
}

int ignore_warning(TIFF*, void*, const char*, const char*, va_list) {
  return 1;
}

struct tiff_closer {
  void operator()(TIFF* tif) const {
    TIFFClose(tif);
  }
};

struct options_deleter {
  void operator()(TIFFOpenOptions* o) const {
    TIFFOpenOptionsFree(o);
  }
};

// The layout of one TIFF image, as far as the datum is concerned.
struct tiff_image {
  datum_dtype dtype;
  uint32_t width = 0;
  uint32_t height = 0;
  uint16_t samples = 1;

  bool same_as(const tiff_image& o) const {
    return dtype == o.dtype && width == o.width && height == o.height && samples == o.samples;
  }

  std::string describe() const {
    return std::to_string(width) + "x" + std::to_string(height)
           + (samples > 1 ? "x" + std::to_string(samples) : std::string{}) + " " + dtype.str();
  }
};

// One open TIFF file and its messages.
class tiff_file {
public:
  explicit tiff_file(reusable_buffer& tiles) : tiles_(tiles) {
  }

  caf::error open(const std::string& root, const std::string& rel) {
    auto file = datum_file::open(root, rel);
    if (!file)
      return std::move(file.error());
    path_ = file->path();
    std::unique_ptr<TIFFOpenOptions, options_deleter> opts{TIFFOpenOptionsAlloc()};
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts.get(), max_single_alloc);
    TIFFOpenOptionsSetErrorHandlerExtR(opts.get(), collect_error, &messages_);
    TIFFOpenOptionsSetWarningHandlerExtR(opts.get(), ignore_warning, nullptr);
    // "r": read, "m": no memory mapping, "c": no strip chopping (libtiff would otherwise
    // cut an uncompressed one-strip frame into 8 KiB strips: a read call each). On failure
    // libtiff leaves the descriptor open, so datum_file keeps it until it is handed over.
    tif_.reset(TIFFFdOpenExt(file->fd(), path_.c_str(), "rmc", opts.get()));
    if (!tif_)
      return failure(ec::parse_error, "not a readable TIFF");
    file->release();
    return caf::none;
  }

  TIFF* get() const {
    return tif_.get();
  }

  // An error naming the file, with libtiff's own words when it said any.
  caf::error failure(ec code, const std::string& what) {
    auto text = path_ + ": " + what;
    if (!messages_.text.empty())
      text += " (" + messages_.text + ")";
    messages_.text.clear();
    return make_error(code, text);
  }

  caf::expected<tiff_image> layout() {
    auto* tif = tif_.get();
    tiff_image img;
    uint16_t bits = 0, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    uint16_t compression = COMPRESSION_NONE;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &img.width)
        || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &img.height))
      return failure(ec::parse_error, "no image width or length");
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &img.samples);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    if (!TIFFIsCODECConfigured(compression))
      return failure(ec::invalid_argument,
                     "compression " + std::to_string(compression) + " is not supported");
    if (img.samples > 1 && planar != PLANARCONFIG_CONTIG)
      return failure(ec::invalid_argument,
                     "separate sample planes (PlanarConfiguration 2) are not supported");
    char kind = format == SAMPLEFORMAT_UINT   ? 'u'
                : format == SAMPLEFORMAT_INT  ? 'i'
                : format == SAMPLEFORMAT_IEEEFP ? 'f'
                                              : '?';
    if (kind == '?' || bits % 8 != 0)
      return failure(ec::invalid_argument,
                     "unsupported sample type: SampleFormat " + std::to_string(format) + ", "
                       + std::to_string(bits) + " bits");
    auto dtype = make_dtype(kind, bits / 8);
    if (!dtype)
      return failure(ec::invalid_argument, context_of(dtype.error()));
    img.dtype = *dtype;
    if (img.width == 0 || img.height == 0 || img.samples == 0)
      return failure(ec::parse_error, "an empty image");
    return img;
  }

  // Streams the image's values (strips, or rows of tiles) to the sink.
  caf::error stream(const tiff_image& img, value_sink& sink) {
    const uint64_t row_bytes = uint64_t{img.width} * img.samples * img.dtype.size;
    if (TIFFIsTiled(tif_.get()))
      return stream_tiles(img, row_bytes, sink);
    uint32_t rows_per_strip = img.height;
    TIFFGetFieldDefaulted(tif_.get(), TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
    rows_per_strip = std::clamp<uint32_t>(rows_per_strip, 1, img.height);
    auto strips = TIFFNumberOfStrips(tif_.get());
    uint64_t strip_bytes = 0;
    bool strip_overflows = __builtin_mul_overflow(row_bytes, rows_per_strip, &strip_bytes);
    if (strips != (img.height + rows_per_strip - 1) / rows_per_strip)
      return failure(ec::parse_error, std::to_string(strips) + " strips where "
                                        + std::to_string(img.height) + " rows of "
                                        + std::to_string(rows_per_strip) + " need "
                                        + std::to_string((img.height + rows_per_strip - 1)
                                                         / rows_per_strip));
    if (strip_overflows || strip_bytes > static_cast<uint64_t>(max_single_alloc))
      return failure(ec::invalid_argument, "strips of " + std::to_string(strip_bytes)
                                             + " bytes are too large to read");
    // Consecutive strips are consecutive rows: several go to the sink as one delivery of
    // at least delivery_bytes (a sink that hashes on another thread pays per delivery).
    const uint64_t per_delivery = std::max<uint64_t>(1, delivery_bytes / strip_bytes);
    for (uint32_t first = 0; first < strips;) {
      uint32_t last = static_cast<uint32_t>(std::min<uint64_t>(strips, first + per_delivery));
      auto buf = sink.buffer(static_cast<size_t>(strip_bytes * (last - first)));
      uint64_t filled = 0;
      for (uint32_t s = first; s < last; ++s) {
        uint64_t rows =
          std::min<uint64_t>(rows_per_strip, img.height - uint64_t{s} * rows_per_strip);
        auto want = static_cast<tmsize_t>(rows * row_bytes);
        auto got = TIFFReadEncodedStrip(tif_.get(), s, buf + filled, want);
        if (got != want)
          return failure(ec::parse_error,
                         "strip " + std::to_string(s) + " of " + std::to_string(strips)
                           + (got < 0 ? std::string{" cannot be read"}
                                      : " holds " + std::to_string(got) + " bytes, not "
                                          + std::to_string(want)));
        filled += static_cast<uint64_t>(want);
      }
      sink.values(buf, static_cast<size_t>(filled));
      first = last;
    }
    return caf::none;
  }

  // An image after this one would be data the datum does not cover.
  caf::error check_single_image() {
    if (!TIFFLastDirectory(tif_.get()))
      return failure(ec::parse_error,
                     "holds more than one image (an AD_TIFF frame file holds one)");
    return caf::none;
  }

private:
  caf::error stream_tiles(const tiff_image& img, uint64_t row_bytes, value_sink& sink) {
    uint32_t tile_w = 0, tile_h = 0;
    TIFFGetField(tif_.get(), TIFFTAG_TILEWIDTH, &tile_w);
    TIFFGetField(tif_.get(), TIFFTAG_TILELENGTH, &tile_h);
    if (tile_w == 0 || tile_h == 0)
      return failure(ec::parse_error, "a tiled image without tile width or length");
    const uint64_t pixel_bytes = uint64_t{img.samples} * img.dtype.size;
    uint64_t tile_bytes = 0, band_bytes = 0;
    bool overflows = __builtin_mul_overflow(uint64_t{tile_w} * tile_h, pixel_bytes, &tile_bytes)
                     || __builtin_mul_overflow(row_bytes, tile_h, &band_bytes);
    if (overflows || tile_bytes > static_cast<uint64_t>(max_single_alloc)
        || band_bytes > static_cast<uint64_t>(max_single_alloc))
      return failure(ec::invalid_argument, "tiles too large to read");
    tiles_.reserve(tile_bytes);
    auto tile = tiles_.data();
    for (uint32_t y = 0; y < img.height; y += tile_h) {
      auto band = sink.buffer(static_cast<size_t>(band_bytes));
      uint32_t rows = std::min(tile_h, img.height - y);
      for (uint32_t x = 0; x < img.width; x += tile_w) {
        auto index = TIFFComputeTile(tif_.get(), x, y, 0, 0);
        auto got = TIFFReadEncodedTile(tif_.get(), index, tile,
                                       static_cast<tmsize_t>(tile_bytes));
        if (got != static_cast<tmsize_t>(tile_bytes))
          return failure(ec::parse_error, "tile " + std::to_string(index) + " cannot be read");
        uint32_t cols = std::min(tile_w, img.width - x);
        for (uint32_t r = 0; r < rows; ++r)
          std::memcpy(band + r * row_bytes + x * pixel_bytes,
                      tile + uint64_t{r} * tile_w * pixel_bytes, cols * pixel_bytes);
      }
      sink.values(band, static_cast<size_t>(rows * row_bytes));
    }
    return caf::none;
  }

  std::string path_;
  tiff_messages messages_;
  std::unique_ptr<TIFF, tiff_closer> tif_;
  reusable_buffer& tiles_;  // one tile (strips and rows of tiles go to the sink's buffers)
};

}  // namespace

caf::error read_tiff_stack(const std::string& root, const std::vector<std::string>& rels,
                           value_sink& sink) {
  tiff_image first;
  reusable_buffer tiles{0};  // reused from one frame file to the next
  for (size_t i = 0; i < rels.size(); ++i) {
    tiff_file file{tiles};
    if (auto err = file.open(root, rels[i]))
      return err;
    auto img = file.layout();
    if (!img)
      return std::move(img.error());
    if (i == 0) {
      first = *img;
      std::vector<uint64_t> shape{rels.size(), first.height, first.width};
      if (first.samples > 1)
        shape.push_back(first.samples);
      if (auto err = sink.begin(first.dtype, shape))
        return file.failure(code_of(err), context_of(err));
    } else if (!img->same_as(first)) {
      return file.failure(ec::invalid_argument,
                          "image is " + img->describe() + ", the datum's first frame ("
                            + rels[0] + ") is " + first.describe());
    }
    if (auto err = file.stream(*img, sink))
      return err;
    if (auto err = file.check_single_image())
      return err;
  }
  return caf::none;
}

}  // namespace d1
