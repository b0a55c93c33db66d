"""What a user would write by hand instead of `relecture export`: the baselines of `bench_stream`."""
