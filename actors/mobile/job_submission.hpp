// How the job manager takes in work: plain submissions, registrations (a resource, or
// datums of one) with the register job that hashes what they added, retries of ended
// jobs, root shifts and the scrubs that come due. Internal to actors/mobile.
#pragma once

#include "actors/mobile/job_phases.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>

namespace d1 {

/// Checks `req` against its resource and its kind's rules, persists the job with its
/// journal entry and queues it (a dry run only plans). Returns the ticket; the refusal
/// (journaled too) or ec::storage_error if the catalogue could not record it.
caf::expected<job_ticket> submit_job(job_self self, job_request req);

/// Registers the resource `req` describes and queues the register job that hashes its
/// files, in one transaction. Returns the ticket (job_id 0 if there is nothing to hash);
/// the refusal, journaled on its own, otherwise.
caf::expected<job_ticket> register_resource(job_self self, job_request req);

/// Adds datums to a resource; the files they add to its list are hashed by a register job
/// of only those files. Returns the datums' ids and that job; the refusal otherwise.
caf::expected<datum_ticket> register_datums(job_self self, const datum_registration& reg);

/// `job ID --retry`: the files ended job `id` did not complete, as a new job. Returns its
/// ticket; ec::invalid_argument if the job has not ended or left nothing to retry.
caf::expected<job_ticket> retry_job(job_self self, uint64_t id);

/// `resource shift-root`: a catalogue change made at once (no file is touched), journaled.
/// Returns the resource before and after; ec::refused while a job holds the resource
/// (its checkpoint names the files by the old split), the catalogue's refusal otherwise.
caf::expected<root_shift> shift_resource_root(job_self self, const std::string& uid,
                                              int32_t by);

/// Looks for copies due for a scrub ([mobile] scrub_every) and queues a scrub job for the
/// first, one at a time; asks again after scrub_check.
void queue_due_scrub(job_self self);

}  // namespace d1
