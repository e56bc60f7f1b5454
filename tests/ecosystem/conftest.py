"""The ecosystem tests: fixtures/ holds user projects and documents they read, not tests to collect."""

collect_ignore = ["fixtures"]
