package engine

// FeatureBits sets the size of the hashed feature space (2^FeatureBits).
const FeatureBits = 18

const (
	featMask  = 1<<FeatureBits - 1
	seedUni   = 0x811c9dc5
	seedBi    = 0x01000193 ^ 0x9e3779b9
	seedChar  = 0x7feb352d
	fnvPrime  = 16777619
	signShift = 31
)

func form(t *token) string {
	if t.alt != "" {
		return t.alt
	}
	return t.s
}

func fnv(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// emit adds one hashed feature to the dot product and/or the feature list.
func emit(h uint32, lin *Linear, feats *[]uint32, dot *float64) {
	h = mix(h)
	idx := h & featMask
	if lin != nil {
		w := float64(lin.W[idx])
		if h>>signShift != 0 {
			w = -w
		}
		*dot += w
	}
	if feats != nil {
		*feats = append(*feats, idx|(h>>signShift)<<signShift)
	}
}

// hashFeatures hashes word unigrams, word bigrams and character 4-grams
// (within words, with boundary marks) of the token stream.
func hashFeatures(toks []token, lin *Linear, feats *[]uint32) (float64, int) {
	dot := 0.0
	n := 0
	prev := "\x02"
	for i := range toks {
		t := &toks[i]
		f := form(t)
		emit(fnv(seedUni, f), lin, feats, &dot)
		emit(fnv(fnv(seedBi, prev)^0x1f, f), lin, feats, &dot)
		n += 2
		prev = f
		if len(f) >= 3 && t.kind == kindWord {
			// " f " sliding windows of 4 bytes
			var buf [4]byte
			pad := len(f) + 2
			for s := 0; s+4 <= pad; s++ {
				for k := 0; k < 4; k++ {
					p := s + k
					switch {
					case p == 0 || p == pad-1:
						buf[k] = ' '
					default:
						buf[k] = f[p-1]
					}
				}
				h := uint32(seedChar)
				for k := 0; k < 4; k++ {
					h ^= uint32(buf[k])
					h *= fnvPrime
				}
				emit(h, lin, feats, &dot)
				n++
			}
		}
	}
	return dot, n
}
