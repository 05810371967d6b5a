// A frame source from its description on the command line:
//
//   v4l2:/dev/video0[,width=640,height=480]   a camera (stream/v4l2_source.h)
//   file:PATH[,fps=native|N]                  a video file (stream/file_source.h)
//   dir:PATH[,fps=N][,loop=1]                 a folder of pictures (stream/dir_source.h)
//   synthetic:fps=30[,drift_to=22,...]        a test signal (stream/synthetic_source.h)
#pragma once

#include <memory>
#include <string>

#include "stream/frame_source.h"

namespace ledge::stream {

Expected<std::unique_ptr<FrameSource>> open_source(const std::string& spec);

}  // namespace ledge::stream
