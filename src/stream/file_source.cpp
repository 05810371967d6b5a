#include "stream/file_source.h"

#include "stream/source_options.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

namespace ledge::stream {

namespace {

constexpr int kMaxSide = 8192;

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof(buf));
  return buf;
}

bool is_gray(AVPixelFormat f) {
  switch (f) {
    case AV_PIX_FMT_GRAY8:
    case AV_PIX_FMT_GRAY16BE:
    case AV_PIX_FMT_GRAY16LE:
    case AV_PIX_FMT_GRAY10LE:
    case AV_PIX_FMT_GRAY12LE:
    case AV_PIX_FMT_MONOBLACK:
    case AV_PIX_FMT_MONOWHITE:
      return true;
    default:
      return false;
  }
}

}  // namespace

// FFmpeg's objects, freed in reverse order of creation.
struct FileSource::Decoder {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* scaler = nullptr;
  int stream = -1;
  bool flushing = false, finished = false;

  ~Decoder() {
    sws_freeContext(scaler);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }
};

FileSource::FileSource() = default;
FileSource::~FileSource() = default;

Expected<std::unique_ptr<FileSource>> FileSource::open(const std::string& text) {
  const std::set<std::string> known = {"fps"};
  std::string path, option_text;
  split_path_and_options(text, known, path, option_text);
  if (path.empty()) return invalid_argument("file source: no file given (file:PATH)");
  LEDGE_ASSIGN(SourceOptions o, SourceOptions::parse("file", option_text, known));

  av_log_set_level(AV_LOG_QUIET);
  std::unique_ptr<FileSource> s(new FileSource());
  s->path_ = path;
  s->decoder_ = std::make_unique<Decoder>();
  Decoder& d = *s->decoder_;
  const auto fail = [&](const std::string& what, int code) -> Error {
    return io_error(path + ": " + what + (code ? " (" + av_error(code) + ")" : ""));
  };
  if (int rc = avformat_open_input(&d.format, path.c_str(), nullptr, nullptr); rc < 0)
    return fail("cannot open as a video", rc);
  if (int rc = avformat_find_stream_info(d.format, nullptr); rc < 0)
    return fail("cannot read the stream information", rc);
  const AVCodec* codec = nullptr;
  d.stream = av_find_best_stream(d.format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (d.stream < 0 || !codec) return fail("holds no video stream FFmpeg can decode", 0);
  AVStream* st = d.format->streams[d.stream];
  d.codec = avcodec_alloc_context3(codec);
  if (!d.codec) return resource_limit(path + ": out of memory");
  if (int rc = avcodec_parameters_to_context(d.codec, st->codecpar); rc < 0)
    return fail("bad codec parameters", rc);
  d.codec->thread_count = 1;
  if (int rc = avcodec_open2(d.codec, codec, nullptr); rc < 0)
    return fail("cannot open the decoder", rc);
  if (d.codec->width < 1 || d.codec->height < 1 || d.codec->width > kMaxSide ||
      d.codec->height > kMaxSide)
    return invalid_argument(path + ": frames of " + std::to_string(d.codec->width) + "x" +
                            std::to_string(d.codec->height) + " pixels (at most " +
                            std::to_string(kMaxSide) + " a side)");
  d.packet = av_packet_alloc();
  d.frame = av_frame_alloc();
  if (!d.packet || !d.frame) return resource_limit(path + ": out of memory");
  const AVRational rate = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) s->native_fps_ = av_q2d(rate);

  double fps = 0;
  if (o.text("fps") == "native") {
    if (s->native_fps_ <= 0) return invalid_argument(path + ": the file names no frame rate");
    fps = s->native_fps_;
  } else {
    LEDGE_ASSIGN(fps, o.number("fps", 0, 0, 10000));
  }
  s->pacing_ = ReplayPacing(fps);
  return s;
}

Expected<std::optional<Image>> FileSource::decode_next() {
  Decoder& d = *decoder_;
  while (!d.finished) {
    int rc = avcodec_receive_frame(d.codec, d.frame);
    if (rc == 0) {
      const int w = d.frame->width, h = d.frame->height;
      if (w < 1 || h < 1 || w > kMaxSide || h > kMaxSide)
        return invalid_argument(path_ + ": a frame of " + std::to_string(w) + "x" +
                                std::to_string(h) + " pixels");
      const auto in_format = static_cast<AVPixelFormat>(d.frame->format);
      const bool gray = is_gray(in_format);
      const AVPixelFormat out_format = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
      // Exact conversion where it is only a repacking (the point of a lossless test video).
      d.scaler = sws_getCachedContext(d.scaler, w, h, in_format, w, h, out_format,
                                      SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                                      nullptr, nullptr);
      if (!d.scaler) return unsupported(path_ + ": cannot convert the frames' pixel format");
      Image img;
      img.height = h;
      img.width = w;
      img.channels = gray ? 1 : 3;
      img.pixels.resize(static_cast<size_t>(w) * static_cast<size_t>(h) *
                        static_cast<size_t>(img.channels));
      uint8_t* dst[4] = {img.pixels.data(), nullptr, nullptr, nullptr};
      int dst_stride[4] = {w * static_cast<int>(img.channels), 0, 0, 0};
      sws_scale(d.scaler, d.frame->data, d.frame->linesize, 0, h, dst, dst_stride);
      av_frame_unref(d.frame);
      return std::optional<Image>(std::move(img));
    }
    if (rc == AVERROR_EOF) {
      d.finished = true;
      break;
    }
    if (rc != AVERROR(EAGAIN)) return io_error(path_ + ": cannot decode (" + av_error(rc) + ")");
    // The decoder wants input: the next packet of our stream, or the end (flush).
    if (d.flushing) {
      d.finished = true;
      break;
    }
    rc = av_read_frame(d.format, d.packet);
    if (rc == AVERROR_EOF) {
      d.flushing = true;
      avcodec_send_packet(d.codec, nullptr);
      continue;
    }
    if (rc < 0) return io_error(path_ + ": cannot read (" + av_error(rc) + ")");
    if (d.packet->stream_index == d.stream) {
      rc = avcodec_send_packet(d.codec, d.packet);
      av_packet_unref(d.packet);
      if (rc < 0 && rc != AVERROR(EAGAIN))
        return io_error(path_ + ": cannot decode (" + av_error(rc) + ")");
    } else {
      av_packet_unref(d.packet);
    }
  }
  return std::optional<Image>();
}

Expected<std::optional<Image>> FileSource::next() {
  pacing_.wait();
  return decode_next();
}

std::string FileSource::describe() const {
  return "file " + path_ +
         (pacing_.lock_step() ? " (every frame)" : " (" + short_number(pacing_.fps()) + " fps)");
}

}  // namespace ledge::stream
