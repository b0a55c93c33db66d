"""The review session: the state machine behind the review screen, without any UI."""
