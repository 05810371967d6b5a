#include "stream/dir_source.h"

#include "data/image_folder.h"
#include "stream/source_options.h"

namespace ledge::stream {

Expected<std::unique_ptr<DirSource>> DirSource::open(const std::string& text) {
  const std::set<std::string> known = {"fps", "loop"};
  std::string dir, option_text;
  split_path_and_options(text, known, dir, option_text);
  if (dir.empty()) return invalid_argument("dir source: no folder given (dir:PATH)");
  LEDGE_ASSIGN(SourceOptions o, SourceOptions::parse("dir", option_text, known));
  std::unique_ptr<DirSource> s(new DirSource());
  LEDGE_ASSIGN(double fps, o.number("fps", 0, 0, 10000));
  LEDGE_ASSIGN(double loop, o.number("loop", 0, 0, 1));
  s->pacing_ = ReplayPacing(fps);
  s->loop_ = loop > 0;
  s->dir_ = dir;
  LEDGE_ASSIGN(ImageFolderListing listing, list_image_folder(dir));
  for (const std::string& f : listing.files) s->files_.push_back(dir + "/" + f);
  return s;
}

Expected<std::optional<Image>> DirSource::next() {
  if (index_ >= files_.size()) {
    if (!loop_) return std::optional<Image>();
    index_ = 0;
  }
  pacing_.wait();
  LEDGE_ASSIGN(Image img, read_image(files_[index_++]));
  return std::optional<Image>(std::move(img));
}

std::string DirSource::describe() const {
  return "dir " + dir_ + " (" + std::to_string(files_.size()) + " pictures" +
         (pacing_.lock_step() ? ", every frame" : ", " + short_number(pacing_.fps()) + " fps") +
         (loop_ ? ", looping" : "") + ")";
}

}  // namespace ledge::stream
