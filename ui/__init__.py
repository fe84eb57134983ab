"""Streamlit-side helpers of the dashboard (the library, fitscore_core, never imports these)."""
