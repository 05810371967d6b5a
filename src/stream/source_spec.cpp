#include "stream/source_spec.h"

#include "stream/dir_source.h"
#include "stream/file_source.h"
#include "stream/synthetic_source.h"
#include "stream/v4l2_source.h"

namespace ledge::stream {

Expected<std::unique_ptr<FrameSource>> open_source(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string kind = colon == std::string::npos ? spec : spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "synthetic") {
    LEDGE_ASSIGN(SyntheticOptions o, parse_synthetic_options(rest));
    LEDGE_ASSIGN(auto s, SyntheticSource::create(o));
    return std::unique_ptr<FrameSource>(std::move(s));
  }
  if (kind == "dir") {
    LEDGE_ASSIGN(auto s, DirSource::open(rest));
    return std::unique_ptr<FrameSource>(std::move(s));
  }
  if (kind == "file") {
    LEDGE_ASSIGN(auto s, FileSource::open(rest));
    return std::unique_ptr<FrameSource>(std::move(s));
  }
  if (kind == "v4l2") {
    LEDGE_ASSIGN(auto s, V4l2Source::open(rest));
    return std::unique_ptr<FrameSource>(std::move(s));
  }
  return invalid_argument("--source: '" + spec +
                          "' is not v4l2:DEVICE, file:PATH, dir:PATH or synthetic:OPTIONS");
}

}  // namespace ledge::stream
