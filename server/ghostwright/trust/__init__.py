"""What ghostwright may run, read or reach: model formats and licences, loopback-only network, no telemetry."""
