#include "data/image_decode.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <memory>

// jpeglib.h uses FILE and size_t without declaring them: <cstdio> must come first.
// clang-format off
#include <cstdio>
#include <jerror.h>
#include <jpeglib.h>
// clang-format on

#include "core/file.h"

// libpng and libjpeg report errors by longjmp. The functions that call into them with a
// setjmp armed (png_read_*_c, jpeg_read_*_c) are C-style: they and every frame a longjmp
// can skip hold only plain data, so no destructor is ever skipped. Objects with destructors
// (the pixel vector) live in their callers, which a longjmp never leaves.

namespace ledge {

namespace {

constexpr size_t kMessageSize = 200;
// A progressive JPEG can hold any number of scans, each a pass over the whole image: a
// small file could keep the decoder busy for minutes. Real files have about ten.
constexpr int kMaxJpegScans = 256;

Status check_pixel_count(int64_t width, int64_t height, int64_t channels) {
  if (width <= 0 || height <= 0)
    return invalid_argument("image of " + std::to_string(width) + "x" + std::to_string(height) +
                            " pixels");
  if (width > kMaxImageSide || height > kMaxImageSide ||
      static_cast<size_t>(width * height * channels) > kMaxImageBytes)
    return resource_limit(std::to_string(width) + "x" + std::to_string(height) + "x" +
                          std::to_string(channels) + " pixels exceed the limit of " +
                          std::to_string(kMaxImageBytes) + " bytes (sides up to " +
                          std::to_string(kMaxImageSide) + ")");
  return Status();
}

// ---- PNG ----

// What libpng's callbacks see: the input and the last error message.
struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[kMessageSize];
};

void png_on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof src->message, "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}  // benign by definition; print nothing

void png_read_from_memory(png_structp png, png_bytep out, png_size_t count) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (count > src->size - src->pos) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, src->data + src->pos, count);
  src->pos += count;
}

struct PngLayout {
  uint32_t width, height;
  int channels, passes;
  size_t row_bytes;
};

// Reads the header and asks libpng for 8-bit gray or RGB rows.
bool png_read_header_c(png_structp png, png_infop info, PngLayout* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, static_cast<uint32_t>(kMaxImageSide),
                      static_cast<uint32_t>(kMaxImageSide));
  png_set_chunk_malloc_max(png, png_alloc_size_t{8} << 20);  // text and ICC chunks
  png_read_info(png, info);
  png_set_expand(png);  // palette to RGB, gray below 8 bits to 8, tRNS to alpha
  png_set_scale_16(png);
  png_set_strip_alpha(png);
  out->passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->channels = png_get_channels(png, info);
  out->row_bytes = png_get_rowbytes(png, info);
  return true;
}

// Reads every row (every pass of an interlaced image) into `pixels`.
bool png_read_pixels_c(png_structp png, const PngLayout* layout, uint8_t* pixels) {
  if (setjmp(png_jmpbuf(png))) return false;
  for (int pass = 0; pass < layout->passes; ++pass)
    for (uint32_t y = 0; y < layout->height; ++y)
      png_read_row(png, pixels + y * layout->row_bytes, nullptr);
  return true;
}

Expected<Image> decode_png(const uint8_t* data, size_t size) {
  PngSource src = {data, size, 0, {}};
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  struct Release {
    png_structp* png;
    png_infop* info;
    ~Release() { png_destroy_read_struct(png, info, nullptr); }
  } release{&png, &info};
  if (!png || !info) return resource_limit("out of memory for the PNG decoder");
  png_set_read_fn(png, &src, png_read_from_memory);

  PngLayout layout = {};
  if (!png_read_header_c(png, info, &layout))
    return invalid_argument(std::string("corrupt PNG: ") + src.message);
  if (layout.channels != 1 && layout.channels != 3)
    return internal_error("PNG decoded to " + std::to_string(layout.channels) + " channels");
  LEDGE_TRY(check_pixel_count(layout.width, layout.height, layout.channels));
  if (layout.row_bytes != size_t{layout.width} * static_cast<size_t>(layout.channels))
    return internal_error("PNG rows of " + std::to_string(layout.row_bytes) + " bytes");

  Image img;
  img.width = layout.width;
  img.height = layout.height;
  img.channels = layout.channels;
  img.pixels.resize(layout.row_bytes * layout.height);
  if (!png_read_pixels_c(png, &layout, img.pixels.data()))
    return invalid_argument(std::string("corrupt PNG: ") + src.message);
  return img;
}

// ---- JPEG ----

struct JpegDecoder {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr errors;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// libjpeg hands callbacks the cinfo; the decoder around it holds the jump target.
JpegDecoder* decoder_of(j_common_ptr cinfo) {
  return static_cast<JpegDecoder*>(cinfo->client_data);
}

[[noreturn]] void jpeg_on_error(j_common_ptr cinfo) {
  JpegDecoder* d = decoder_of(cinfo);
  (*cinfo->err->format_message)(cinfo, d->message);
  std::longjmp(d->jump, 1);
}

// Level -1 is a warning (others are traces). A file that ends early is an error: libjpeg
// would fill the rest of the image with gray. Other warnings (stray bytes between markers)
// are tolerated, as other readers tolerate them.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_on_error(cinfo);
  if (level < 0) ++cinfo->err->num_warnings;
}

void jpeg_on_progress(j_common_ptr cinfo) {
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kMaxJpegScans) {
    JpegDecoder* d = decoder_of(cinfo);
    std::snprintf(d->message, sizeof d->message, "more than %d progressive scans", kMaxJpegScans);
    std::longjmp(d->jump, 1);
  }
}

// Creates the decompressor and reads the header. `d` must be zero-filled.
bool jpeg_read_header_c(JpegDecoder* d, const uint8_t* data, size_t size) {
  d->cinfo.err = jpeg_std_error(&d->errors);
  d->errors.error_exit = jpeg_on_error;
  d->errors.emit_message = jpeg_on_message;
  d->cinfo.client_data = d;  // kept by jpeg_create_decompress, which clears the rest
  d->progress.progress_monitor = jpeg_on_progress;
  if (setjmp(d->jump)) return false;
  jpeg_create_decompress(&d->cinfo);
  d->cinfo.progress = &d->progress;
  d->cinfo.mem->max_memory_to_use = static_cast<long>(2 * kMaxImageBytes);
  jpeg_mem_src(&d->cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&d->cinfo, TRUE);
  return true;
}

// Decodes every row into `pixels` (`row_bytes` per row); out_color_space is set.
bool jpeg_read_pixels_c(JpegDecoder* d, uint8_t* pixels, size_t row_bytes, uint32_t height) {
  if (setjmp(d->jump)) return false;
  jpeg_start_decompress(&d->cinfo);
  if (d->cinfo.output_height != height ||
      d->cinfo.output_width * static_cast<size_t>(d->cinfo.output_components) != row_bytes) {
    std::snprintf(d->message, sizeof d->message, "output size differs from the header");
    return false;
  }
  while (d->cinfo.output_scanline < height) {
    JSAMPROW row = pixels + d->cinfo.output_scanline * row_bytes;
    if (jpeg_read_scanlines(&d->cinfo, &row, 1) != 1) {
      std::snprintf(d->message, sizeof d->message, "no progress decoding row %u",
                    d->cinfo.output_scanline);
      return false;
    }
  }
  return true;
}

Expected<Image> decode_jpeg(const uint8_t* data, size_t size) {
  auto d = std::make_unique<JpegDecoder>();  // zero-filled; jmp_buf is large for the stack
  struct Release {
    JpegDecoder* d;
    ~Release() { jpeg_destroy_decompress(&d->cinfo); }  // safe on a half-created one
  } release{d.get()};
  if (!jpeg_read_header_c(d.get(), data, size))
    return invalid_argument(std::string("corrupt JPEG: ") + d->message);
  jpeg_decompress_struct& cinfo = d->cinfo;
  int channels = 0;
  switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      channels = 1;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      channels = 3;
      cinfo.out_color_space = JCS_RGB;
      break;
    default:
      return unsupported("JPEG in colour space " + std::to_string(cinfo.jpeg_color_space) +
                         " (CMYK or YCCK); convert it to RGB");
  }
  LEDGE_TRY(check_pixel_count(cinfo.image_width, cinfo.image_height, channels));

  Image img;
  img.width = cinfo.image_width;
  img.height = cinfo.image_height;
  img.channels = channels;
  const size_t row_bytes = static_cast<size_t>(img.width * channels);
  img.pixels.resize(row_bytes * static_cast<size_t>(img.height));
  if (!jpeg_read_pixels_c(d.get(), img.pixels.data(), row_bytes, cinfo.image_height))
    return invalid_argument(std::string("corrupt JPEG: ") + d->message);
  return img;
}

bool is_png(const uint8_t* data, size_t size) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return size >= 8 && std::memcmp(data, kSignature, 8) == 0;
}

bool is_jpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
}

}  // namespace

Expected<Image> decode_image(const uint8_t* data, size_t size) {
  if (size == 0) return invalid_argument("empty file");
  if (is_png(data, size)) return decode_png(data, size);
  if (is_jpeg(data, size)) return decode_jpeg(data, size);
  return invalid_argument("not a PNG or JPEG file (unknown signature)");
}

Expected<Image> read_image(const std::string& path) {
  auto bytes = read_file(path, kMaxImageBytes);
  if (!bytes) return std::move(bytes).error().with_context(path);
  auto img = decode_image(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  if (!img) return std::move(img).error().with_context(path);
  return img;
}

bool has_image_extension(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ext == "png" || ext == "jpg" || ext == "jpeg";
}

}  // namespace ledge
