"""Speed benchmarks (`python -m fitscore_core bench ...`): pose, features, scorers, attribution,
comparison, each timed on a demo clip the project draws itself (`demo_clip`).
"""
