"""`patchbay doctor`: a checklist of what Patchbay needs on this machine for a chosen model."""
