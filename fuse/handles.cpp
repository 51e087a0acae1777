// Open file handles: an object's reader count follows the handle's lifetime.
#include "fuse/handles.hpp"

namespace d1 {

file_handle::file_handle(const node_info& info, object_bytes_ptr bytes)
  : content(info.content),
    cache(info.cache),
    text(info.text()),
    object(info.object()),
    bytes(std::move(bytes)) {
  if (this->bytes)
    this->bytes->opened();
}

file_handle::~file_handle() {
  if (bytes)
    bytes->closed();
}

}  // namespace d1
