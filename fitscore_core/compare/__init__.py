"""Stage 4, compare: client and reference features in, a joint-by-joint Comparison and feedback out.

Built-in or uploaded references (`reference`), banded DTW (`dtw`), body-local coordinates
(`anchors`), joint angles (`angles`), the comparison itself (`comparison`) and the written
feedback that ties it to the models' faults (`feedback`).
"""
