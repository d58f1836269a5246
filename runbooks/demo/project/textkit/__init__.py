"""textkit: tiny text statistics, the demo project Patchbay works on."""
