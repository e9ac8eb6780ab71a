// Advice for the Domain Owner who publishes a DMARC record: what the RFCs
// ask of publishers (a SHOULD or SHOULD NOT on what to publish) that no
// receiver checks, so the parser does not report it and a record that
// draws advice is still valid. `mxconform check dmarc` prints it after the
// parse's diagnostics; the DMARC case files expect it with `advice:`.
#pragma once

#include "common/result.h"
#include "dmarc/record.h"

namespace mxconform::dmarc {

// Severity info, ids `dmarc.advice.*`, offsets into r.text. None for an
// unusable record (the parse's error says what is wrong with it).
//
// - dmarc.advice.reject_indirect_flows (RFC 9989 §7.4, DMB-5.1-01): the
//   record requests reject for the domain itself. Mail from a domain whose
//   users post to mailing lists or have it forwarded fails DMARC on the way,
//   and §7.4 asks such domains not to publish p=reject (and a domain that
//   does, to sign its mail with DKIM rather than rely on SPF). RFC 7489
//   has no such text: bis mode only.
Diagnostics PublisherAdvice(const Record& r);

}  // namespace mxconform::dmarc
