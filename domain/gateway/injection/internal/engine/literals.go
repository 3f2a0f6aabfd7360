package engine

import (
	"strings"
)

// Literal rules match substrings of the normalised (lower-cased) text:
// chat-template tokens, forged tags, code payloads.
type literalRule struct {
	family int
	name   string
	weight float64
	lits   []string
}

var literalRules = []literalRule{
	{FamDelimiter, "chat_template_token", 0.85, []string{"<|im_start|>", "<|im_end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|endoftext|>",
		"<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "<|begin_of_text|>", "<|end|>", "<|im_sep|>", "<|channel|>", "<|message|>",
		"[inst]", "[/inst]", "<<sys>>", "<</sys>>", "<start_of_turn>", "<end_of_turn>", "<|fim_prefix|>", "<|prompt|>", "<|model|>", "<im_start>", "<im_end>"}},
	{FamDelimiter, "template_header", 0.5, []string{"### instruction", "### response", "### system", "### assistant", "### human", "### user:", "### input:",
		"## system", "**system**", "**system:**", "**assistant:**", "[[system]]", "{{system}}"}},
	{FamDelimiter, "forged_system_tag", 0.6, []string{"<system>", "</system>", "<system_prompt>", "</system_prompt>", "<admin>", "</admin>", "<instructions>",
		"</instructions>", "<assistant>", "</assistant>", "<system_message>", "</system_message>", "(system_message)", "[system_message]", "(system message)", "{system_message}", "<developer>", "</developer>", "<sys>", "</sys>",
		"[system]", "[system message]", "[admin]", "[assistant]", "[developer]", "(system)", "{system}", "[sys]", "[system override]", "[system note]",
		"[system prompt]", "[admin override]", "<admin_override>", "<override>", "<root>", "[root]", "<new_instructions>", "<new instructions>", "[new instructions]"}},
	{FamDelimiter, "context_closing_tag", 0.45, []string{"</user>", "</context>", "</document>", "</email>", "</data>", "</input>", "</user_input>",
		"</query>", "</prompt>", "</human>", "</untrusted>", "</text>", "</message>", "</conversation>"}},
	{FamDelimiter, "json_role_system", 0.35, []string{"\"role\": \"system\"", "\"role\":\"system\"", "'role': 'system'", "\"role\": \"developer\"", "role: system", "\"from\": \"system\""}},
	{FamDelimiter, "json_role_assistant", 0.3, []string{"\"role\": \"assistant\"", "\"role\":\"assistant\"", "'role': 'assistant'"}},
	{FamExfiltration, "reverse_shell", 0.6, []string{"/dev/tcp/", "os.dup2(", "nc -e ", "ncat -e ", "bash -i >", "sh -i >", "mkfifo /tmp/", "socat exec:", "pty.spawn("}},
	{FamExfiltration, "keylogger_or_capture", 0.45, []string{"pbpaste", "pyautogui.screenshot", "keyboard.on_press", "pynput", "getclipboarddata", "imagegrab.grab", "xclip -o", "clipboard.paste"}},
	{FamExfiltration, "credential_access", 0.4, []string{"authorized_keys", "/etc/shadow", ".ssh/id_rsa", "id_rsa.pub", ".aws/credentials", "login data", "cookies.sqlite", "/etc/passwd", "keychain"}},
	{FamExfiltration, "http_upload_code", 0.3, []string{"requests.post(", "requests.put(", "urllib.request.urlopen(", "curl -d ", "curl --data", "curl -f ", "curl -x post", "wget --post", "fetch(\"http", "axios.post("}},
	{FamExfiltration, "destructive_code", 0.5, []string{"rmtree(\"/\")", "rmtree('/')", "rm -rf / ", "rm -rf /*", ":(){ :|:& };:", "mkfs.", "dd if=/dev/zero of=/dev/", "dd if=/dev/random of=/dev/",
		"ipconfig /release", "format c:", "del /f /s /q c:\\", "grub.cfg", "shutdown -h now", "kill -9 -1", "iptables -f", "netsh interface set interface"}},
	{FamExfiltration, "suspicious_destination", 0.4, []string{"webhook.site", "requestbin", "ngrok.io", "ngrok-free", "pipedream.net", "burpcollaborator", "interact.sh", "oast.", "canarytokens",
		"attacker.com", "attacker@", "evil.com", "@evil.", "hacker.com", "malicious.com", "exfil.", "steal.", "attacker-", "attacker.", "evil-"}},
	{FamObfuscation, "cipher_mention", 0.25, []string{"rot13", "rot-13", "base64", "caesar cipher", "in reverse order", "reversed text", "hex-encoded", "hex encoded", "leetspeak", "l33t", "morse code", "binary code", "pig latin", "atbash"}},
}

type literalHit struct {
	rule  int
	start int
	lit   string
}

// Literal matching uses one pass over the text with an index from the first
// two bytes of every literal to the literals that start with them.
const (
	litDocMarker    = -2 - iota // a document marker (docMarkers)
	litEmailFrom                // "|email_from:"
	litSubject                  // "subject:"
	litFrom                     // "from:"
	litTemplateOpen             // "<|" (generic chat-template token)
)

type litRef struct {
	rule int
	lit  string
}

type litIndex struct {
	bucket [1 << 16]uint16 // first two bytes -> 1 + index into lists
	lists  [][]litRef
}

var literals = buildLitIndex()

func buildLitIndex() *litIndex {
	x := &litIndex{}
	add := func(rule int, lit string) {
		k := uint16(lit[0])<<8 | uint16(lit[1])
		if x.bucket[k] == 0 {
			x.lists = append(x.lists, nil)
			x.bucket[k] = uint16(len(x.lists))
		}
		x.lists[x.bucket[k]-1] = append(x.lists[x.bucket[k]-1], litRef{rule, lit})
	}
	for ri, r := range literalRules {
		for _, l := range r.lits {
			add(ri, l)
		}
	}
	for _, m := range docMarkers {
		add(litDocMarker, m)
	}
	add(litEmailFrom, "|email_from:")
	add(litSubject, "subject:")
	add(litFrom, "from:")
	add(litTemplateOpen, "<|")
	return x
}

type litFacts struct {
	docMarker, emailFrom, subject, from bool
	rot13                               bool
	templateAt                          int // first "<|", -1 if none
}

// scanLiterals appends the first occurrence of each literal rule and
// reports the marker literals.
func scanLiterals(ns string, out []literalHit) ([]literalHit, litFacts) {
	f := litFacts{templateAt: -1}
	var seen [64]bool
	for i := 0; i+1 < len(ns); i++ {
		b := literals.bucket[uint16(ns[i])<<8|uint16(ns[i+1])]
		if b == 0 {
			continue
		}
		for _, ref := range literals.lists[b-1] {
			if !strings.HasPrefix(ns[i:], ref.lit) {
				continue
			}
			switch ref.rule {
			case litDocMarker:
				f.docMarker = true
			case litEmailFrom:
				f.emailFrom = true
			case litSubject:
				f.subject = true
			case litFrom:
				f.from = true
			case litTemplateOpen:
				if f.templateAt < 0 {
					f.templateAt = i
				}
			default:
				if !seen[ref.rule] {
					seen[ref.rule] = true
					out = append(out, literalHit{rule: ref.rule, start: i, lit: ref.lit})
				}
			}
		}
	}
	// generic chat-template token: <|word|>
	if i := f.templateAt; i >= 0 {
		for i >= 0 && i < len(ns) {
			j := i + 2
			for j < len(ns) && j-i < 32 && (isAlnum(ns[j]) || ns[j] == '_' || ns[j] == '-') {
				j++
			}
			if j > i+2 && strings.HasPrefix(ns[j:], "|>") {
				out = append(out, literalHit{rule: -1, start: i, lit: ns[i : j+2]})
				break
			}
			k := strings.Index(ns[i+2:], "<|")
			if k < 0 {
				break
			}
			i += 2 + k
		}
	}
	return out, f
}

// lineScan looks at line starts for forged conversation turns, e-mail
// headers and fence lines.
type lineFacts struct {
	sysRole, aiRole, userRole bool
	sysAt, aiAt               int
	headers                   int
	fences                    []int // byte offsets of fence lines
	lines                     int
}

var (
	sysRoles  = []string{"system prompt", "system message", "system note", "system override", "system", "sys", "developer", "admin", "administrator", "root", "sudo", "operator", "new instructions", "instructions", "instruction"}
	aiRoles   = []string{"assistant", "ai", "bot", "chatgpt", "gpt", "model", "claude", "llm", "gpt-4", "ai assistant"}
	userRoles = []string{"human", "user", "me", "person a", "person b", "customer"}
	headerKey = []string{"subject", "from", "to", "cc", "bcc", "date", "sent", "email_from", "received date", "reply-to", "title", "author", "url", "source", "posted by", "published"}
)

// roleLabel reports whether line starts with one of roles followed by ':' or
// a closing bracket.
func roleLabel(line string, roles []string) bool {
	for _, r := range roles {
		if strings.HasPrefix(line, r) {
			rest := strings.TrimLeft(line[len(r):], " ")
			if rest == "" {
				continue
			}
			switch rest[0] {
			case ':', ']', '>', ')', '}', '|':
				return true
			}
		}
	}
	return false
}

func scanLines(ns string, lit *litFacts) lineFacts {
	var f lineFacts
	f.sysAt, f.aiAt = -1, -1
	off := 0
	for off <= len(ns) {
		end := strings.IndexByte(ns[off:], '\n')
		if end < 0 {
			end = len(ns)
		} else {
			end += off
		}
		line := ns[off:end]
		f.lines++
		t := strings.TrimLeft(line, " \t#*>-=[(<{|_`\"'")
		if len(t) > 0 {
			if roleLabel(t, sysRoles) {
				if !f.sysRole {
					f.sysAt = off
				}
				f.sysRole = true
			} else if roleLabel(t, aiRoles) {
				if !f.aiRole {
					f.aiAt = off
				}
				f.aiRole = true
			} else if roleLabel(t, userRoles) {
				f.userRole = true
			}
			if roleLabelColon(t, headerKey) {
				f.headers++
			}
		}
		if isFence(line) {
			f.fences = append(f.fences, off)
		}
		off = end + 1
	}
	// "SUBJECT: …|EMAIL_FROM: …" on one line
	if lit.emailFrom || (lit.subject && lit.from) {
		f.headers += 2
	}
	return f
}

func roleLabelColon(line string, keys []string) bool {
	for _, k := range keys {
		if strings.HasPrefix(line, k) {
			rest := strings.TrimLeft(line[len(k):], " ")
			if rest != "" && rest[0] == ':' {
				return true
			}
		}
	}
	return false
}

// isFence reports a line made of at least three repeated delimiter
// characters, possibly around a few words ("---END SYSTEM PROMPT---").
func isFence(line string) bool {
	t := strings.TrimSpace(line)
	if len(t) < 3 {
		return false
	}
	run := 0
	for i := 0; i < len(t) && i < 8; i++ {
		switch t[i] {
		case '-', '=', '#', '*', '~', '`', '_', '\'', '"', '+':
			run++
		default:
			i = 8
		}
	}
	if run >= 3 {
		return true
	}
	return strings.HasPrefix(t, "</") && strings.HasSuffix(t, ">") && len(t) < 40
}

// documentCue scores how much the text looks like a document, e-mail or web
// page rather than a direct request.
func documentCue(ns string, lf *lineFacts, lit *litFacts, urls int) float64 {
	cue := 0.0
	switch {
	case lf.headers >= 2:
		cue = 0.9
	case lf.headers == 1:
		cue = 0.5
	}
	if lit.docMarker {
		cue = max(cue, 0.6)
	}
	if urls >= 2 {
		cue = max(cue, 0.4)
	}
	if len(ns) > 1200 && lf.lines >= 6 {
		cue = max(cue, 0.3)
	}
	return cue
}

var docMarkers = []string{"dear ", "regards", "sincerely", "unsubscribe", "sent from my", "view in browser", "all rights reserved", "privacy policy",
	"terms of service", "©", "click here", "newsletter", "this email", "this message was sent", "forwarded message", "original message",
	"best wishes", "kind regards", "warm regards", "wrote:", "posted on", "reply all",
	"manage preferences", "email preferences", "you are receiving", "you received this", "follow us"}
