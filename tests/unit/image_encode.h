// PNG and JPEG encoders for the image tests: small pictures written with libpng and libjpeg
// themselves, so the decoder is checked against an independent writer.
#pragma once

#include <png.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// jpeglib.h uses FILE and size_t without declaring them: <cstdio> must come first.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
// clang-format on

#include "core/file.h"

namespace ledge::test {

// `pixels` row-major, interleaved; color_type one of PNG_COLOR_TYPE_{GRAY,RGB,RGBA,GRAY_ALPHA,
// PALETTE}; 16-bit samples big-endian as PNG stores them. Valid input only: libpng's default
// error handling aborts, which is what a test wants from a broken writer.
inline std::vector<uint8_t> encode_png(int width, int height, int color_type, int bit_depth,
                                       const std::vector<uint8_t>& pixels, bool interlaced = false,
                                       const std::vector<png_color>& palette = {}) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  std::vector<uint8_t> out;
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        auto* o = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        o->insert(o->end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height),
               bit_depth, color_type, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[static_cast<size_t>(y)] = const_cast<png_bytep>(pixels.data()) + y * row_bytes;
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// channels 1 (gray) or 3 (RGB).
inline std::vector<uint8_t> encode_jpeg(int width, int height, int channels,
                                        const std::vector<uint8_t>& pixels, int quality = 95,
                                        bool progressive = false) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.data()) +
                   static_cast<size_t>(cinfo.next_scanline) * static_cast<size_t>(width * channels);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

// Recomputes every chunk's CRC, so that a mutated PNG reaches the decoder's deeper layers
// instead of failing its checksum.
inline void fix_png_crcs(std::vector<uint8_t>& png) {
  size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const uint32_t length = (uint32_t{png[pos]} << 24) | (uint32_t{png[pos + 1]} << 16) |
                            (uint32_t{png[pos + 2]} << 8) | uint32_t{png[pos + 3]};
    if (length > png.size() - pos - 12) return;
    const uint32_t crc = static_cast<uint32_t>(crc32(0, png.data() + pos + 4, length + 4));
    uint8_t* at = png.data() + pos + 8 + length;
    at[0] = static_cast<uint8_t>(crc >> 24), at[1] = static_cast<uint8_t>(crc >> 16);
    at[2] = static_cast<uint8_t>(crc >> 8), at[3] = static_cast<uint8_t>(crc);
    pos += 12 + length;
  }
}

inline void save(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (!write_file(path, bytes.data(), bytes.size()).ok()) std::abort();
}

}  // namespace ledge::test
