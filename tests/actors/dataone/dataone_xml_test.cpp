// The DataONE XML parsers against the real documents in ../shared/fixtures/dataone, and
// against what a broken node or proxy sends: truncations, garbage, HTML, wrong documents.
#include "actors/dataone/dataone_xml.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

namespace d1 {
namespace {

const std::string fixtures = d1::test::shared_fixtures();

using test::slurp;

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos)
    s.replace(pos, from.size(), to);
  return s;
}

template <class T>
std::string context(const caf::expected<T>& x) {
  return x ? std::string{"(no error)"} : context_of(x.error());
}

template <class T>
void expect_parse_error(const caf::expected<T>& x, const std::string& needle) {
  ASSERT_FALSE(x) << "expected a parse error mentioning " << needle;
  EXPECT_EQ(code_of(x.error()), ec::parse_error) << describe(x.error());
  EXPECT_NE(context(x).find(needle), std::string::npos)
    << "'" << context(x) << "' does not mention '" << needle << "'";
}

const char* html_page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
                        "<body><h1>Bad Gateway</h1><p>nginx</p></body></html>\n";

// -- system metadata ---------------------------------------------------------------------

TEST(dataone_xml, every_knb_sysmeta_fixture_parses) {
  size_t files = 0;
  for (auto& entry : std::filesystem::directory_iterator(fixtures + "/knb/sysmeta")) {
    ++files;
    auto name = entry.path().filename().string();
    auto xml = slurp(entry.path().string());
    auto md = parse_system_metadata(xml);
    ASSERT_TRUE(md) << name << ": " << describe(md.error());
    EXPECT_EQ(md->identifier, name);
    EXPECT_GT(md->size, 0u) << name;
    EXPECT_EQ(md->checksum.algorithm, "MD5") << name;
    EXPECT_EQ(md->checksum.value.size(), 32u) << name;
    EXPECT_EQ(md->xml, xml) << name;
    EXPECT_FALSE(md->format_id.empty()) << name;
    EXPECT_FALSE(md->authoritative_member_node.empty()) << name;
  }
  EXPECT_EQ(files, 17u);
}

TEST(dataone_xml, sysmeta_v1_values) {
  auto md = parse_system_metadata(slurp(fixtures + "/knb/sysmeta/cbfs.38.9"));
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->identifier, "cbfs.38.9");
  EXPECT_EQ(md->format_id, "application/octet-stream");
  EXPECT_EQ(md->size, 756u);
  EXPECT_EQ(md->checksum.algorithm, "MD5");
  EXPECT_EQ(md->checksum.value, "89c43b8d35206935ec7f7d6aae3418f3");
  EXPECT_EQ(md->submitter, "uid=rudstam,o=unaffiliated,dc=ecoinformatics,dc=org");
  EXPECT_EQ(md->rights_holder, "uid=rudstam,o=unaffiliated,dc=ecoinformatics,dc=org");
  EXPECT_EQ(md->obsoletes, "cbfs.38.8");
  EXPECT_EQ(md->obsoleted_by, "");
  EXPECT_FALSE(md->archived);
  EXPECT_EQ(md->date_uploaded, "2012-10-06T23:00:00.000+00:00");
  EXPECT_EQ(md->date_modified, "2013-11-14T23:10:42.118+00:00");
  EXPECT_EQ(md->origin_member_node, "urn:node:KNB");
  EXPECT_EQ(md->authoritative_member_node, "urn:node:KNB");
  EXPECT_EQ(md->replica_member_nodes,
            (std::vector<std::string>{"urn:node:KNB", "urn:node:mnUNM1", "urn:node:mnORC1"}));
  EXPECT_EQ(md->file_name, "");
  EXPECT_EQ(md->media_type, "");
}

TEST(dataone_xml, sysmeta_pretty_printed_with_comment) {
  auto md = parse_system_metadata(
    slurp(fixtures + "/knb/sysmeta/BAYXXX_015ADCP015R00_20051215.50.9"));
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->identifier, "BAYXXX_015ADCP015R00_20051215.50.9");
  EXPECT_EQ(md->format_id, "eml://ecoinformatics.org/eml-2.0.1");
  EXPECT_EQ(md->size, 34543u);
  EXPECT_EQ(md->checksum.value, "884f1452814899d7ba988d187491f493");
  EXPECT_EQ(md->submitter, "Dr. Libe Washburn");
  EXPECT_EQ(md->rights_holder,
            "Partnership for Interdisciplinary Studies of Coastal Oceans (PISCO)");
  EXPECT_EQ(md->date_uploaded, "2010-05-04T12:13:51.0Z");
  EXPECT_EQ(md->origin_member_node, "r2d2");
  EXPECT_TRUE(md->replica_member_nodes.empty());
}

TEST(dataone_xml, sysmeta_keeps_the_size_the_node_claims) {
  // Known real defect: the bytes are 7782, the metadata says 7791. The parser reports it
  // as written; the content cache is the one to notice.
  auto md = parse_system_metadata(slurp(fixtures + "/knb/sysmeta/Blandy.76.2"));
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->size, 7791u);
}

TEST(dataone_xml, sysmeta_v2_with_other_prefix_file_name_and_media_type) {
  auto xml = slurp(fixtures + "/knb/sysmeta/cbfs.38.9");
  xml = replace(xml, "<d1:systemMetadata xmlns:d1=\"http://ns.dataone.org/service/types/v1\">",
                "<ns3:systemMetadata xmlns:ns2=\"http://ns.dataone.org/service/types/v1\" "
                "xmlns:ns3=\"http://ns.dataone.org/service/types/v2.0\">");
  xml = replace(xml, "</d1:systemMetadata>",
                "<seriesId>cbfs.38</seriesId><mediaType name=\"text/plain\">"
                "<property name=\"charset\">UTF-8</property></mediaType>"
                "<fileName>cbfs 38 v9.txt</fileName></ns3:systemMetadata>");
  xml = replace(xml, "<checksum algorithm=\"MD5\">89c43b8d35206935ec7f7d6aae3418f3",
                "<checksum algorithm=\"SHA-256\">\n  "
                "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n");
  xml = replace(xml, "<archived>false</archived>", "<archived>true</archived>");
  auto md = parse_system_metadata(xml);
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->identifier, "cbfs.38.9");
  EXPECT_EQ(md->checksum.algorithm, "SHA-256");
  EXPECT_EQ(md->checksum.value,
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  EXPECT_EQ(md->file_name, "cbfs 38 v9.txt");
  EXPECT_EQ(md->media_type, "text/plain");
  EXPECT_TRUE(md->archived);
  EXPECT_EQ(md->xml, xml);
}

TEST(dataone_xml, sysmeta_without_namespace_prefix) {
  auto xml = slurp(fixtures + "/knb/sysmeta/cbfs.38.9");
  xml = replace(xml, "<d1:systemMetadata xmlns:d1=", "<systemMetadata xmlns=");
  xml = replace(xml, "</d1:systemMetadata>", "</systemMetadata>");
  auto md = parse_system_metadata(xml);
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->size, 756u);
}

TEST(dataone_xml, sysmeta_missing_or_malformed_required_elements) {
  auto xml = slurp(fixtures + "/knb/sysmeta/cbfs.38.9");
  expect_parse_error(parse_system_metadata(replace(xml, "<size>756</size>", "")),
                     "missing <size>");
  expect_parse_error(parse_system_metadata(replace(xml, "<size>756</size>", "<size>7x</size>")),
                     "<size> is not a non-negative integer: '7x'");
  expect_parse_error(
    parse_system_metadata(replace(xml, "<size>756</size>", "<size>-756</size>")), "<size>");
  expect_parse_error(
    parse_system_metadata(replace(xml, "<size>756</size>",
                                  "<size>99999999999999999999999</size>")),
    "<size>");
  expect_parse_error(
    parse_system_metadata(replace(xml, "<identifier>cbfs.38.9</identifier>", "")),
    "missing <identifier>");
  expect_parse_error(
    parse_system_metadata(replace(xml, "<identifier>cbfs.38.9</identifier>",
                                  "<identifier>  </identifier>")),
    "<identifier> is empty");
  expect_parse_error(
    parse_system_metadata(
      replace(xml, "<formatId>application/octet-stream</formatId>", "")),
    "missing <formatId>");
  expect_parse_error(
    parse_system_metadata(
      replace(xml, "<checksum algorithm=\"MD5\">89c43b8d35206935ec7f7d6aae3418f3</checksum>",
              "")),
    "missing <checksum>");
  expect_parse_error(parse_system_metadata(
                       replace(xml, "<checksum algorithm=\"MD5\">", "<checksum>")),
                     "algorithm");
  expect_parse_error(parse_system_metadata(
                       replace(xml, "89c43b8d35206935ec7f7d6aae3418f3", "not-hex!")),
                     "<checksum> is not hexadecimal");
  expect_parse_error(parse_system_metadata(replace(xml, "<archived>false</archived>",
                                                   "<archived>maybe</archived>")),
                     "<archived> is not a boolean");
}

TEST(dataone_xml, sysmeta_empty_html_and_other_documents) {
  expect_parse_error(parse_system_metadata(""), "empty document");
  expect_parse_error(parse_system_metadata(" \n\t "), "empty document");
  expect_parse_error(parse_system_metadata(html_page), "the document is <html>");
  expect_parse_error(parse_system_metadata("<html><body><p>unclosed</body></html>"),
                     "not well-formed XML");
  expect_parse_error(parse_system_metadata("502 Bad Gateway"), "systemMetadata");
  expect_parse_error(parse_system_metadata(slurp(fixtures + "/cn/node_list_v2.xml")),
                     "the document is <ns3:nodeList>, not <systemMetadata>");
  expect_parse_error(
    parse_system_metadata("<error name=\"NotFound\" errorCode=\"404\" detailCode=\"1060\">"
                          "<description>No system metadata for x</description></error>"),
    "NotFound (404): No system metadata for x");
}

TEST(dataone_xml, sysmeta_every_truncation_is_an_error) {
  for (auto file : {"cbfs.38.9", "BAYXXX_015ADCP015R00_20051215.50.9"}) {
    auto xml = slurp(fixtures + "/knb/sysmeta/" + file);
    auto end = xml.rfind("</d1:systemMetadata>");
    ASSERT_NE(end, std::string::npos);
    end += std::string_view{"</d1:systemMetadata>"}.size();
    for (size_t n = 0; n < end; ++n) {
      auto md = parse_system_metadata(std::string_view{xml}.substr(0, n));
      ASSERT_FALSE(md) << file << " cut at " << n << " parsed";
      ASSERT_EQ(code_of(md.error()), ec::parse_error);
    }
  }
}

TEST(dataone_xml, random_bytes_never_parse_or_crash) {
  std::mt19937 rng(20261123);
  auto sysmeta = slurp(fixtures + "/knb/sysmeta/cbfs.38.9");
  for (int i = 0; i < 500; ++i) {
    std::string junk(rng() % 2048, '\0');
    for (auto& c : junk)
      c = static_cast<char>(rng());
    // Half the time, garbage inside an otherwise valid document.
    if (i % 2 == 1)
      junk = sysmeta.substr(0, sysmeta.size() / 2) + junk + sysmeta.substr(sysmeta.size() / 2);
    auto md = parse_system_metadata(junk);
    if (md)
      continue;  // garbage that happens to land in a text node is still a document
    EXPECT_EQ(code_of(md.error()), ec::parse_error);
    EXPECT_FALSE(parse_object_locations(junk));
    EXPECT_FALSE(parse_node_list(junk));
    EXPECT_FALSE(parse_object_formats(junk));
    EXPECT_FALSE(parse_query_engine_description(junk));
    EXPECT_FALSE(parse_dataone_error(junk));
  }
}

// -- objectLocationList ------------------------------------------------------------------

const char* locations_v2 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ns2:objectLocationList xmlns:ns2="http://ns.dataone.org/service/types/v2.0"
                        xmlns:ns1="http://ns.dataone.org/service/types/v1">
  <identifier>doi:10.5063/F1/a b</identifier>
  <objectLocation>
    <nodeIdentifier>urn:node:KNB</nodeIdentifier>
    <baseURL>https://knb.ecoinformatics.org/knb/d1/mn</baseURL>
    <version>v1</version>
    <version>v2</version>
    <url>https://knb.ecoinformatics.org/knb/d1/mn/v2/object/doi%3A10.5063%2FF1%2Fa%20b</url>
    <preference>0</preference>
  </objectLocation>
  <objectLocation>
    <nodeIdentifier>urn:node:mnUNM1</nodeIdentifier>
    <baseURL>https://mn-unm-1.dataone.org/knb/d1/mn</baseURL>
    <version>v1</version>
    <url>https://mn-unm-1.dataone.org/knb/d1/mn/v1/object/doi%3A10.5063%2FF1%2Fa%20b</url>
  </objectLocation>
</ns2:objectLocationList>
)";

TEST(dataone_xml, object_locations_in_document_order) {
  auto locs = parse_object_locations(locations_v2);
  ASSERT_TRUE(locs) << describe(locs.error());
  ASSERT_EQ(locs->size(), 2u);
  EXPECT_EQ((*locs)[0].node_identifier, "urn:node:KNB");
  EXPECT_EQ((*locs)[0].base_url, "https://knb.ecoinformatics.org/knb/d1/mn");
  EXPECT_EQ((*locs)[0].url,
            "https://knb.ecoinformatics.org/knb/d1/mn/v2/object/doi%3A10.5063%2FF1%2Fa%20b");
  EXPECT_EQ((*locs)[1].node_identifier, "urn:node:mnUNM1");
}

TEST(dataone_xml, object_locations_v1_and_broken) {
  std::string v1 = "<d1:objectLocationList xmlns:d1=\"http://ns.dataone.org/service/types/v1\">"
                   "<identifier>x</identifier><objectLocation>"
                   "<nodeIdentifier>urn:node:A</nodeIdentifier><baseURL>https://a/mn</baseURL>"
                   "<version>v1</version><url>https://a/mn/v1/object/x</url>"
                   "</objectLocation></d1:objectLocationList>";
  auto locs = parse_object_locations(v1);
  ASSERT_TRUE(locs) << describe(locs.error());
  ASSERT_EQ(locs->size(), 1u);
  EXPECT_EQ(locs->front().url, "https://a/mn/v1/object/x");
  expect_parse_error(parse_object_locations(replace(v1, "<url>https://a/mn/v1/object/x</url>",
                                                    "")),
                     "<objectLocation> #1 (urn:node:A) has no <url>");
  expect_parse_error(parse_object_locations(
                       replace(v1, "<nodeIdentifier>urn:node:A</nodeIdentifier>", "")),
                     "has no <nodeIdentifier>");
  expect_parse_error(parse_object_locations(html_page), "objectLocationList");
  expect_parse_error(parse_object_locations(""), "empty document");
  expect_parse_error(parse_object_locations(std::string_view{locations_v2}.substr(0, 300)),
                     "not well-formed XML");
}

// -- node list ---------------------------------------------------------------------------

TEST(dataone_xml, node_list_fixture) {
  auto nodes = parse_node_list(slurp(fixtures + "/cn/node_list_v2.xml"));
  ASSERT_TRUE(nodes) << describe(nodes.error());
  ASSERT_EQ(nodes->size(), 44u);
  auto& cn = nodes->front();
  EXPECT_EQ(cn.identifier, "urn:node:CN");
  EXPECT_EQ(cn.name, "cn");
  EXPECT_EQ(cn.description, "Round Robin Router for Production Coordinating Nodes");
  EXPECT_EQ(cn.base_url, "https://cn.dataone.org/cn");
  EXPECT_EQ(cn.type, "cn");
  EXPECT_EQ(cn.state, "up");
  EXPECT_FALSE(cn.replicate);
  EXPECT_FALSE(cn.synchronize);
  ASSERT_EQ(cn.services.size(), 14u);
  EXPECT_EQ(cn.services.front(), "CNCore v1 (available)");
  EXPECT_EQ(std::count_if(nodes->begin(), nodes->end(),
                          [](auto& n) { return n.type == "mn"; }),
            40);
  auto find = [&](const std::string& id) {
    return *std::find_if(nodes->begin(), nodes->end(),
                         [&](auto& n) { return n.identifier == id; });
  };
  auto knb = find("urn:node:KNB");
  EXPECT_EQ(knb.base_url, "https://knb.ecoinformatics.org/knb/d1/mn");
  EXPECT_TRUE(knb.replicate);
  EXPECT_TRUE(knb.synchronize);
  EXPECT_EQ(knb.services.size(), 10u);
  EXPECT_EQ(find("urn:node:USANPN").state, "down");
  auto neon = find("urn:node:NEON");
  EXPECT_NE(std::find(neon.services.begin(), neon.services.end(),
                      "MNStorage v2 (unavailable)"),
            neon.services.end());
  EXPECT_EQ(nodes->back().identifier, "urn:node:EDI");
}

TEST(dataone_xml, node_list_broken) {
  auto xml = slurp(fixtures + "/cn/node_list_v2.xml");
  expect_parse_error(parse_node_list(replace(xml, "<baseURL>https://cn.dataone.org/cn</baseURL>",
                                             "")),
                     "<node> urn:node:CN has no <baseURL>");
  expect_parse_error(parse_node_list(replace(xml, "<identifier>urn:node:CN</identifier>", "")),
                     "<node> #1 has no <identifier>");
  expect_parse_error(parse_node_list(xml.substr(0, xml.size() / 2)), "not well-formed XML");
  expect_parse_error(parse_node_list(html_page), "nodeList");
}

// -- object formats ----------------------------------------------------------------------

TEST(dataone_xml, object_format_list_fixture) {
  auto formats = parse_object_formats(slurp(fixtures + "/cn/object_format_list_v2.xml"));
  ASSERT_TRUE(formats) << describe(formats.error());
  ASSERT_EQ(formats->size(), 117u);
  auto& first = formats->front();
  EXPECT_EQ(first.id, "eml://ecoinformatics.org/eml-2.0.0");
  EXPECT_EQ(first.name, "Ecological Metadata Language, version 2.0.0");
  EXPECT_EQ(first.type, "METADATA");
  EXPECT_EQ(first.media_type, "text/xml");
  EXPECT_EQ(first.extension, "xml");
  auto find = [&](const std::string& id) {
    auto i = std::find_if(formats->begin(), formats->end(),
                          [&](auto& f) { return f.id == id; });
    EXPECT_NE(i, formats->end()) << id;
    return i == formats->end() ? object_format{} : *i;
  };
  auto csv = find("text/csv");
  EXPECT_EQ(csv.type, "DATA");
  EXPECT_EQ(csv.media_type, "text/csv");
  EXPECT_EQ(csv.extension, "csv");
  auto ore = find("http://www.openarchives.org/ore/terms");
  EXPECT_EQ(ore.type, "RESOURCE");
  EXPECT_EQ(ore.media_type, "application/rdf xml");
  EXPECT_EQ(ore.extension, "rdf");
  EXPECT_EQ(find("application/bagit-097").extension, "");  // the one without <extension>
}

TEST(dataone_xml, object_format_list_broken) {
  auto xml = slurp(fixtures + "/cn/object_format_list_v2.xml");
  expect_parse_error(parse_object_formats(replace(xml, "<formatType>DATA</formatType>", "")),
                     "has no <formatType>");
  expect_parse_error(parse_object_formats(xml.substr(0, 1000)), "not well-formed XML");
  expect_parse_error(parse_object_formats(""), "objectFormatList: empty document");
}

// -- query engine description ------------------------------------------------------------

TEST(dataone_xml, query_engine_description_fixture) {
  auto fields = parse_query_engine_description(
    slurp(fixtures + "/cn/query_engine_description.xml"));
  ASSERT_TRUE(fields) << describe(fields.error());
  ASSERT_EQ(fields->size(), 143u);
  auto& root = fields->front();
  EXPECT_EQ(root.name, "_root_");
  EXPECT_EQ(root.type, "string");
  EXPECT_TRUE(root.searchable);
  EXPECT_FALSE(root.returnable);
  EXPECT_FALSE(root.multivalued);
  EXPECT_EQ(root.description, "");
  auto find = [&](const std::string& name) {
    return *std::find_if(fields->begin(), fields->end(),
                         [&](auto& f) { return f.name == name; });
  };
  auto size = find("size");
  EXPECT_EQ(size.type, "tlong");
  EXPECT_EQ(size.description, "The size of the object, in bytes.");
  EXPECT_TRUE(size.returnable);
  EXPECT_TRUE(find("keywords").multivalued);
  EXPECT_EQ(find("dateUploaded").type, "tdate");
  EXPECT_EQ(fields->back().name, "writePermission");
}

TEST(dataone_xml, query_engine_description_broken) {
  auto xml = slurp(fixtures + "/cn/query_engine_description.xml");
  expect_parse_error(parse_query_engine_description(
                       replace(xml, "<name>_root_</name>", "")),
                     "<queryField> #1 has no <name>");
  expect_parse_error(
    parse_query_engine_description(replace(xml, "<returnable>false</returnable>",
                                           "<returnable>nope</returnable>")),
    "<returnable> of <_root_> is not a boolean: 'nope'");
  expect_parse_error(parse_query_engine_description(html_page), "queryEngineDescription");
}

// -- DataONE error bodies ----------------------------------------------------------------

TEST(dataone_xml, dataone_error_not_found) {
  auto err = parse_dataone_error(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<error detailCode=\"1800\" errorCode=\"404\" name=\"NotFound\">\n"
    "  <description>No system metadata could be found for given PID: nope</description>\n"
    "</error>\n");
  ASSERT_TRUE(err) << describe(err.error());
  EXPECT_EQ(err->name, "NotFound");
  EXPECT_EQ(err->error_code, "404");
  EXPECT_EQ(err->detail_code, "1800");
  EXPECT_EQ(err->description, "No system metadata could be found for given PID: nope");
  auto e = to_error(*err);
  EXPECT_EQ(code_of(e), ec::not_found);
  EXPECT_EQ(context_of(e), "NotFound (404): No system metadata could be found for given PID: nope");
}

TEST(dataone_xml, dataone_error_other_names_and_garbage) {
  auto err = parse_dataone_error("<error name=\"ServiceFailure\" errorCode=\"500\" "
                                 "detailCode=\"4150\"><description>database down"
                                 "</description><traceInformation>x</traceInformation>"
                                 "</error>");
  ASSERT_TRUE(err) << describe(err.error());
  auto e = to_error(*err);
  EXPECT_EQ(code_of(e), ec::http_status);
  EXPECT_EQ(context_of(e), "ServiceFailure (500): database down");
  expect_parse_error(parse_dataone_error("<error errorCode=\"500\"/>"),
                     "<error> has no name attribute");
  expect_parse_error(parse_dataone_error(html_page), "the document is <html>");
  expect_parse_error(parse_dataone_error(""), "empty document");
}

}  // namespace
}  // namespace d1
