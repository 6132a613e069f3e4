"""`make bench`: performance measured side by side with a baseline from the same run (docs/SCALING.md)."""
