"""Text helpers shared by the stages: each concept once (dates here; more as they move in)."""
