"""Stage 3, scorers: normalized (30 × T) features in, each model's exercise, score and faults out.

The two networks (`networks`), their checkpoints (`checkpoints`), scoring any length of clip
(`scoring`, `reps`), training on synthetic clips or a user's LABELS.csv (`training`, `labels`,
`train_job`), the small-data learner on a frozen network for a gym's own few dozen clips
(`learner`, `descriptors`, `forest`, `learner_job`), held-out figures (`evaluation`) and
integrated-gradient attribution (`attribution`).
"""
