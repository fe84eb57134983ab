"""One module per exercise; each exports MODEL, an ExerciseModel (see motion_model.py)."""
