// The single registration point for message types (STYLE.md rule 1).
#include "messages/type_registry.hpp"

#include "messages/cache_types.hpp"
#include "messages/dataone_types.hpp"
#include "messages/datum_types.hpp"
#include "messages/error.hpp"
#include "messages/fs_types.hpp"
#include "messages/http_types.hpp"
#include "messages/mobile_types.hpp"

namespace d1 {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<object_ref>("d1.object_ref");
  cfg.add_message_type<node_info>("d1.node_info");
  cfg.add_message_type<dir_entry>("d1.dir_entry");
  cfg.add_message_type<listing>("d1.listing");
  cfg.add_message_type<resolve_request>("d1.resolve_request");
  cfg.add_message_type<cached_attr>("d1.cached_attr");
  cfg.add_message_type<cached_listing>("d1.cached_listing");
  cfg.add_message_type<cache_stats>("d1.cache_stats");
  cfg.add_message_type<checksum_failure>("d1.checksum_failure");
  cfg.add_message_type<download_progress>("d1.download_progress");
  cfg.add_message_type<content_report>("d1.content_report");
  cfg.add_message_type<checksum_value>("d1.checksum_value");
  cfg.add_message_type<system_metadata>("d1.system_metadata");
  cfg.add_message_type<documenting_object>("d1.documenting_object");
  cfg.add_message_type<object_location>("d1.object_location");
  cfg.add_message_type<std::vector<object_location>>("d1.object_locations");
  cfg.add_message_type<object_format>("d1.object_format");
  cfg.add_message_type<std::vector<object_format>>("d1.object_formats");
  cfg.add_message_type<node_description>("d1.node_description");
  cfg.add_message_type<std::vector<node_description>>("d1.node_descriptions");
  cfg.add_message_type<solr_field>("d1.solr_field");
  cfg.add_message_type<solr_record>("d1.solr_record");
  cfg.add_message_type<facet_count>("d1.facet_count");
  cfg.add_message_type<facet_field_counts>("d1.facet_field_counts");
  cfg.add_message_type<solr_response>("d1.solr_response");
  cfg.add_message_type<query_field>("d1.query_field");
  cfg.add_message_type<std::vector<query_field>>("d1.query_fields");
  cfg.add_message_type<solr_query>("d1.solr_query");
  cfg.add_message_type<object_descriptor>("d1.object_descriptor");
  cfg.add_message_type<solr_querier_stats>("d1.solr_querier_stats");
  cfg.add_message_type<http_header>("d1.http_header");
  cfg.add_message_type<http_request>("d1.http_request");
  cfg.add_message_type<http_response>("d1.http_response");
  cfg.add_message_type<resource_record>("d1.resource_record");
  cfg.add_message_type<std::vector<resource_record>>("d1.resource_records");
  cfg.add_message_type<file_record>("d1.file_record");
  cfg.add_message_type<file_ref>("d1.file_ref");
  cfg.add_message_type<path_refs>("d1.path_refs");
  cfg.add_message_type<history_entry>("d1.history_entry");
  cfg.add_message_type<std::vector<history_entry>>("d1.history_entries");
  cfg.add_message_type<journal_entry>("d1.journal_entry");
  cfg.add_message_type<std::vector<journal_entry>>("d1.journal_entries");
  cfg.add_message_type<job_file>("d1.job_file");
  cfg.add_message_type<job_request>("d1.job_request");
  cfg.add_message_type<plan_step>("d1.plan_step");
  cfg.add_message_type<job_ticket>("d1.job_ticket");
  cfg.add_message_type<job_progress>("d1.job_progress");
  cfg.add_message_type<job_record>("d1.job_record");
  cfg.add_message_type<std::vector<job_record>>("d1.job_records");
  cfg.add_message_type<copy_location>("d1.copy_location");
  cfg.add_message_type<location_report>("d1.location_report");
  cfg.add_message_type<resource_detail>("d1.resource_detail");
  cfg.add_message_type<root_shift>("d1.root_shift");
  cfg.add_message_type<hash_request>("d1.hash_request");
  cfg.add_message_type<hash_result>("d1.hash_result");
  cfg.add_message_type<copy_result>("d1.copy_result");
  cfg.add_message_type<copy_item>("d1.copy_item");
  cfg.add_message_type<copy_batch_request>("d1.copy_batch_request");
  cfg.add_message_type<copy_outcome>("d1.copy_outcome");
  cfg.add_message_type<copy_batch_result>("d1.copy_batch_result");
  cfg.add_message_type<file_stat>("d1.file_stat");
  cfg.add_message_type<staged_copy>("d1.staged_copy");
  cfg.add_message_type<staged_copy_batch>("d1.staged_copy_batch");
  cfg.add_message_type<remove_witness>("d1.remove_witness");
  cfg.add_message_type<remove_item>("d1.remove_item");
  cfg.add_message_type<remove_batch_request>("d1.remove_batch_request");
  cfg.add_message_type<witness_finding>("d1.witness_finding");
  cfg.add_message_type<remove_outcome>("d1.remove_outcome");
  cfg.add_message_type<std::vector<remove_outcome>>("d1.remove_outcomes");
  cfg.add_message_type<std::vector<hash_request>>("d1.hash_requests");
  cfg.add_message_type<std::vector<hash_result>>("d1.hash_results");
  cfg.add_message_type<catalogue_report>("d1.catalogue_report");
  cfg.add_message_type<datum_stats>("d1.datum_stats");
  cfg.add_message_type<datum_hash_request>("d1.datum_hash_request");
  cfg.add_message_type<std::vector<datum_hash_request>>("d1.datum_hash_requests");
  cfg.add_message_type<datum_hash_result>("d1.datum_hash_result");
  cfg.add_message_type<std::vector<datum_hash_result>>("d1.datum_hash_results");
  cfg.add_message_type<datum_record>("d1.datum_record");
  cfg.add_message_type<datum_stats_record>("d1.datum_stats_record");
  cfg.add_message_type<datum_detail>("d1.datum_detail");
  cfg.add_message_type<std::vector<datum_detail>>("d1.datum_details");
  cfg.add_message_type<datum_registration>("d1.datum_registration");
  cfg.add_message_type<datum_ticket>("d1.datum_ticket");
  cfg.add_error_category(error_category,
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = to_string(static_cast<ec>(code));
                           if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
                             out += ": ";
                             out += ctx.get_as<std::string>(0);
                           }
                           return out;
                         });
}

}  // namespace d1
