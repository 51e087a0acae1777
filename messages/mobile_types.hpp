// Values of the mobile-files side (DESIGN "Mobile files"), in three headers that each read
// alone: catalogue records and reports, jobs, and the workers' requests and results.
#pragma once

#include "messages/catalogue_records.hpp"
#include "messages/job_types.hpp"
#include "messages/worker_types.hpp"

