// Decoding packets that real DNS software wrote (the issue "codec unit tests
// with packets produced by real DNS software"): replies from dnsmasq and
// unbound, and the queries dig sends, each captured once and kept here as
// hex, so neither program is needed to build or run these tests.
//
// How the packets were produced (Debian 12, all on 127.0.0.1):
//
//   Dnsmasq version 2.90 (Debian 2.90-4~deb12u2, `dnsmasq --version`),
//   DiG 9.18.49-1~deb12u3-Debian (`dig -v`), unbound 1.17.1 (Debian
//   1.17.1-2+deb12u4, `unbound -V`).
//
//   dnsmasq, local mode (the k*Reply packets from 0x1001 to 0x1009 and the
//   dig exchanges), run in the foreground as:
//     dnsmasq --no-daemon --no-resolv --no-hosts --port=5399
//       --listen-address=127.0.0.1 --bind-interfaces --conf-file=/dev/null
//       --log-queries --local-ttl=300
//       --local=/example.test/ --local=/2.0.192.in-addr.arpa/
//       --host-record=host.example.test,192.0.2.10,2001:db8::10
//       --mx-host=example.test,mx1.example.test,10
//       --mx-host=example.test,mx2.example.test,20
//       '--txt-record=multi.example.test,v=spf1 ,ip4:192.0.2.1 ,-all'
//       --txt-record=long.example.test,k=abc...
//       --cname=alias.example.test,alias2.example.test
//       --cname=alias2.example.test,host.example.test
//       --ptr-record=10.2.0.192.in-addr.arpa,host.example.test
//   where the long TXT value is "k=" and then 298 letters a, b, ..., z, a,
//   ... (300 octets; dnsmasq splits it into strings of 255 and 45). On the
//   command line dnsmasq keeps double quotes as data (it strips them only
//   in configuration files), so the TXT strings are given unquoted; the
//   shell quotes above only keep the trailing spaces.
//
//   dnsmasq, authoritative mode (0x100a to 0x100c: NXDOMAIN and NODATA with
//   the zone's SOA in authority):
//     dnsmasq --no-daemon --no-resolv --no-hosts --port=5400
//       --listen-address=127.0.0.1 --bind-interfaces --conf-file=/dev/null
//       --log-queries --auth-server=ns.example.test,127.0.0.1
//       --auth-zone=example.test --auth-ttl=300
//       --auth-soa=2024010101,hostmaster.example.test,1200,180,1209600
//       --host-record=host.example.test,192.0.2.10,2001:db8::10
//       --mx-host=example.test,mx1.example.test,10
//
//   unbound (0x2001 to 0x2004: it compresses names inside RDATA, which
//   dnsmasq does not), `unbound -d -c unbound.conf` with:
//     server:
//       interface: 127.0.0.1
//       port: 5401
//       do-ip6: no
//       chroot: ""
//       username: ""
//       use-syslog: no
//       module-config: "iterator"
//       auto-trust-anchor-file: ""
//       access-control: 127.0.0.0/8 allow
//       local-zone: "example.test." static
//       local-data: "example.test. 3600 IN SOA ns.example.test.
//                    hostmaster.example.test. 2024010101 7200 3600 1209600 300"
//                   (one line)
//       local-data: "example.test. 3600 IN NS ns.example.test."
//       local-data: "example.test. 3600 IN MX 10 mx1.example.test."
//       local-data: "example.test. 3600 IN MX 20 mx2.example.test."
//       local-data: 'example.test. 3600 IN TXT "v=spf1 " "mx " "-all"'
//       local-data: "mx1.example.test. 3600 IN A 192.0.2.25"
//       local-data: "host.example.test. 3600 IN A 192.0.2.10"
//     remote-control:
//       control-enable: no
//
//   The replies were recorded by a Python 3 script (socket module) that
//   sent each query in one UDP datagram and kept the reply datagram as
//   received. Those queries were built by the script, not by DNS software,
//   so only the replies are kept; each reply repeats its question. A query
//   was: the ID in the reply below, flags 0100 (RD), QDCOUNT 1, the
//   question in the case shown, class IN and, where the reply has an OPT,
//   ARCOUNT 1 with an OPT of payload 1232, TTL 0 and no options ("00 0029
//   04d0 00000000 0000"); the MX query to dnsmasq (0x1003) and the NODATA
//   queries 0x100b and 0x2004 had no OPT.
//
//   dig's queries were recorded by the same script acting as a proxy: it
//   listened on 127.0.0.1 (UDP 5411 and 5412, TCP 5413), kept what dig
//   sent, forwarded exactly those bytes to dnsmasq on 5399 (over TCP, with
//   the 2-octet length prefix as dig wrote it) and returned dnsmasq's reply
//   to dig unchanged, keeping it too. The commands:
//     dig @127.0.0.1 -p 5411 example.test TXT           (EDNS, a COOKIE)
//     dig @127.0.0.1 -p 5412 +noedns example.test TXT
//     dig @127.0.0.1 -p 5413 +tcp example.test MX
//   The IDs and client cookies are dig's random choices of that run.
//
// Expected values come from the configuration above and from dig's own
// presentation of these answers, not from our decoder. Offsets in the
// comments are decimal.

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dns/hex_test_util.h"
#include "dns/message.h"

namespace mxconform::dns {
namespace {

using test_util::Hex;

// --- The packets. ---

// dnsmasq: host.example.test. A. The owner points at the question.
const std::string kAReply =
    Hex("1001 8580 0001 0001 0000 0001"  // 0: ID 1001, QR AA RD RA, NOERROR; 1/1/0/1
        "04686f7374 076578616d706c65 0474657374 00 0001 0001"  // 12: host.example.test. A IN
        "c00c 0001 0001 0000012c 0004"  // 35: c00c = host.example.test. A IN 300, 4 octets
        "c000020a"                      // 47: 192.0.2.10
        "00 0029 04d0 00000000 0000");  // 51: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq: HoSt.ExAmple.TEST. AAAA, asked in mixed case (as 0x20
// randomisation does); dnsmasq repeats the question as asked and points
// the owner at it.
const std::string kAaaaReply =
    Hex("1002 8580 0001 0001 0000 0001"  // 0: ID 1002, QR AA RD RA, NOERROR; 1/1/0/1
        "04486f5374 074578416d706c65 0454455354 00 001c 0001"  // 12: HoSt.ExAmple.TEST. AAAA IN
        "c00c 001c 0001 0000012c 0010"      // 35: c00c = HoSt.ExAmple.TEST. AAAA IN 300, 16 octets
        "20010db8000000000000000000000010"  // 47: 2001:db8::10
        "00 0029 04d0 00000000 0000");      // 63: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq: example.test. MX, two exchanges, asked without EDNS. dnsmasq
// writes the exchange names in full (no compression inside RDATA).
const std::string kMxReply =
    Hex("1003 8580 0001 0002 0000 0000"             // 0: ID 1003, QR AA RD RA, NOERROR; 1/2/0/0
        "076578616d706c65 0474657374 00 000f 0001"  // 12: example.test. MX IN
        "c00c 000f 0001 0000012c 0014"              // 30: c00c = example.test. MX IN 300, 20 octets
        "0014 036d7832 076578616d706c65 0474657374 00"  // 42: 20 mx2.example.test.
        "c00c 000f 0001 0000012c 0014"  // 62: c00c = example.test. MX IN 300, 20 octets
        "000a 036d7831 076578616d706c65 0474657374 00");  // 74: 10 mx1.example.test.

// dnsmasq: multi.example.test. TXT with three character-strings, the first
// two ending in a space.
const std::string kTxtMultiReply =
    Hex("1004 8580 0001 0001 0000 0001"                // 0: ID 1004, QR AA RD RA, NOERROR; 1/1/0/1
        "056d756c7469 076578616d706c65 0474657374 00"  // 12: multi.example.test.
        "0010 0001"                                    // 32: TXT IN
        "c00c 0010 0001 0000012c 001c"     // 36: c00c = multi.example.test. TXT IN 300, 28 octets
        "07 763d7370663120"                // 48: 7, "v=spf1 "
        "0e 6970343a3139322e302e322e3120"  // 56: 14, "ip4:192.0.2.1 "
        "04 2d616c6c"                      // 71: 4, "-all"
        "00 0029 04d0 00000000 0000");     // 76: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq: long.example.test. TXT, one 300-octet value, split by dnsmasq
// into strings of 255 and 45 octets.
const std::string kTxtLongReply =
    Hex("1005 8580 0001 0001 0000 0001"  // 0: ID 1005, QR AA RD RA, NOERROR; 1/1/0/1
        "046c6f6e67 076578616d706c65 0474657374 00 0010 0001"  // 12: long.example.test. TXT IN
        "c00c 0010 0001 0000012c 012e"  // 35: c00c = long.example.test. TXT IN 300, 302 octets
        "ff 6b3d6162636465666768696a6b6c6d6e6f707172737475767778797a61626364"  // 47: 255 octets
        "65666768696a6b6c6d6e6f707172737475767778797a6162636465666768696a"
        "6b6c6d6e6f707172737475767778797a6162636465666768696a6b6c6d6e6f70"
        "7172737475767778797a6162636465666768696a6b6c6d6e6f70717273747576"
        "7778797a6162636465666768696a6b6c6d6e6f707172737475767778797a6162"
        "636465666768696a6b6c6d6e6f707172737475767778797a6162636465666768"
        "696a6b6c6d6e6f707172737475767778797a6162636465666768696a6b6c6d6e"
        "6f707172737475767778797a6162636465666768696a6b6c6d6e6f70717273"
        "2d 7475767778797a6162636465666768696a6b6c6d6e6f70717273747576777879"  // 303: 45 octets
        "7a6162636465666768696a6b6c"
        "00 0029 04d0 00000000 0000");  // 349: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq: alias.example.test. A through two CNAMEs. Each later owner
// points into the previous record's RDATA (48 and 81), not at a question.
const std::string kCnameChainReply =
    Hex("1006 8580 0001 0003 0000 0001"  // 0: ID 1006, QR AA RD RA, NOERROR; 1/3/0/1
        "05616c696173 076578616d706c65 0474657374 00 0001 0001"  // 12: alias.example.test. A IN
        "c00c"                                                   // 36: c00c = alias.example.test.
        "0005 0001 0000012c 0015"                                // 38: CNAME IN 300, 21 octets
        "06616c69617332 076578616d706c65 0474657374 00"          // 48: alias2.example.test.
        "c030"                                                   // 69: c030 = alias2.example.test.
        "0005 0001 0000012c 0013"                                // 71: CNAME IN 300, 19 octets
        "04686f7374 076578616d706c65 0474657374 00"              // 81: host.example.test.
        "c051 0001 0001 0000012c 0004"  // 100: c051 = host.example.test. A IN 300, 4 octets
        "c000020a"                      // 112: 192.0.2.10
        "00 0029 04d0 00000000 0000");  // 116: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq: 10.2.0.192.in-addr.arpa. PTR.
const std::string kPtrReply =
    Hex("1007 8580 0001 0001 0000 0001"  // 0: ID 1007, QR AA RD RA, NOERROR; 1/1/0/1
        "023130 0132 0130 03313932 07696e2d61646472 0461727061 00"  // 12: 10.2.0.192.in-addr.arpa.
        "000c 0001"                                                 // 37: PTR IN
        "c00c"                                       // 41: c00c = 10.2.0.192.in-addr.arpa.
        "000c 0001 0000012c 0013"                    // 43: PTR IN 300, 19 octets
        "04686f7374 076578616d706c65 0474657374 00"  // 53: host.example.test.
        "00 0029 04d0 00000000 0000");               // 72: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq (local mode): nope.example.test. A is NXDOMAIN; no SOA, no AA.
const std::string kNxdomainLocalReply =
    Hex("1008 8183 0001 0000 0000 0001"  // 0: ID 1008, QR RD RA, NXDOMAIN; 1/0/0/1
        "046e6f7065 076578616d706c65 0474657374 00 0001 0001"  // 12: nope.example.test. A IN
        "00 0029 04d0 00000000 0000");  // 35: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq (local mode): host.example.test. MX is NODATA (NOERROR, nothing).
const std::string kNodataLocalReply =
    Hex("1009 8180 0001 0000 0000 0001"  // 0: ID 1009, QR RD RA, NOERROR; 1/0/0/1
        "04686f7374 076578616d706c65 0474657374 00 000f 0001"  // 12: host.example.test. MX IN
        "00 0029 04d0 00000000 0000");  // 35: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq (authoritative): nope.example.test. A is NXDOMAIN, with the SOA
// in authority, all names written in full.
const std::string kNxdomainAuthReply = Hex(
    "100a 8503 0001 0000 0001 0001"  // 0: ID 100a, QR AA RD, NXDOMAIN; 1/0/1/1
    "046e6f7065 076578616d706c65 0474657374 00 0001 0001"    // 12: nope.example.test. A IN
    "076578616d706c65 0474657374 00"                         // 35: example.test.
    "0006 0001 0000012c 003e"                                // 49: SOA IN 300, 62 octets
    "026e73 076578616d706c65 0474657374 00"                  // 59: MNAME ns.example.test.
    "0a686f73746d6173746572 076578616d706c65 0474657374 00"  // 76: RNAME hostmaster.example.test.
    "78a3f175 000004b0 000000b4 00127500 0000012c"           // 101: 2024010101 1200 180 1209600 300
    "00 0029 04d0 00000000 0000");  // 121: OPT, payload 1232, TTL 0, RDLENGTH 0

// dnsmasq (authoritative): host.example.test. MX is NODATA, SOA in
// authority; asked without EDNS.
const std::string kNodataAuthReply = Hex(
    "100b 8500 0001 0000 0001 0000"                        // 0: ID 100b, QR AA RD, NOERROR; 1/0/1/0
    "04686f7374 076578616d706c65 0474657374 00 000f 0001"  // 12: host.example.test. MX IN
    "076578616d706c65 0474657374 00"                       // 35: example.test.
    "0006 0001 0000012c 003e"                              // 49: SOA IN 300, 62 octets
    "026e73 076578616d706c65 0474657374 00"                // 59: MNAME ns.example.test.
    "0a686f73746d6173746572 076578616d706c65 0474657374 00"  // 76: RNAME hostmaster.example.test.
    "78a3f175 000004b0 000000b4 00127500 0000012c");         // 101: 2024010101 1200 180 1209600 300

// dnsmasq (authoritative): host.example.test. A, with the zone's NS in
// authority.
const std::string kAAuthReply =
    Hex("100c 8500 0001 0001 0001 0001"  // 0: ID 100c, QR AA RD, NOERROR; 1/1/1/1
        "04686f7374 076578616d706c65 0474657374 00 0001 0001"  // 12: host.example.test. A IN
        "c00c 0001 0001 0000012c 0004"           // 35: c00c = host.example.test. A IN 300, 4 octets
        "c000020a"                               // 47: 192.0.2.10
        "076578616d706c65 0474657374 00"         // 51: example.test.
        "0002 0001 0000012c 0011"                // 65: NS IN 300, 17 octets
        "026e73 076578616d706c65 0474657374 00"  // 75: ns.example.test.
        "00 0029 04d0 00000000 0000");           // 92: OPT, payload 1232, TTL 0, RDLENGTH 0

// unbound: example.test. MX. The exchanges end in pointers to the question.
const std::string kUnboundMxReply =
    Hex("2001 8580 0001 0002 0000 0001"             // 0: ID 2001, QR AA RD RA, NOERROR; 1/2/0/1
        "076578616d706c65 0474657374 00 000f 0001"  // 12: example.test. MX IN
        "c00c 000f 0001 00000e10 0008"              // 30: c00c = example.test. MX IN 3600, 8 octets
        "0014 036d7832 c00c"                        // 42: 20 mx2.example.test., c00c = 12
        "c00c 000f 0001 00000e10 0008"              // 50: c00c = example.test. MX IN 3600, 8 octets
        "000a 036d7831 c00c"                        // 62: 10 mx1.example.test., c00c = 12
        "00 0029 04d0 00000000 0000");              // 70: OPT, payload 1232, TTL 0, RDLENGTH 0

// unbound: example.test. TXT with three character-strings.
const std::string kUnboundTxtReply =
    Hex("2002 8580 0001 0001 0000 0001"             // 0: ID 2002, QR AA RD RA, NOERROR; 1/1/0/1
        "076578616d706c65 0474657374 00 0010 0001"  // 12: example.test. TXT IN
        "c00c 0010 0001 00000e10 0011"  // 30: c00c = example.test. TXT IN 3600, 17 octets
        "07 763d7370663120"             // 42: 7, "v=spf1 "
        "03 6d7820"                     // 50: 3, "mx "
        "04 2d616c6c"                   // 54: 4, "-all"
        "00 0029 04d0 00000000 0000");  // 59: OPT, payload 1232, TTL 0, RDLENGTH 0

// unbound: nope.example.test. A is NXDOMAIN. The SOA's owner, MNAME and
// RNAME point at example.test inside the question (17); its TTL is the SOA
// minimum (RFC 2308 §3).
const std::string kUnboundNxdomainReply =
    Hex("2003 8583 0001 0000 0001 0001"  // 0: ID 2003, QR AA RD RA, NXDOMAIN; 1/0/1/1
        "046e6f7065 076578616d706c65 0474657374 00 0001 0001"  // 12: nope.example.test. A IN
        "c011 0006 0001 0000012c 0026"  // 35: c011 = example.test. SOA IN 300, 38 octets
        "026e73 c011"                   // 47: MNAME ns.example.test., c011 = 17
        "0a686f73746d6173746572 c011"   // 52: RNAME hostmaster.example.test., c011 = 17
        "78a3f175 00001c20 00000e10 00127500 0000012c"  // 65: 2024010101 7200 3600 1209600 300
        "00 0029 04d0 00000000 0000");                  // 85: OPT, payload 1232, TTL 0, RDLENGTH 0

// unbound: host.example.test. MX is NODATA, SOA in authority; asked
// without EDNS.
const std::string kUnboundNodataReply =
    Hex("2004 8580 0001 0000 0001 0000"  // 0: ID 2004, QR AA RD RA, NOERROR; 1/0/1/0
        "04686f7374 076578616d706c65 0474657374 00 000f 0001"  // 12: host.example.test. MX IN
        "c011 0006 0001 0000012c 0026"  // 35: c011 = example.test. SOA IN 300, 38 octets
        "026e73 c011"                   // 47: MNAME ns.example.test., c011 = 17
        "0a686f73746d6173746572 c011"   // 52: RNAME hostmaster.example.test., c011 = 17
        "78a3f175 00001c20 00000e10 00127500 0000012c");  // 65: 2024010101 7200 3600 1209600 300

// dig's default query: RD and AD, EDNS with payload 1232 and an 8-octet
// client COOKIE (RFC 7873 §4).
const std::string kDigEdnsCookieQuery =
    Hex("e68a 0120 0001 0000 0000 0001"             // 0: ID e68a, RD AD, NOERROR; 1/0/0/1
        "076578616d706c65 0474657374 00 0010 0001"  // 12: example.test. TXT IN
        "00 0029 04d0 00000000 000c"                // 30: OPT, payload 1232, TTL 0, RDLENGTH 12
        "000a 0008 f8f8ab333244ca6b");              // 41: option 10 (COOKIE), 8 octets

// dnsmasq's reply to it: NODATA, an OPT without options (dnsmasq 2.90
// does not answer cookies).
const std::string kDigEdnsCookieReply =
    Hex("e68a 8180 0001 0000 0000 0001"             // 0: ID e68a, QR RD RA, NOERROR; 1/0/0/1
        "076578616d706c65 0474657374 00 0010 0001"  // 12: example.test. TXT IN
        "00 0029 04d0 00000000 0000");              // 30: OPT, payload 1232, TTL 0, RDLENGTH 0

// dig +noedns: no OPT record at all.
const std::string kDigNoednsQuery =
    Hex("145f 0120 0001 0000 0000 0000"               // 0: ID 145f, RD AD, NOERROR; 1/0/0/0
        "076578616d706c65 0474657374 00 0010 0001");  // 12: example.test. TXT IN

// dnsmasq's reply to it: NODATA, no OPT either.
const std::string kDigNoednsReply =
    Hex("145f 8180 0001 0000 0000 0000"               // 0: ID 145f, QR RD RA, NOERROR; 1/0/0/0
        "076578616d706c65 0474657374 00 0010 0001");  // 12: example.test. TXT IN

// dig +tcp example.test MX: the bytes on the TCP connection, length
// prefix included (RFC 1035 §4.2.2).
const std::string kDigTcpQueryFramed =
    Hex("0035"  // TCP length prefix: 53; offsets below count from the message
        "ca6b 0120 0001 0000 0000 0001"             // 0: ID ca6b, RD AD, NOERROR; 1/0/0/1
        "076578616d706c65 0474657374 00 000f 0001"  // 12: example.test. MX IN
        "00 0029 04d0 00000000 000c"                // 30: OPT, payload 1232, TTL 0, RDLENGTH 12
        "000a 0008 864721b6d415f57e");              // 41: option 10 (COOKIE), 8 octets

// dnsmasq's reply on the same connection, length prefix included.
const std::string kDigTcpReplyFramed =
    Hex("0069"  // TCP length prefix: 105; offsets below count from the message
        "ca6b 8580 0001 0002 0000 0001"             // 0: ID ca6b, QR AA RD RA, NOERROR; 1/2/0/1
        "076578616d706c65 0474657374 00 000f 0001"  // 12: example.test. MX IN
        "c00c 000f 0001 0000012c 0014"              // 30: c00c = example.test. MX IN 300, 20 octets
        "0014 036d7832 076578616d706c65 0474657374 00"  // 42: 20 mx2.example.test.
        "c00c 000f 0001 0000012c 0014"  // 62: c00c = example.test. MX IN 300, 20 octets
        "000a 036d7831 076578616d706c65 0474657374 00"  // 74: 10 mx1.example.test.
        "00 0029 04d0 00000000 0000");                  // 94: OPT, payload 1232, TTL 0, RDLENGTH 0

// The messages inside the TCP frames; DigTcpExchange checks the prefixes.
const std::string kDigTcpQuery = kDigTcpQueryFramed.substr(2);
const std::string kDigTcpReply = kDigTcpReplyFramed.substr(2);

struct Captured {
  const char* name;
  const std::string* wire;
  // Octets Encode (with compression) saves against the original: 0 where
  // the software compressed exactly as Encode does, so the bytes are the
  // same; 12 for each "example.test" (14 octets) written in full that
  // Encode replaces by a 2-octet pointer.
  std::size_t saved;
};

const std::vector<Captured> kCaptured = {
    {"dnsmasq-a", &kAReply, 0},
    {"dnsmasq-aaaa", &kAaaaReply, 0},
    {"dnsmasq-mx", &kMxReply, 24},  // the two exchanges
    {"dnsmasq-txt-multi", &kTxtMultiReply, 0},
    {"dnsmasq-txt-long", &kTxtLongReply, 0},
    {"dnsmasq-cname-chain", &kCnameChainReply, 24},  // the two CNAME targets
    {"dnsmasq-ptr", &kPtrReply, 0},
    {"dnsmasq-nxdomain", &kNxdomainLocalReply, 0},
    {"dnsmasq-nodata", &kNodataLocalReply, 0},
    {"dnsmasq-auth-nxdomain", &kNxdomainAuthReply, 36},  // SOA owner, MNAME, RNAME
    {"dnsmasq-auth-nodata", &kNodataAuthReply, 36},      // SOA owner, MNAME, RNAME
    {"dnsmasq-auth-a", &kAAuthReply, 24},                // NS owner and target
    {"unbound-mx", &kUnboundMxReply, 0},
    {"unbound-txt", &kUnboundTxtReply, 0},
    {"unbound-nxdomain", &kUnboundNxdomainReply, 0},
    {"unbound-nodata", &kUnboundNodataReply, 0},
    {"dig-edns-cookie-query", &kDigEdnsCookieQuery, 0},
    {"dig-edns-cookie-reply", &kDigEdnsCookieReply, 0},
    {"dig-noedns-query", &kDigNoednsQuery, 0},
    {"dig-noedns-reply", &kDigNoednsReply, 0},
    {"dig-tcp-query", &kDigTcpQuery, 0},
    {"dig-tcp-reply", &kDigTcpReply, 24},  // the two exchanges
};

Name N(std::string_view text) {
  auto r = Name::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Name();
}

// "id@offset" of a failure, or "ok".
template <typename T>
std::string Err(const Result<T>& r) {
  if (r.ok()) {
    return "ok";
  }
  return std::string(r.error().id) + "@" + std::to_string(r.error().offset);
}

Message MustDecode(const std::string& wire) {
  auto r = Decode(wire);
  EXPECT_TRUE(r.ok()) << Err(r) << " " << (r.ok() ? "" : r.error().Text());
  return r.ok() ? *r : Message();
}

// The labels exactly as read, case included: "[HoSt][ExAmple][TEST]".
std::string Labels(const Name& n) {
  std::string out;
  for (const auto& l : n.labels()) {
    out += "[" + l + "]";
  }
  return out;
}

// The header bits as dig prints them on its "flags:" line ("qr aa rd ra"),
// with the reserved bit as "z".
std::string Flags(const Header& h) {
  std::string out;
  for (const auto& [set, name] : {std::pair{h.qr, "qr"},
                                  {h.aa, "aa"},
                                  {h.tc, "tc"},
                                  {h.rd, "rd"},
                                  {h.ra, "ra"},
                                  {h.z, "z"},
                                  {h.ad, "ad"},
                                  {h.cd, "cd"}}) {
    if (set) {
      out += out.empty() ? "" : " ";
      out += name;
    }
  }
  return out;
}

// The section counts as dig prints them.
std::string Counts(const Message& m) {
  return "QUERY: " + std::to_string(m.questions.size()) +
         ", ANSWER: " + std::to_string(m.answers.size()) +
         ", AUTHORITY: " + std::to_string(m.authority.size()) +
         ", ADDITIONAL: " + std::to_string(m.additional.size());
}

// A record as dig prints it, with single spaces for dig's tabs:
// "host.example.test. 300 IN A 192.0.2.10".
std::string Rr(const Record& r) {
  const std::string owner = r.name.IsRoot() ? "." : r.name.ToString() + ".";
  const std::string klass = r.klass == 1 ? "IN" : "CLASS" + std::to_string(r.klass);
  return owner + " " + std::to_string(r.ttl) + " " + klass + " " + RrTypeName(r.type) + " " +
         RdataToString(r);
}

// Checks the OPT record every EDNS packet here carries: root owner, UDP
// payload 1232, TTL 0 (extended rcode 0, version 0, DO clear), and returns
// its options (RFC 6891 §6.1.2), "" if none or no OPT.
std::string ExpectOpt1232(const Message& m) {
  const Record* opt = m.Opt();
  EXPECT_NE(opt, nullptr);
  if (opt == nullptr) {
    return "";
  }
  EXPECT_TRUE(opt->name.IsRoot());
  EXPECT_EQ(opt->type, static_cast<std::uint16_t>(RrType::kOpt));
  EXPECT_EQ(opt->klass, 1232);
  EXPECT_EQ(opt->ttl, 0u);
  EXPECT_EQ(m.ExtendedRcode(), m.header.rcode);
  const auto* raw = std::get_if<RdataRaw>(&opt->rdata);
  EXPECT_NE(raw, nullptr);
  return raw != nullptr ? raw->bytes : "";
}

std::string LongTxtValue() {
  std::string v = "k=";
  for (int i = 0; i < 298; ++i) {
    v += static_cast<char>('a' + i % 26);
  }
  return v;
}

constexpr std::uint16_t kTypeA = static_cast<std::uint16_t>(RrType::kA);
constexpr std::uint16_t kTypeMx = static_cast<std::uint16_t>(RrType::kMx);
constexpr std::uint16_t kTypeTxt = static_cast<std::uint16_t>(RrType::kTxt);
constexpr std::uint16_t kTypeSoa = static_cast<std::uint16_t>(RrType::kSoa);

// --- dnsmasq, local data. ---

TEST(DnsCapturedTest, DnsmasqA) {
  Message m = MustDecode(kAReply);
  EXPECT_EQ(m.header.id, 0x1001);
  EXPECT_EQ(m.header.opcode, 0);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(RcodeName(m.header.rcode), "NOERROR");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(Labels(m.questions[0].name), "[host][example][test]");
  EXPECT_EQ(m.questions[0].type, kTypeA);
  EXPECT_EQ(m.questions[0].klass, 1);
  ASSERT_EQ(m.answers.size(), 1u);
  const Record& r = m.answers[0];
  EXPECT_EQ(Labels(r.name), "[host][example][test]");  // the pointer c00c
  EXPECT_EQ(r.type, kTypeA);
  EXPECT_EQ(r.klass, 1);
  EXPECT_EQ(r.ttl, 300u);
  EXPECT_EQ(std::get<RdataA>(r.rdata).address, (std::array<std::uint8_t, 4>{192, 0, 2, 10}));
  EXPECT_EQ(Rr(r), "host.example.test. 300 IN A 192.0.2.10");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, DnsmasqAaaaKeepsTheQuestionsCase) {
  Message m = MustDecode(kAaaaReply);
  EXPECT_EQ(m.header.id, 0x1002);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(Labels(m.questions[0].name), "[HoSt][ExAmple][TEST]");
  EXPECT_EQ(m.questions[0].name, N("host.example.test"));  // RFC 4343
  EXPECT_EQ(m.questions[0].type, static_cast<std::uint16_t>(RrType::kAaaa));
  ASSERT_EQ(m.answers.size(), 1u);
  const Record& r = m.answers[0];
  EXPECT_EQ(Labels(r.name), "[HoSt][ExAmple][TEST]");
  EXPECT_EQ(std::get<RdataAaaa>(r.rdata).address,
            (std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0x10}));
  EXPECT_EQ(Rr(r), "HoSt.ExAmple.TEST. 300 IN AAAA 2001:db8::10");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, DnsmasqMxTwoPreferencesWithoutEdns) {
  Message m = MustDecode(kMxReply);
  EXPECT_EQ(m.header.id, 0x1003);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 0");
  EXPECT_EQ(m.Opt(), nullptr);
  ASSERT_EQ(m.answers.size(), 2u);
  // In dnsmasq's order: 20 first.
  const auto& first = std::get<RdataMx>(m.answers[0].rdata);
  const auto& second = std::get<RdataMx>(m.answers[1].rdata);
  EXPECT_EQ(first.preference, 20);
  EXPECT_EQ(Labels(first.exchange), "[mx2][example][test]");
  EXPECT_EQ(second.preference, 10);
  EXPECT_EQ(Labels(second.exchange), "[mx1][example][test]");
  for (const Record& r : m.answers) {
    EXPECT_EQ(Labels(r.name), "[example][test]");
    EXPECT_EQ(r.type, kTypeMx);
    EXPECT_EQ(r.ttl, 300u);
  }
  EXPECT_EQ(Rr(m.answers[0]), "example.test. 300 IN MX 20 mx2.example.test.");
  EXPECT_EQ(Rr(m.answers[1]), "example.test. 300 IN MX 10 mx1.example.test.");
}

TEST(DnsCapturedTest, DnsmasqTxtKeepsStringsApart) {
  Message m = MustDecode(kTxtMultiReply);
  EXPECT_EQ(m.header.id, 0x1004);
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.answers.size(), 1u);
  const Record& r = m.answers[0];
  EXPECT_EQ(Labels(r.name), "[multi][example][test]");
  EXPECT_EQ(r.type, kTypeTxt);
  EXPECT_EQ(std::get<RdataTxt>(r.rdata).strings,
            (std::vector<std::string>{"v=spf1 ", "ip4:192.0.2.1 ", "-all"}));
  EXPECT_EQ(Rr(r), R"(multi.example.test. 300 IN TXT "v=spf1 " "ip4:192.0.2.1 " "-all")");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, DnsmasqLongTxtSplitAt255) {
  Message m = MustDecode(kTxtLongReply);
  EXPECT_EQ(m.header.id, 0x1005);
  ASSERT_EQ(m.answers.size(), 1u);
  const auto& strings = std::get<RdataTxt>(m.answers[0].rdata).strings;
  ASSERT_EQ(strings.size(), 2u);
  const std::string value = LongTxtValue();
  EXPECT_EQ(strings[0], value.substr(0, 255));
  EXPECT_EQ(strings[1], value.substr(255));
  EXPECT_EQ(strings[1], "tuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl");
  EXPECT_EQ(strings[0] + strings[1], value);  // RFC 7208 §3.3 joins them
  EXPECT_EQ(m.answers[0].ttl, 300u);
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, DnsmasqCnameChainPointsIntoRdata) {
  Message m = MustDecode(kCnameChainReply);
  EXPECT_EQ(m.header.id, 0x1006);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 3, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.answers.size(), 3u);
  EXPECT_EQ(Labels(m.answers[0].name), "[alias][example][test]");
  EXPECT_EQ(Labels(std::get<RdataName>(m.answers[0].rdata).name), "[alias2][example][test]");
  // Owner c030: the first CNAME's target at 48.
  EXPECT_EQ(Labels(m.answers[1].name), "[alias2][example][test]");
  EXPECT_EQ(Labels(std::get<RdataName>(m.answers[1].rdata).name), "[host][example][test]");
  // Owner c051: the second CNAME's target at 81.
  EXPECT_EQ(Labels(m.answers[2].name), "[host][example][test]");
  EXPECT_EQ(Rr(m.answers[0]), "alias.example.test. 300 IN CNAME alias2.example.test.");
  EXPECT_EQ(Rr(m.answers[1]), "alias2.example.test. 300 IN CNAME host.example.test.");
  EXPECT_EQ(Rr(m.answers[2]), "host.example.test. 300 IN A 192.0.2.10");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, DnsmasqPtr) {
  Message m = MustDecode(kPtrReply);
  EXPECT_EQ(m.header.id, 0x1007);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(Labels(m.questions[0].name), "[10][2][0][192][in-addr][arpa]");
  EXPECT_EQ(m.questions[0].type, static_cast<std::uint16_t>(RrType::kPtr));
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(std::get<RdataName>(m.answers[0].rdata).name, N("host.example.test"));
  EXPECT_EQ(Rr(m.answers[0]), "10.2.0.192.in-addr.arpa. 300 IN PTR host.example.test.");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, DnsmasqNxDomain) {
  Message m = MustDecode(kNxdomainLocalReply);
  EXPECT_EQ(m.header.id, 0x1008);
  EXPECT_EQ(Flags(m.header), "qr rd ra");
  EXPECT_EQ(m.header.rcode, static_cast<std::uint8_t>(Rcode::kNxDomain));
  EXPECT_EQ(RcodeName(m.header.rcode), "NXDOMAIN");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(Labels(m.questions[0].name), "[nope][example][test]");
  EXPECT_EQ(ExpectOpt1232(m), "");
  EXPECT_EQ(m.ExtendedRcode(), 3);
}

TEST(DnsCapturedTest, DnsmasqNoData) {
  Message m = MustDecode(kNodataLocalReply);
  EXPECT_EQ(m.header.id, 0x1009);
  EXPECT_EQ(Flags(m.header), "qr rd ra");
  EXPECT_EQ(RcodeName(m.header.rcode), "NOERROR");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].type, kTypeMx);
  EXPECT_EQ(ExpectOpt1232(m), "");
}

// --- dnsmasq, authoritative. ---

TEST(DnsCapturedTest, DnsmasqAuthNxDomainWithSoa) {
  Message m = MustDecode(kNxdomainAuthReply);
  EXPECT_EQ(m.header.id, 0x100a);
  EXPECT_EQ(Flags(m.header), "qr aa rd");
  EXPECT_EQ(RcodeName(m.header.rcode), "NXDOMAIN");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1");
  ASSERT_EQ(m.authority.size(), 1u);
  const Record& r = m.authority[0];
  EXPECT_EQ(Labels(r.name), "[example][test]");
  EXPECT_EQ(r.type, kTypeSoa);
  EXPECT_EQ(r.ttl, 300u);
  const auto& soa = std::get<RdataSoa>(r.rdata);
  EXPECT_EQ(Labels(soa.mname), "[ns][example][test]");
  EXPECT_EQ(Labels(soa.rname), "[hostmaster][example][test]");
  EXPECT_EQ(soa.serial, 2024010101u);
  EXPECT_EQ(soa.refresh, 1200u);
  EXPECT_EQ(soa.retry, 180u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 300u);
  EXPECT_EQ(Rr(r),
            "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 2024010101 1200 "
            "180 1209600 300");
  EXPECT_EQ(ExpectOpt1232(m), "");
  EXPECT_EQ(m.ExtendedRcode(), 3);
}

TEST(DnsCapturedTest, DnsmasqAuthNoDataWithSoa) {
  Message m = MustDecode(kNodataAuthReply);
  EXPECT_EQ(m.header.id, 0x100b);
  EXPECT_EQ(Flags(m.header), "qr aa rd");
  EXPECT_EQ(RcodeName(m.header.rcode), "NOERROR");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 0");
  EXPECT_EQ(m.Opt(), nullptr);
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(Rr(m.authority[0]),
            "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 2024010101 1200 "
            "180 1209600 300");
  // The same SOA as in the NXDOMAIN reply.
  EXPECT_EQ(m.authority[0], MustDecode(kNxdomainAuthReply).authority.at(0));
}

TEST(DnsCapturedTest, DnsmasqAuthAWithNs) {
  Message m = MustDecode(kAAuthReply);
  EXPECT_EQ(m.header.id, 0x100c);
  EXPECT_EQ(Flags(m.header), "qr aa rd");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 1, AUTHORITY: 1, ADDITIONAL: 1");
  ASSERT_EQ(m.answers.size(), 1u);
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(Rr(m.answers[0]), "host.example.test. 300 IN A 192.0.2.10");
  EXPECT_EQ(m.authority[0].type, static_cast<std::uint16_t>(RrType::kNs));
  EXPECT_EQ(Labels(std::get<RdataName>(m.authority[0].rdata).name), "[ns][example][test]");
  EXPECT_EQ(Rr(m.authority[0]), "example.test. 300 IN NS ns.example.test.");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

// --- unbound: names compressed inside RDATA. ---

TEST(DnsCapturedTest, UnboundMxCompressedInRdata) {
  Message m = MustDecode(kUnboundMxReply);
  EXPECT_EQ(m.header.id, 0x2001);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(m.answers.size(), 2u);
  const auto& first = std::get<RdataMx>(m.answers[0].rdata);
  const auto& second = std::get<RdataMx>(m.answers[1].rdata);
  EXPECT_EQ(first.preference, 20);
  EXPECT_EQ(Labels(first.exchange), "[mx2][example][test]");  // mx2 + c00c
  EXPECT_EQ(second.preference, 10);
  EXPECT_EQ(Labels(second.exchange), "[mx1][example][test]");
  EXPECT_EQ(Rr(m.answers[0]), "example.test. 3600 IN MX 20 mx2.example.test.");
  EXPECT_EQ(Rr(m.answers[1]), "example.test. 3600 IN MX 10 mx1.example.test.");
  EXPECT_EQ(ExpectOpt1232(m), "");
  // The same RRset as dnsmasq's, but for the TTL.
  Message d = MustDecode(kMxReply);
  ASSERT_EQ(d.answers.size(), 2u);
  EXPECT_EQ(d.answers[0].rdata, m.answers[0].rdata);
  EXPECT_EQ(d.answers[1].rdata, m.answers[1].rdata);
}

TEST(DnsCapturedTest, UnboundTxt) {
  Message m = MustDecode(kUnboundTxtReply);
  EXPECT_EQ(m.header.id, 0x2002);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(std::get<RdataTxt>(m.answers[0].rdata).strings,
            (std::vector<std::string>{"v=spf1 ", "mx ", "-all"}));
  EXPECT_EQ(Rr(m.answers[0]), R"(example.test. 3600 IN TXT "v=spf1 " "mx " "-all")");
  EXPECT_EQ(ExpectOpt1232(m), "");
}

TEST(DnsCapturedTest, UnboundNxDomainCompressedSoa) {
  Message m = MustDecode(kUnboundNxdomainReply);
  EXPECT_EQ(m.header.id, 0x2003);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(RcodeName(m.header.rcode), "NXDOMAIN");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1");
  ASSERT_EQ(m.authority.size(), 1u);
  const Record& r = m.authority[0];
  EXPECT_EQ(Labels(r.name), "[example][test]");  // c011: inside the question
  const auto& soa = std::get<RdataSoa>(r.rdata);
  EXPECT_EQ(Labels(soa.mname), "[ns][example][test]");
  EXPECT_EQ(Labels(soa.rname), "[hostmaster][example][test]");
  EXPECT_EQ(soa.serial, 2024010101u);
  EXPECT_EQ(soa.refresh, 7200u);
  EXPECT_EQ(soa.retry, 3600u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 300u);
  EXPECT_EQ(r.ttl, 300u);  // the SOA minimum, not local-data's 3600
  EXPECT_EQ(Rr(r),
            "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 2024010101 7200 "
            "3600 1209600 300");
  EXPECT_EQ(ExpectOpt1232(m), "");
  EXPECT_EQ(m.ExtendedRcode(), 3);
}

TEST(DnsCapturedTest, UnboundNoData) {
  Message m = MustDecode(kUnboundNodataReply);
  EXPECT_EQ(m.header.id, 0x2004);
  EXPECT_EQ(Flags(m.header), "qr aa rd ra");
  EXPECT_EQ(RcodeName(m.header.rcode), "NOERROR");
  EXPECT_EQ(Counts(m), "QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 0");
  EXPECT_EQ(m.Opt(), nullptr);
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0], MustDecode(kUnboundNxdomainReply).authority.at(0));
}

// --- dig's queries and dnsmasq's replies to them. ---

TEST(DnsCapturedTest, DigQueryWithEdnsCookie) {
  Message q = MustDecode(kDigEdnsCookieQuery);
  EXPECT_EQ(q.header.id, 0xe68a);
  EXPECT_EQ(q.header.opcode, 0);
  EXPECT_EQ(Flags(q.header), "rd ad");  // dig sets AD (RFC 6840 §5.7)
  EXPECT_EQ(q.header.rcode, 0);
  EXPECT_EQ(Counts(q), "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1");
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(Labels(q.questions[0].name), "[example][test]");
  EXPECT_EQ(q.questions[0].type, kTypeTxt);
  EXPECT_EQ(q.questions[0].klass, 1);
  // One option: COOKIE (10), 8 octets, a client cookie alone (RFC 7873 §4).
  const std::string options = ExpectOpt1232(q);
  ASSERT_EQ(options.size(), 12u);
  EXPECT_EQ(options.substr(0, 4), Hex("000a 0008"));
  EXPECT_EQ(options.substr(4), Hex("f8f8ab333244ca6b"));
  EXPECT_EQ(RdataToString(*q.Opt()), "\\# 12 000a0008f8f8ab333244ca6b");
  // MakeQuery builds the same query once given dig's AD bit and cookie.
  Message ours = MakeQuery(0xe68a, N("example.test"), kTypeTxt, 1232);
  ours.header.ad = true;
  ours.additional.at(0).rdata = RdataRaw{options};
  EXPECT_EQ(*Encode(ours), kDigEdnsCookieQuery);

  Message r = MustDecode(kDigEdnsCookieReply);
  EXPECT_EQ(r.header.id, q.header.id);
  EXPECT_EQ(Flags(r.header), "qr rd ra");
  EXPECT_EQ(RcodeName(r.header.rcode), "NOERROR");
  EXPECT_EQ(Counts(r), "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1");
  EXPECT_EQ(r.questions, q.questions);
  EXPECT_EQ(ExpectOpt1232(r), "");  // no cookie in dnsmasq 2.90's answer
}

TEST(DnsCapturedTest, DigQueryNoEdns) {
  Message q = MustDecode(kDigNoednsQuery);
  EXPECT_EQ(q.header.id, 0x145f);
  EXPECT_EQ(Flags(q.header), "rd ad");
  EXPECT_EQ(Counts(q), "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0");
  EXPECT_EQ(q.Opt(), nullptr);
  EXPECT_EQ(q.ExtendedRcode(), 0);
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0], (Question{N("example.test"), kTypeTxt, 1}));
  Message ours = MakeQuery(0x145f, N("example.test"), kTypeTxt, /*udp_payload=*/0);
  ours.header.ad = true;
  EXPECT_EQ(*Encode(ours), kDigNoednsQuery);

  Message r = MustDecode(kDigNoednsReply);
  EXPECT_EQ(r.header.id, 0x145f);
  EXPECT_EQ(Flags(r.header), "qr rd ra");
  EXPECT_EQ(Counts(r), "QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 0");
  EXPECT_EQ(r.questions, q.questions);
  // MakeResponse builds dnsmasq's reply once given its RA bit.
  Message reply = MakeResponse(q, Rcode::kNoError);
  reply.header.ra = true;
  EXPECT_EQ(*Encode(reply), kDigNoednsReply);
}

TEST(DnsCapturedTest, DigTcpExchange) {
  // RFC 1035 §4.2.2: each message is prefixed by its length in two octets.
  ASSERT_GE(kDigTcpQueryFramed.size(), 2u);
  ASSERT_GE(kDigTcpReplyFramed.size(), 2u);
  const auto prefix = [](const std::string& framed) {
    return static_cast<std::size_t>((static_cast<unsigned char>(framed[0]) << 8) |
                                    static_cast<unsigned char>(framed[1]));
  };
  EXPECT_EQ(prefix(kDigTcpQueryFramed), 53u);
  EXPECT_EQ(prefix(kDigTcpQueryFramed), kDigTcpQuery.size());
  EXPECT_EQ(prefix(kDigTcpReplyFramed), 105u);  // dig: "MSG SIZE  rcvd: 105"
  EXPECT_EQ(prefix(kDigTcpReplyFramed), kDigTcpReply.size());

  Message q = MustDecode(kDigTcpQuery);
  EXPECT_EQ(q.header.id, 0xca6b);
  EXPECT_EQ(Flags(q.header), "rd ad");
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0], (Question{N("example.test"), kTypeMx, 1}));
  EXPECT_EQ(ExpectOpt1232(q), Hex("000a 0008 864721b6d415f57e"));

  Message r = MustDecode(kDigTcpReply);
  EXPECT_EQ(r.header.id, 0xca6b);
  EXPECT_EQ(Flags(r.header), "qr aa rd ra");  // TC clear: TCP needs no truncation
  EXPECT_EQ(Counts(r), "QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1");
  EXPECT_EQ(r.questions, q.questions);
  ASSERT_EQ(r.answers.size(), 2u);
  EXPECT_EQ(Rr(r.answers[0]), "example.test. 300 IN MX 20 mx2.example.test.");
  EXPECT_EQ(Rr(r.answers[1]), "example.test. 300 IN MX 10 mx1.example.test.");
  EXPECT_EQ(ExpectOpt1232(r), "");
  // The same answers as over UDP without EDNS.
  EXPECT_EQ(r.answers, MustDecode(kMxReply).answers);
}

// --- Every packet: round trips and truncation. ---

TEST(DnsCapturedTest, EveryPacketRoundTrips) {
  for (const auto& c : kCaptured) {
    SCOPED_TRACE(c.name);
    const std::string& wire = *c.wire;
    Message m = MustDecode(wire);
    auto compressed = Encode(m);
    auto plain = Encode(m, EncodeOptions{.compress = false});
    ASSERT_TRUE(compressed.ok()) << Err(compressed);
    ASSERT_TRUE(plain.ok()) << Err(plain);
    EXPECT_EQ(MustDecode(*compressed), m);
    EXPECT_EQ(MustDecode(*plain), m);
    // Never longer than what the software wrote; the same bytes where it
    // compressed as Encode does.
    EXPECT_LE(compressed->size(), wire.size());
    EXPECT_EQ(compressed->size() + c.saved, wire.size());
    if (c.saved == 0) {
      EXPECT_EQ(*compressed, wire);
    }
    EXPECT_LE(compressed->size(), plain->size());
    // Case is kept exactly through both encodings.
    EXPECT_EQ(*Encode(MustDecode(*plain)), *compressed);
  }
}

TEST(DnsCapturedTest, EveryPrefixFailsAsTruncated) {
  for (const auto& c : kCaptured) {
    SCOPED_TRACE(c.name);
    const std::string& wire = *c.wire;
    for (std::size_t len = 0; len < wire.size(); ++len) {
      SCOPED_TRACE(len);
      // An exact-size heap copy, so that ASan sees any read past the end.
      const std::vector<std::uint8_t> cut(wire.begin(),
                                          wire.begin() + static_cast<std::ptrdiff_t>(len));
      auto r = Decode(std::span<const std::uint8_t>(cut.data(), cut.size()));
      ASSERT_FALSE(r.ok());
      EXPECT_TRUE(r.error().id.starts_with("dns.wire.")) << r.error().id;
      // Every count and RDLENGTH is checked against the end before the
      // octets are read, so a cut is always reported as such.
      EXPECT_EQ(r.error().id, "dns.wire.truncated");
      EXPECT_LE(r.error().offset, len);
      EXPECT_TRUE(r.error().IsError());
    }
  }
}

}  // namespace
}  // namespace mxconform::dns
