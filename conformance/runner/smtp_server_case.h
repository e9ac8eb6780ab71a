// The smtp-server case kind (conformance/vectors/smtp-server.yaml): a
// scripted SMTP client talks to a server and each step's reply is compared
// with the case's. The server is the reference MX (mocks/smtp) started on
// loopback with the case's knobs, so that the cases record what RFC 3207
// asks of a server (TLS-4-05, TLS-4-07, TLS-4.1-02, TLS-4.2-02), and what
// the reference receiver does at MAIL FROM (SPF-2.5-01, MX-7505-03), and the
// mock's behaviour is pinned by data as well as by its unit tests. The
// client is the sender's (net/smtp_client.h, its probe calls): every read,
// write and handshake has a deadline, so a server that stalls ends the
// case, never the run.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "conformance/runner/openspf.h"

namespace mxconform::conformance {

// What is wrong with an smtp-server `input`, or "":
//   server: {starttls: offer|absent|strip-from-ehlo|reply-454|reply-502|
//            abort-handshake|garbage-after-220, require_tls: bool,
//            require_client_certificate: bool, spf: bool}   (optional; the
//            defaults are a public MX: STARTTLS offered, mail taken in
//            plaintext; spf: the reference receiver's check at MAIL FROM,
//            src/spf/receiver.h, for the connecting address 127.0.0.1)
//   zonedata: the DNS the SPF check sees, in the openspf `zonedata` format
//            (with spf only; absent: every name NXDOMAIN)
//   script: a list of steps, at most 64:
//     banner             read the greeting
//     tls                the TLS handshake (after a 220 to STARTTLS)
//     "COMMAND LINE"     sent with CR LF, one reply read (printable ASCII)
//     {send: "BYTES"}    sent as given (CR LF included: several commands
//                        in one write are pipelined), one reply read
std::string SmtpServerInputProblem(const nlohmann::json& input);

// The input's zonedata read as an openspf zone (empty when absent).
Result<OpenspfDocument> SmtpServerZone(const nlohmann::json& input);

// Runs the script. Returns {replies, transcript}: one entry per step, in
// order, until the first step that got nothing: "CODE", or "CODE X.Y.Z"
// when the reply's first line starts with an enhanced status code (RFC
// 2034); "tls" for a handshake that completed; "no reply: WHY" or "tls
// failed: WHY" for the step that ended the script. transcript: the
// client's lines then the server's. Errors: a bad input (as above), the
// PKI or the server not starting.
Result<nlohmann::json> EvaluateSmtpServer(const nlohmann::json& input);

}  // namespace mxconform::conformance
