package resilience

// Chaos is the switchboard of running experiments (filled in with the chaos slice).
type Chaos struct{}
