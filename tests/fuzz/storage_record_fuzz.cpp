// Fuzz target: LMDB record decoding (storage/codec.hpp) for every persisted record type,
// as a damaged state dir may present them. The first byte picks the type; the rest is the
// record (schema version byte first). A record that decodes must re-encode stably.
#include "actors/fs/path_cache.hpp"
#include "messages/fs_types.hpp"
#include "messages/mobile_types.hpp"
#include "storage/codec.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <tuple>

namespace {

using records = std::tuple<d1::cache_record<d1::node_info>, d1::cache_record<d1::listing>,
                           d1::resource_record, d1::file_record, d1::path_refs,
                           d1::history_entry, d1::journal_entry, d1::job_file,
                           d1::job_record>;
constexpr size_t record_types = std::tuple_size_v<records>;

template <class T>
void round_trip(std::string_view bytes) {
  auto value = d1::storage::decode<T>(bytes);
  if (!value)
    return;
  auto encoded = d1::storage::encode(*value);
  auto again = d1::storage::decode<T>(encoded);
  d1::fuzz::check(again.engaged(), "a decoded record does not decode after re-encoding");
  d1::fuzz::check(d1::storage::encode(*again) == encoded, "re-encoding is not stable");
}

template <size_t... Is>
void dispatch(size_t type, std::string_view bytes, std::index_sequence<Is...>) {
  ((type == Is ? round_trip<std::tuple_element_t<Is, records>>(bytes) : void()), ...);
}

template <class T>
std::string tagged(size_t type, const T& value) {
  return std::string(1, static_cast<char>(type)) + d1::storage::encode(value);
}

}  // namespace

D1_FUZZ_TARGET(storage_record) {
  if (input.empty())
    return;
  dispatch(static_cast<unsigned char>(input[0]) % record_types, input.substr(1),
           std::make_index_sequence<record_types>{});
}

// One plausible record of each type, as the caches and the catalogue write them.
D1_FUZZ_SEEDS(storage_record) {
  d1::node_info file;
  file.kind = d1::entry_kind::file;
  file.cache = d1::cache_class::immutable;
  file.size = 7782;
  file.mtime = 1700000000;
  file.set_text("Not found - object 'xyz'\n");
  d1::listing dir;
  dir.entries.push_back(d1::dir_entry{"system.xml", file});
  dir.entries.push_back(d1::dir_entry{"sub", d1::node_info{}});
  d1::resource_record resource;
  resource.uid = "u1";
  resource.spec = "AD_TIFF";
  resource.root = "/data/fast";
  resource.path = "scan42";
  resource.kwargs = R"({"template": "%s%s_%6.6d.tiff"})";
  d1::file_record f;
  f.resource_uid = "u1";
  f.file_uid = "f1";
  f.rel_path = "scan42/img_000001.tiff";
  f.size = 1 << 20;
  d1::path_refs refs;
  refs.abs_path = "/data/fast/scan42/img_000001.tiff";
  refs.refs.push_back(d1::file_ref{});
  d1::history_entry history;
  history.resource_uid = "u1";
  history.action = "copy";
  d1::journal_entry journal;
  journal.seq = 3;
  journal.command = "resource.copy";
  d1::job_file step;
  step.rel_path = "scan42/img_000001.tiff";
  d1::job_record job;
  job.id = 7;
  job.files.push_back(step);
  return {tagged(0, d1::cache_record<d1::node_info>{0, "/FlatSpace/x/system.xml", file}),
          tagged(1, d1::cache_record<d1::listing>{1700000600, "/FlatSpace/x", dir}),
          tagged(2, resource), tagged(3, f), tagged(4, refs), tagged(5, history),
          tagged(6, journal), tagged(7, step), tagged(8, job)};
}
