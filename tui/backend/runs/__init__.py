"""Experiments: the runner and its events, loading targets (`targets`), checking that uploaded results arrived (`upload_check`)."""
