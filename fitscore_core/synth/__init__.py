"""Exercise synthesizer: kinematic people doing gym exercises, a camera, a renderer."""
