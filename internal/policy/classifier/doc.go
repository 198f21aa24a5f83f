// Package classifier holds the statistical and rule-based scoring shared by
// the prompt-injection and jailbreak detectors: hashed n-gram features, a
// logistic-regression model with Platt calibration and a compact binary file
// format, the training routine used by tools/train, and weighted phrase rules
// loaded from embedded YAML.
//
// HybridDetector wraps rules and model as a detect.Detector so the detector
// packages hold only their data and registration.
package classifier
