// Package pii detects and redacts personal data and secrets in LLM prompts and completions.
//
// It is pure code with no I/O: a Detector is built once with New (tables, patterns, phone metadata
// and the name tagger are prepared there) and is then safe for concurrent use. Find returns
// non-overlapping entities sorted by byte offset; FindWith narrows one call to some types and a
// default phone region (Scope). Redact rewrites a text with one of three styles (type placeholder,
// mask keeping the last four characters of cards and accounts, or a keyed-hash placeholder for
// consistent pseudonymisation). Types lists the catalogue; Version identifies the rules.
//
// # Normalisation
//
// The recognizers read a folded copy of the text: NFKC (full-width and styled characters become
// ASCII), format characters removed (zero-width spaces and joiners, soft hyphens, bidi controls,
// variation selectors, tag characters), Unicode hyphens made '-', and Cyrillic, Greek and Armenian
// look-alikes of Latin letters folded in tokens that mix scripts. Every byte of the copy remembers
// the original span it came from, so entities are reported at their exact original offsets and a
// redaction removes exactly the characters of the value, invisible ones between them included. A
// text that needs no folding (all ASCII, the common case) is read as it is.
//
// # Recognizers
//
// Candidates are found by hand-written linear scanners (no regular expression runs over the whole
// text, and every scanner is linear in the length of the text) and then validated:
//
//   - CREDIT_CARD: 12–19 digits, optionally grouped with single spaces or dashes; Luhn checksum and
//     issuer (IIN) ranges with the lengths each brand issues. A card followed by more digits (an
//     expiry, a CVV) is cut at the longest valid prefix of whole groups.
//   - IBAN_CODE: country code, check digits and BBAN, compact or in groups of four, any case; the
//     length of each country of the IBAN registry and the ISO 7064 mod-97 check.
//   - US_SSN and US_ITIN: 3-2-4 digits (dashes, spaces) or nine bare digits; SSA rules (no area 000,
//     666 or 900–999, no group 00, no serial 0000, published numbers such as 078-05-1120 refused);
//     ITINs are 9xx with the IRS group ranges.
//   - EMAIL_ADDRESS: dot-atom local part (internationalised letters allowed), a host name with an
//     alphabetic, punycode or internationalised TLD; file names such as icon@2x.png are refused.
//   - PHONE_NUMBER: a permissive scanner proposes candidates (7–15 digits with spaces, dashes, dots,
//     a slash, parentheses, a leading + or 00/011, an extension x123 / ext. 123), refusing dates,
//     IPv4 addresses, decimals, lists, amounts next to a currency and house numbers followed by a
//     street word. github.com/nyaruka/phonenumbers (libphonenumber's metadata) then validates them:
//     international numbers by their country calling code (IsValidNumber); national numbers for the
//     default regions in order (IsValidNumberForRegion, or Parse then IsValidNumberForRegion for
//     regions with carrier codes such as Brazil), the call's default region (Scope.Region, the
//     tenant's policy) first. Where the trunk prefix is 0 (most of Europe, India, Australia) a
//     national number must be written with it. An extension or an area code in parentheses counts
//     as context, so numbers of a possible length in such shapes ("(88) 684-334",
//     "001-748-088-2851x818") are reported. See rec_phone.go for the score tiers.
//   - IP_ADDRESS: IPv4 (a :port may follow) and IPv6 (compressed, IPv4-mapped) parsed by net/netip;
//     loopback, unspecified and broadcast addresses need context.
//   - URL: http(s), ftp(s), ws(s) URLs and www. host names with a valid host (off by default).
//   - CRYPTO: Bitcoin base58check (P2PKH, P2SH) and bech32/bech32m (segwit v0, taproot) addresses
//     with their checksums; Ethereum 0x addresses, with the EIP-55 checksum when in mixed case.
//   - API_KEY: vendor formats (AWS access key ids, GitHub, GitLab, Slack tokens and webhooks,
//     Stripe, OpenAI, Anthropic, Google, npm, Hugging Face, SendGrid) and JSON Web Tokens whose
//     header decodes to JSON with "alg". PRIVATE_KEY: PEM private key blocks (truncated ones too).
//     SECRET: values assigned after a keyword such as "password=", "api_key:", "token" or "my
//     password is", minus placeholders, above an entropy threshold.
//   - ABA_ROUTING_NUMBER (3-7-1 checksum), UK_NHS (mod 11), US_BANK_NUMBER (8–17 digits) and
//     US_DRIVER_LICENSE (state formats): ambiguous on their own, reported with context only.
//   - DATE_TIME: calendar-validated ISO dates and times, numeric dates with a four-digit year,
//     month-name dates, weekday names and years after a preposition ("in 1977"). Off by default,
//     like URL: both are frequent in benign prompts and rarely identify a person on their own.
//   - PERSON, LOCATION, ORGANIZATION and STREET_ADDRESS: a sequence tagger (internal/ner: averaged
//     structured perceptron, Viterbi under BIO constraints) over each token's word (with and without
//     its capitalisation), shape, affixes and gazetteer categories (forenames, common forenames,
//     surnames, cities, regions, countries, legal forms, organisation words, street and unit words,
//     titles) and those of its neighbours, cue words within a few tokens ("works at", "based in",
//     "company", "Mr"), the run of capitalised words the token is in (its length, the words around
//     it, whether it ends in a legal form or joins names with "and") and how much of its line is
//     capitalised (a title-cased line says less); trained on WNUT-17 (the train file and half of the
//     dev file), part of presidio-research's sentences and synthetic sentences from the team's
//     templates, with the token's word hidden in a quarter of the training passes and sentences
//     learnt a second time as if their names were in no list (so that the tagger reads context and
//     shape rather than remembering names), and retrained with one command
//     (go run ./domain/gateway/pii/internal/nertrain). A name found once is reported at each of its
//     occurrences. Off by default: names of public figures, cities and companies are frequent in
//     benign prompts (see docs/detectors-pii.md); a policy turns them on.
//
// # Scoring
//
// A candidate that passes validation gets the base score of the pattern that produced it. Base
// scores encode how specific the pattern is once validated: 0.8–1.0 for checksummed or unmistakable
// formats (a Luhn-valid number in a known issuer range, an IBAN, a vendor key, a PEM block),
// 0.5–0.7 for validated but ambiguous formats (a grouped phone number, an IPv4 address, a dashed
// SSN), and 0.05–0.45 for weak formats that need context (a bare nine-digit SSN, a bank account
// number, a phone number written as one run of digits, a Luhn-valid number of an unknown issuer).
//
// Context then raises the score: when a context word of the entity type ("card", "visa", "ssn",
// "social security", "iban", "account", "phone", "call", "tel", "fax", … in English, German, French,
// Spanish, Italian, Portuguese and Dutch; see contextWords) lies within the context window
// (DefaultContextBefore = 48 bytes before the candidate, DefaultContextAfter = 32 after) the score
// increases by ContextBoost (0.35), capped at 1.0. Words of up to four bytes must match whole words
// ("tel" does not match "hotel"); longer ones match as word prefixes ("phone" matches "phones:").
// Matching is case-insensitive for ASCII letters. A word inside the candidate itself does not count.
//
// Spans of the name tagger score 0.5 (its decision) plus half of the probability, calibrated on
// held-out data, that the span is right. They give way to validated pattern entities, and are cut
// short of one inside them.
//
// Candidates that fail a checksum (Luhn, mod-97, mod-11, base58check, bech32, EIP-55, ABA) or a
// validity rule (SSN areas, phone metadata, calendar) are dropped. Candidates whose final score is
// below the minimum score (DefaultMinScore, 0.5) are not reported; a weak candidate therefore needs
// context, and a recognizer all of whose candidates are weak does not run on texts without any of
// its context words. Overlaps are resolved greedily: the higher score wins, then the longer span,
// then the earlier one.
//
// # Cost
//
// Find is linear in the length of the text. Its fixed part is a few passes over the bytes (digit
// groups, word starts, prefixes); the variable part is dominated by phone validation, about 5–30 µs
// per phone-shaped candidate that reaches libphonenumber. Candidates covered by a strongly validated
// entity of another type, and weak ones without context, never reach it.
package pii
