package compliance

import "github.com/astrabastion/astra/domain/trust"

// A completed assessment is the compliance pillar's signal: its score,
// normalised to 0–100, weighted like a policy review.
func init() {
	trust.Declare(AssessmentCompleted, func(d *AssessmentCompletedV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Compliance, Score: clamp(d.Score), Reason: "compliance assessment completed", Weight: 5}, true
	})
}

func clamp(score float64) float64 {
	return min(max(score, 0), 100)
}
