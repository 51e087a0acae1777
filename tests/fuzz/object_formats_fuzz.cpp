// Fuzz target: objectFormatList documents (file name extensions come from them).
#include "actors/dataone/dataone_xml.hpp"
#include "tests/fuzz/fuzz_target.hpp"

D1_FUZZ_TARGET(object_formats) {
  auto formats = d1::parse_object_formats(input);
  if (!formats)
    return;
  for (auto& f : *formats)
    d1::fuzz::check(!f.id.empty() && !f.type.empty(),
                    "a format was accepted without formatId or formatType");
}

// The CN's object format list fixture (read in place), whole and cut to its first formats.
D1_FUZZ_SEEDS(object_formats) {
  return d1::fuzz::fixture_and_cuts("cn", "object_format_list", "objectFormat");
}
