#include "data/image_folder.h"

#include <algorithm>
#include <filesystem>

#include "data/image_decode.h"

namespace ledge {

namespace {

namespace fs = std::filesystem;

struct Entries {
  std::vector<std::string> images, folders;  // names, sorted
};

Expected<Entries> entries(const std::string& dir) {
  Entries e;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code kind_ec;
    if (it->is_directory(kind_ec))
      e.folders.push_back(name);
    else if (it->is_regular_file(kind_ec) && has_image_extension(name))
      e.images.push_back(name);
  }
  if (ec) return io_error(dir + ": " + ec.message());
  std::sort(e.images.begin(), e.images.end());
  std::sort(e.folders.begin(), e.folders.end());
  return e;
}

// Decodes `root/name` for every name into one float32 [N, ...] tensor. Every image must
// come out the shape of the first.
Expected<Tensor> decode_all(const std::string& root, const std::vector<std::string>& names,
                            const PreprocessSpec& spec) {
  Tensor all;
  Shape first_shape;
  const auto path_of = [&](size_t i) { return root.empty() ? names[i] : root + "/" + names[i]; };
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string path = path_of(i);
    LEDGE_ASSIGN(Image img, read_image(path));
    auto shape = preprocessed_shape(spec, img.height, img.width);
    if (!shape) return std::move(shape).error().with_context(path);
    if (i == 0) {
      first_shape = *shape;
      Shape batch = {static_cast<int64_t>(names.size())};
      batch.insert(batch.end(), shape->begin(), shape->end());
      auto t = Tensor::make(DType::kFloat32, batch);
      if (!t) return std::move(t).error().with_context(root.empty() ? path : root);
      all = std::move(*t);
    } else if (*shape != first_shape) {
      return invalid_argument(
          path + " (" + std::to_string(img.width) + "x" + std::to_string(img.height) +
          ") becomes " + shape_to_string(*shape) + " but " + path_of(0) + " becomes " +
          shape_to_string(first_shape) +
          ": images of different sizes need --preprocess resize=WxH or crop= to make them one "
          "size");
    }
    const size_t per_sample = static_cast<size_t>(numel(first_shape));
    std::span<float> slot(all.data<float>() + i * per_sample, per_sample);
    if (Status st = preprocess_into(img, spec, slot); !st.ok())
      return std::move(st).error().with_context(path);
  }
  return all;
}

}  // namespace

bool holds_images(const std::string& dir) {
  auto e = entries(dir);
  if (!e) return false;
  if (!e->images.empty()) return true;
  for (const auto& f : e->folders) {
    auto sub = entries(dir + "/" + f);
    if (sub && !sub->images.empty()) return true;
  }
  return false;
}

Expected<ImageFolderListing> list_image_folder(const std::string& dir) {
  LEDGE_ASSIGN(Entries top, entries(dir));
  ImageFolderListing listing;
  if (!top.images.empty()) {
    listing.files = std::move(top.images);
    return listing;
  }
  for (size_t c = 0; c < top.folders.size(); ++c) {
    LEDGE_ASSIGN(Entries sub, entries(dir + "/" + top.folders[c]));
    for (const auto& name : sub.images) {
      listing.files.push_back(top.folders[c] + "/" + name);
      listing.labels.push_back(static_cast<int64_t>(c));
    }
  }
  if (listing.files.empty())
    return invalid_argument(dir +
                            ": no .png, .jpg or .jpeg files, in the folder or in its "
                            "subfolders");
  listing.class_names = std::move(top.folders);
  return listing;
}

Expected<Dataset> load_image_folder(const std::string& dir, const PreprocessSpec& spec,
                                    int64_t limit) {
  LEDGE_ASSIGN(ImageFolderListing listing, list_image_folder(dir));
  if (limit >= 0 && listing.files.size() > static_cast<size_t>(limit)) {
    listing.files.resize(static_cast<size_t>(limit));
    if (!listing.labels.empty()) listing.labels.resize(static_cast<size_t>(limit));
  }
  if (listing.files.empty()) return invalid_argument(dir + ": no samples (limit 0)");
  Dataset d;
  d.source = dir;
  LEDGE_ASSIGN(d.samples, decode_all(dir, listing.files, spec));
  d.labels = std::move(listing.labels);
  d.class_names = std::move(listing.class_names);
  d.names = std::move(listing.files);
  return d;
}

Expected<Dataset> load_image_files(const std::vector<std::string>& paths,
                                   const PreprocessSpec& spec) {
  if (paths.empty()) return invalid_argument("no image files");
  Dataset d;
  d.source = paths.size() == 1 ? paths[0]
                               : paths[0] + " and " + std::to_string(paths.size() - 1) + " more";
  LEDGE_ASSIGN(d.samples, decode_all("", paths, spec));
  d.names = paths;
  return d;
}

}  // namespace ledge
