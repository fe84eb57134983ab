"""Stage 1, pose: a video file or an OpenPose JSON folder/zip in, a cleaned PoseSequence out.

Decoding (`video`), pose backends (`backends`), OpenPose JSON in and out (`openpose_json`),
joint layouts (`skeletons`), the PoseSequence itself (`sequence`), tracking and smoothing
(`cleaning`) and the one input entry point (`inputs.load_sequence`).
"""
