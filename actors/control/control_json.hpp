// JSON views of the mobile records, as the control protocol and `--json` show them.
#pragma once

#include "messages/datum_types.hpp"
#include "messages/mobile_types.hpp"

#include <nlohmann/json.hpp>

namespace d1 {

/// The result line of `catalogue.check` for `report`: ok, or the error
/// "catalogue_inconsistent" with the report (the command line builds the same line when it
/// checks a catalogue no daemon has open).
nlohmann::json catalogue_check_line(const catalogue_report& report);

/// JSON views of the mobile records, as the protocol and `--json` show them.
nlohmann::json to_json(const job_record& x);
nlohmann::json to_json(const resource_detail& x);
nlohmann::json to_json(const location_report& x);
nlohmann::json to_json(const history_entry& x);
nlohmann::json to_json(const journal_entry& x);
nlohmann::json to_json(const plan_step& x);
nlohmann::json to_json(const datum_detail& x);

}  // namespace d1
