"""Events: the per-run ordered log and the webhook outbox, written with each state change."""
