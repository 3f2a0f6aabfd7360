// Package pii detects and redacts personal data and secrets in LLM prompts and completions.
//
// It is pure code with no I/O: a Detector is built once with New (all patterns, tables and phone
// metadata are prepared there) and is then safe for concurrent use by any number of goroutines.
// Find returns non-overlapping entities sorted by byte offset; Redact rewrites a text with one of three
// styles (type placeholder, mask keeping the last four characters of cards and accounts, or a keyed
// hash placeholder for consistent pseudonymisation).
//
// # Recognizers
//
// Candidates are found by hand-written linear scanners (no backtracking regular expressions run over
// the whole text) and then validated:
//
//   - CREDIT_CARD: 12–19 digits, optionally grouped with single spaces or dashes; Luhn checksum and
//     issuer (IIN) ranges with the lengths each brand issues.
//   - IBAN_CODE: country code, two check digits and the BBAN, compact or in groups of four; the
//     length table of the IBAN registry and the ISO 7064 mod-97 check.
//   - US_SSN and US_ITIN: area/group/serial rules (no 000, 666 or 9xx area for SSNs, no 00 group,
//     no 0000 serial, publicly known invalid numbers); ITINs are 9xx with the IRS group ranges.
//   - EMAIL_ADDRESS: RFC 5322 dot-atom local part and a host name with an alphabetic TLD.
//   - PHONE_NUMBER: a permissive scanner proposes candidates (7–15 digits with the usual separators,
//     parentheses, a leading + or 00 and extensions); github.com/nyaruka/phonenumbers parses and
//     validates each one (IsValidNumber) for the configured default regions, tried in order, or as
//     an international number when it starts with + or 00.
//   - IP_ADDRESS: IPv4 and IPv6 parsed with net/netip.
//   - URL: http, https and ftp URLs and www. host names.
//   - CRYPTO: Bitcoin base58check (P2PKH, P2SH) and bech32/bech32m (segwit, taproot) addresses with
//     their checksums; Ethereum 0x addresses with the EIP-55 checksum when written in mixed case.
//   - API_KEY, PRIVATE_KEY, SECRET: vendor key formats (AWS access key ids, GitHub tokens with their
//     CRC-32 check, Slack, Stripe, OpenAI, Anthropic, Google), JSON Web Tokens whose header decodes,
//     PEM private key blocks, and generic secrets assigned after words such as "password=" or
//     "api_key:" whose value passes an entropy threshold.
//   - US_BANK_NUMBER, ABA_ROUTING_NUMBER (3-7-1 checksum), UK_NHS (mod 11), US_DRIVER_LICENSE:
//     numeric formats that are ambiguous on their own and are reported only with context.
//   - DATE_TIME: calendar-validated ISO, numeric and month-name dates, weekday names and years after
//     a preposition ("in 1977"). Off by default, like URL: both are frequent in benign prompts.
//
// # Scoring
//
// Every candidate that passes validation gets the base score of the pattern that produced it. Base
// scores encode how specific the pattern is once validated: about 0.8–1.0 for checksummed or
// unmistakable formats (a Luhn-valid number in a known issuer range, an IBAN, a PEM block), about
// 0.5–0.7 for validated but ambiguous formats (a grouped phone number, an IPv4 address, a dashed SSN),
// and 0.05–0.45 for weak formats that need context (a bare nine-digit SSN, a bank account number, a
// phone number written as one run of digits).
//
// Context then raises the score: when one of the entity type's context words ("card", "visa", "ssn",
// "social security", "iban", "account", "phone", "call", "tel", … in English, German, French,
// Spanish, Italian, Portuguese and Dutch) occurs within the context window (48 bytes before the
// candidate and 32 after, by default) the score increases by ContextBoost (0.35), capped at 1.0.
// Words of up to four letters must match as whole words ("tel", "ssn", "dl"); longer ones as word
// prefixes ("phone" matches "phones:"). Matching is ASCII case-insensitive. A word inside the
// candidate itself does not count.
//
// Candidates that fail a checksum (Luhn, mod-97, mod-11, base58check, bech32, EIP-55, ABA) or a
// validity rule (SSN areas, phone metadata, calendar) are dropped. Candidates whose final score is
// below the minimum score (DefaultMinScore, 0.5) are not reported. Overlapping candidates are resolved
// greedily: the higher score wins, then the longer span, then the earlier one.
package pii
