// Writes a lossless video with libavcodec for the file-source tests: PNG-coded RGB frames
// in an AVI (or whatever container the name's extension picks), so every pixel decodes back
// exactly. Valid input only; a failure aborts, which is what a test wants from its writer.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "data/image_decode.h"

namespace ledge::test {

inline void check_av(int rc) {
  if (rc < 0) std::abort();
}

inline void write_packets(AVCodecContext* ctx, AVFormatContext* fmt, AVStream* st, AVFrame* f) {
  check_av(avcodec_send_frame(ctx, f));
  AVPacket* pkt = av_packet_alloc();
  while (true) {
    const int rc = avcodec_receive_packet(ctx, pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) break;
    check_av(rc);
    av_packet_rescale_ts(pkt, ctx->time_base, st->time_base);
    pkt->stream_index = st->index;
    check_av(av_interleaved_write_frame(fmt, pkt));
  }
  av_packet_free(&pkt);
}

// `frames`: RGB images of one size.
inline void write_lossless_video(const std::string& path, const std::vector<Image>& frames,
                                 int fps) {
  AVFormatContext* fmt = nullptr;
  check_av(avformat_alloc_output_context2(&fmt, nullptr, nullptr, path.c_str()));
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) std::abort();
  AVStream* st = avformat_new_stream(fmt, nullptr);
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  ctx->width = static_cast<int>(frames.front().width);
  ctx->height = static_cast<int>(frames.front().height);
  ctx->pix_fmt = AV_PIX_FMT_RGB24;
  ctx->time_base = AVRational{1, fps};
  ctx->framerate = AVRational{fps, 1};
  if (fmt->oformat->flags & AVFMT_GLOBALHEADER) ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check_av(avcodec_open2(ctx, codec, nullptr));
  check_av(avcodec_parameters_from_context(st->codecpar, ctx));
  st->time_base = ctx->time_base;
  st->avg_frame_rate = ctx->framerate;
  check_av(avio_open(&fmt->pb, path.c_str(), AVIO_FLAG_WRITE));
  check_av(avformat_write_header(fmt, nullptr));
  AVFrame* f = av_frame_alloc();
  f->format = ctx->pix_fmt;
  f->width = ctx->width;
  f->height = ctx->height;
  check_av(av_frame_get_buffer(f, 0));
  for (size_t i = 0; i < frames.size(); ++i) {
    check_av(av_frame_make_writable(f));
    const Image& img = frames[i];
    for (int64_t y = 0; y < img.height; ++y)
      std::memcpy(f->data[0] + y * f->linesize[0],
                  &img.pixels[static_cast<size_t>(y * img.width * 3)],
                  static_cast<size_t>(img.width * 3));
    f->pts = static_cast<int64_t>(i);
    write_packets(ctx, fmt, st, f);
  }
  write_packets(ctx, fmt, st, nullptr);  // flush
  check_av(av_write_trailer(fmt));
  av_frame_free(&f);
  avcodec_free_context(&ctx);
  avio_closep(&fmt->pb);
  avformat_free_context(fmt);
}

}  // namespace ledge::test
