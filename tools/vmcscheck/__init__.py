"""vmcs-check's library: see tools/vmcs-check."""
