// science_object: builds the object folder from a descriptor; no I/O of its own.
#include "actors/resolve/science_object.hpp"

#include "messages/error.hpp"
#include "messages/node_attrs.hpp"

#include <cstdio>
#include <ctime>

namespace d1 {

namespace {

constexpr const char* system_xml_name = "system.xml";
constexpr const char* search_fields_name = "search_fields.txt";

int64_t object_mtime(const object_descriptor& desc) {
  auto t = parse_iso8601(desc.sysmeta.date_uploaded);
  return t != 0 ? t : parse_iso8601(desc.sysmeta.date_modified);
}

node_info folder_attr(const object_descriptor& desc) {
  return folder_attr(cache_class::immutable, object_mtime(desc));
}

// A file whose bytes are the object `ref`, verified by content_cache when read.
node_info bytes_attr(object_ref ref, int64_t mtime) {
  node_info info;
  info.kind = entry_kind::file;
  info.cache = cache_class::immutable;
  info.size = ref.size;
  info.mtime = mtime;
  info.content = content_kind::object_bytes;
  info.set_object(std::move(ref));
  return info;
}

node_info text_attr(std::string text, int64_t mtime) {
  node_info info;
  info.kind = entry_kind::file;
  info.cache = cache_class::metadata;
  info.size = text.size();
  info.mtime = mtime;
  info.content = content_kind::inline_text;
  info.set_text(std::move(text));
  return info;
}

}  // namespace

int64_t parse_iso8601(const std::string& text) {
  int y, mo, d, h = 0, mi = 0;
  double s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &s) < 3)
    return 0;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = static_cast<int>(s);
  int64_t t = timegm(&tm);
  // A numeric zone offset ("+02:00") after the seconds shifts the instant.
  auto zone = text.find_first_of("+-", 19);
  if (zone != std::string::npos) {
    int zh = 0, zm = 0;
    if (std::sscanf(text.c_str() + zone + 1, "%d:%d", &zh, &zm) >= 1) {
      int64_t off = zh * 3600 + zm * 60;
      t += text[zone] == '+' ? -off : off;
    }
  }
  return t;
}

std::string search_fields_text(const object_descriptor& desc) {
  if (!desc.indexed)
    return "# " + desc.pid + " has no record in the search index (yet).\n";
  std::string out;
  for (auto& f : desc.record.fields)
    for (auto& v : f.values) {
      out += f.name;
      out += ": ";
      // One line per value: fold embedded newlines so each line stays one field.
      for (char c : v)
        out += (c == '\n' || c == '\r') ? ' ' : c;
      out += '\n';
    }
  return out;
}

listing object_folder_listing(const object_descriptor& desc) {
  listing out;
  out.cache = cache_class::immutable;
  auto mtime = object_mtime(desc);
  out.entries.push_back(
    dir_entry{desc.file_name,
              bytes_attr(object_ref{desc.pid, desc.sysmeta.size, desc.sysmeta.checksum.algorithm,
                                    desc.sysmeta.checksum.value},
                         mtime)});
  out.entries.push_back(dir_entry{system_xml_name, text_attr(desc.sysmeta.xml, mtime)});
  out.entries.push_back(dir_entry{search_fields_name, text_attr(search_fields_text(desc), mtime)});
  for (auto& doc : desc.documented_by)
    out.entries.push_back(
      dir_entry{doc.file_name, bytes_attr(object_ref{doc.pid, doc.size, doc.checksum.algorithm,
                                                     doc.checksum.value},
                                          parse_iso8601(doc.date_uploaded))});
  if (desc.documented_by_partial)
    out.cache = cache_class::metadata;  // a document is missing: list the folder again later
  return out;
}

object_resolver_actor::behavior_type
science_object(object_resolver_actor::stateful_pointer<science_object_state>) {
  return {
    [](get_attr_atom, const object_descriptor& desc,
       const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return folder_attr(desc);
      if (req.remaining() == 1)
        for (auto& e : object_folder_listing(desc).entries)
          if (e.name == req.current())
            return e.info;
      return make_error(ec::not_found, "no '" + req.current() + "' in the folder of '"
                                         + desc.pid + "'");
    },
    [](get_dir_atom, const object_descriptor& desc,
       const resolve_request& req) -> caf::result<listing> {
      if (req.remaining() == 0)
        return object_folder_listing(desc);
      return make_error(ec::not_found, "'" + req.current() + "' is not a folder");
    },
  };
}

}  // namespace d1
