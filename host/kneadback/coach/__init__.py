"""The coach: targets, per-spot discomfort curves, cue rules, scores, sound and the terminal view."""
