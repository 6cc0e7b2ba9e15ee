"""The stages of a fit, one module each."""
