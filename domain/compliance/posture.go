package compliance

import "time"

// Posture is where a tenant stands on one framework it adopted or assessed.
type Posture struct {
	FrameworkID string `json:"framework_id"`
	Name        string `json:"name"`
	Adopted     bool   `json:"adopted"`
	// Status is "unknown" while nothing applicable was assessed, "assessed" otherwise.
	Status string `json:"status" enum:"unknown,assessed"`
	Scale  Scale  `json:"scale"`
	// LatestCompleted is the newest completed assessment with its frozen score.
	LatestCompleted *PostureScore `json:"latest_completed"`
	// Current is the newest assessment (in progress or completed) scored on its current results.
	Current *PostureScore `json:"current"`
}

// PostureScore is the score of one assessment in the posture.
type PostureScore struct {
	AssessmentID string  `json:"assessment_id"`
	Name         string  `json:"name"`
	Status       string  `json:"status" enum:"in_progress,completed"`
	Progress     float64 `json:"progress"`
	Assessed     int     `json:"assessed"`
	Assessable   int     `json:"assessable"`
	Stale        int     `json:"stale"`
	// Score is 0–100 (null: nothing applicable assessed); Value the same on the framework's scale.
	Score *float64   `json:"score"`
	Value *float64   `json:"value"`
	At    *time.Time `json:"at,omitempty"`
}

// Settle sets the posture's status from its scores: assessed once the latest
// completed or the current assessment has a score.
func (p *Posture) Settle() {
	p.Status = "unknown"
	if (p.LatestCompleted != nil && p.LatestCompleted.Score != nil) || (p.Current != nil && p.Current.Score != nil) {
		p.Status = "assessed"
	}
}
