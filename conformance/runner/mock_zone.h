// Zones for the mock DNS server (mocks/dns): the zone file of `mxconform
// lab dns` (openspf `zonedata` plus origins and fault knobs; the format is
// in conformance/README.md, "Mock DNS zones"), and the DNS of an openspf
// or DMARC case served on the wire exactly as OpenspfZone serves it
// in-process, so that the two can be compared case by case.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "conformance/runner/openspf.h"
#include "dns/zone.h"
#include "mocks/dns/responder.h"

namespace mxconform::conformance {

struct MockZone {
  dns::Zone zone;
  std::vector<mocks::dns::Rule> rules;
  // openspf DELAY entries: seconds the virtual clock moves per query of a
  // name (key: lower case, no trailing dot). The harness applies them; a
  // server cannot move its client's clock.
  std::map<std::string, std::int64_t> delays;
  // Owner names of the zonedata that DNS cannot carry (a label over 63
  // octets, an empty label, over 255 octets), left out of `zone`. Cases
  // list them to prove an evaluator never asks for them; the stub resolver
  // refuses to send such a name, so an evaluator that did ask would get a
  // different answer over the wire and the comparison would show it.
  std::vector<std::string> unservable;
};

// The records of one zonedata entry at `owner` in wire form: TXT and SPF
// strings longer than 255 octets are cut into 255-octet strings (RFC 7208
// §3.3 joins them again). Errors: `zone.record` (a bad address, MX
// preference or name; detail says which), `zone.type` (TIMEOUT, SERVFAIL,
// DELAY or an unknown type: not a record).
Result<std::vector<dns::Record>> WireRecords(const dns::Name& owner, const OpenspfRecord& r);

// The DNS of an openspf document as OpenspfZone presents it in-process
// (see openspf.h): the same records, TXT: NONE and SPF-into-TXT rules, a
// TIMEOUT as timeout knobs on the types not listed before it, SERVFAIL as
// a servfail knob, DELAY into `delays`. No origins (every name is the
// zone's), no wildcards, and empty non-terminals as `empty_non_terminals`
// says. Names DNS cannot carry go to `unservable`. Errors as for
// WireRecords, located at the entry's line.
Result<MockZone> OpenspfMockZone(const OpenspfDocument& doc, bool empty_non_terminals);

// A zone file: a map of name to records (openspf `zonedata`), or a map
// with `zonedata` and optionally `origins` (a list of names), `options`
// (`wildcards`, `empty_non_terminals`: booleans) and `faults` (a list of
// knob settings; see conformance/README.md). Errors are located
// (line:column in `detail`): `zone.yaml`, `zone.record`, `zone.type`,
// `zone.fault` (an unknown key or knob, not exactly one knob, a bad value).
Result<MockZone> ParseMockZone(std::string_view text);
Result<MockZone> LoadMockZoneFile(const std::string& path);

}  // namespace mxconform::conformance
